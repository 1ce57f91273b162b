import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatEvent, formatPair, HistoryRecorder, indexHistory, MalformedHistoryError, pairOps } from '../../src/history/index.ts';
import { events } from './register-histories.ts';

describe('the history model', () => {
  it('pairs each invocation with its process’s next completion, in invocation order', () => {
    const pairs = pairOps(
      events(
        [0, 'invoke', 'write', ['x', 1]],
        [1, 'invoke', 'read', ['x', null]],
        [1, 'ok', 'read', ['x', 1]],
        [0, 'fail', 'write', ['x', 1]],
        [1, 'invoke', 'cas', ['x', [1, 2]]],
        [1, 'info', 'cas', ['x', [1, 2]]],
        [1, 'invoke', 'write', ['x', 3]],
      ),
    );
    expect(pairs.map((p) => [p.id, p.process, p.f, p.type, p.start, p.end])).toEqual([
      [0, 0, 'write', 'fail', 0, 3],
      [1, 1, 'read', 'ok', 1, 2],
      [2, 1, 'cas', 'info', 4, Infinity],
      [3, 1, 'write', 'info', 6, Infinity],
    ]);
    // An ok operation's value is its result; the others keep the request.
    expect(pairs[1]!.value).toEqual(['x', 1]);
    expect(pairs[2]!.completion).toMatchObject({ type: 'info', index: 5 });
    expect(pairs[3]!.completion).toBeNull();
  });

  it('uses the indices given, and assigns positions when absent', () => {
    const history = [
      { process: 0, type: 'invoke' as const, f: 'read', value: null, time: 1, index: 10 },
      { process: 0, type: 'ok' as const, f: 'read', value: 3, time: 2, index: 12 },
    ];
    expect(pairOps(history)[0]).toMatchObject({ start: 10, end: 12 });
    expect(indexHistory(events([0, 'invoke', 'read', null])).map((op) => op.index)).toEqual([0]);
  });

  it('refuses malformed histories, naming the event', () => {
    const refuse = (history: Parameters<typeof pairOps>[0], message: RegExp) => {
      expect(() => pairOps(history)).toThrow(MalformedHistoryError);
      expect(() => pairOps(history)).toThrow(message);
    };
    refuse(events([0, 'ok', 'read', 1]), /^malformed history at event 0 \(#0 p0 ok read 1 @ 0 ms\): a completion \(ok\) with no outstanding invocation on process 0$/);
    refuse(events([0, 'invoke', 'read', null], [0, 'invoke', 'write', 1]), /event 1 .*process 0 invokes while its read invoked at event 0 is still outstanding/);
    refuse(events([0, 'invoke', 'read', null], [0, 'ok', 'write', 1]), /completion write does not match the outstanding invocation read at event 0/);
    refuse(events([0, 'invoke', 'read', null], [0, 'ok', 'read', 1], [0, 'ok', 'read', 1]), /event 2 .*no outstanding invocation/);
    refuse([{ process: 0, type: 'invoke', f: 'read', value: null, time: 5 }, { process: 0, type: 'ok', f: 'read', value: null, time: 4 }], /time 4 is before the previous event's 5/);
    refuse([{ process: 0, type: 'begin' as never, f: 'read', value: null, time: 0 }], /type must be invoke, ok, fail or info, not "begin"/);
    refuse([{ process: 0, type: 'invoke', f: 'read', value: null, time: Number.NaN }], /time must be a finite number/);
    refuse(
      [
        { process: 0, type: 'invoke', f: 'read', value: null, time: 0, index: 3 },
        { process: 0, type: 'ok', f: 'read', value: null, time: 0, index: 3 },
      ],
      /index 3 does not increase \(previous 3\)/,
    );
  });

  it('records a history as it happens, with the same rules', () => {
    let clock = 100;
    const recorder = new HistoryRecorder(() => (clock += 0.5));
    recorder.invoke(1, 'write', ['x', 1]);
    recorder.invoke('c2', 'read', ['x', null]);
    recorder.ok('c2', ['x', 1]);
    recorder.info(1);
    recorder.invoke(1, 'read', ['x', null]);
    expect(recorder.outstanding()).toEqual([1]);
    expect(() => recorder.invoke(1, 'read', ['x', null])).toThrow(/process 1 already has read outstanding \(event 4\)/);
    expect(() => recorder.fail('c3')).toThrow(/no outstanding invocation on process "c3"/);
    recorder.fail(1);
    expect(recorder.history.map(formatEvent)).toEqual([
      '#0 p1 invoke write [x 1] @ 100.5 ms',
      '#1 p"c2" invoke read [x null] @ 101 ms',
      '#2 p"c2" ok read [x 1] @ 101.5 ms',
      '#3 p1 info write [x 1] @ 102 ms',
      '#4 p1 invoke read [x null] @ 102.5 ms',
      '#5 p1 fail read [x null] @ 103 ms',
    ]);
    expect(pairOps(recorder.history).map((pair) => formatPair(pair))).toEqual([
      'p1 write [x 1] → info (#0–∞, from 100.5 ms)',
      'p"c2" read [x 1] → ok (#1–#2, 101–101.5 ms)',
      'p1 read [x null] → fail (#4–#5, 102.5–103 ms)',
    ]);
  });

  it('is a pure layer: src/history imports only its own modules', () => {
    const dir = new URL('../../src/history/', import.meta.url);
    const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(files.sort()).toEqual(['bank.ts', 'history.ts', 'index.ts', 'linearizability.ts', 'list-append.ts']);
    for (const name of files) {
      const source = readFileSync(new URL(name, dir), 'utf8');
      const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const specifier of specifiers) expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[\w-]+\.ts$/);
      expect(source, name).not.toMatch(/\brequire\(|\bimport\(|process\.\w|node:/);
    }
  });
});
