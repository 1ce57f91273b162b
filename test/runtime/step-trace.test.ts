import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLinesTrace } from '../../src/runtime/step-trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'unanimous-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jsonLinesTrace', () => {
  it('appends one JSON record per line, and writes nothing after close', () => {
    const path = join(dir, 'trace.jsonl');
    const trace = jsonLinesTrace(path);
    trace.sink({ kind: 'start', node: 's1', seq: 0, durable: {}, after: 'follower', effects: [] });
    trace.sink({ kind: 'step', node: 's1', seq: 1, event: { type: 'Ping', from: 's2' }, before: 'follower', after: 'follower', effects: [{ type: 'send', to: 's2', message: { type: 'Pong' } }] });
    trace.close();
    trace.sink({ kind: 'start', node: 's1', seq: 2, durable: {}, after: 'follower', effects: [] });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((record) => [record.kind, record.seq])).toEqual([
      ['start', 0],
      ['step', 1],
    ]);
    expect(lines[1].effects).toEqual([{ type: 'send', to: 's2', message: { type: 'Pong' } }]);
  });
});
