import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRecordedSteps } from '../../src/checker/recorded-steps.ts';
import { main } from '../../src/cli/main.ts';
import type { StepRecord } from '../../src/node/index.ts';
import { recordedRaftModel as model, recordedRun } from './recorded-run.ts';

describe('a production step trace replayed against the model (trace validate)', () => {
  let records: StepRecord[];
  let dir: string;
  beforeAll(async () => {
    records = await recordedRun();
    dir = mkdtempSync(join(tmpdir(), 'unanimous-recorded-'));
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('every step the hosts took is a step of raft/three-servers', () => {
    const run = replayRecordedSteps(model(), records);
    expect(run.problems).toEqual([]);
    expect([...run.nodes].sort()).toEqual(['s1', 's2', 's3']);
    expect(run.records).toBe(records.length);
    // The merged trace: every delivery after its send, ending with both requests committed.
    expect(run.trace.recorded).toBe(true);
    expect(run.trace.steps.some((step) => step.action.kind === 'spontaneous')).toBe(true);
    const delivered = run.trace.steps.filter((step) => step.action.kind === 'deliver').length;
    expect(delivered).toBeGreaterThan(4);
  });

  it('finds a step the machine would not take, a timer that is not armed, and a stranger', () => {
    const tampered = records.map((record) => (record.kind === 'step' && record.node === 's2' && record.seq === 3 ? { ...record, after: 'leader' } : record));
    const departed = replayRecordedSteps(model(), tampered);
    expect(departed.problems).toEqual([expect.objectContaining({ node: 's2', seq: 3, message: expect.stringMatching(/the record says "leader"/) })]);
    // The merged trace shows no message of s2 arriving that s2's replay never sent.
    const sentByS2 = new Set(departed.trace.steps.flatMap((step) => step.sent.filter((e) => e.from === 's2').map((e) => JSON.stringify(e))));
    for (const message of departed.trace.initial.messages.filter((e) => e.from === 's2')) sentByS2.add(JSON.stringify(message));
    const arrivals = departed.trace.steps.flatMap((step) => (step.action.kind === 'deliver' && step.action.message.from === 's2' ? [JSON.stringify(step.action.message)] : []));
    expect(arrivals.every((arrival) => sentByS2.has(arrival))).toBe(true);

    const first = records.find((record) => record.node === 's1' && record.kind === 'start')!;
    const unarmed: StepRecord = { kind: 'step', node: 's1', seq: 1, event: { type: 'xstate.after.heartbeatTimeout.raft.leader' }, before: first.after, after: first.after, effects: [] };
    const withUnarmed = [first, unarmed];
    expect(replayRecordedSteps(model(), withUnarmed).problems[0]!.message).toMatch(/timer heartbeatTimeout fires, but it is not armed/);

    const stranger = records.map((record) => (record.node === 's3' ? { ...record, node: 's9' } : record));
    expect(replayRecordedSteps(model(), stranger).problems.some((p) => /"s9" is not a node of the model/.test(p.message))).toBe(true);
  });

  it('from the command line: validate (exit 0 or 1), render, and refuse what is not a step trace (exit 2)', async () => {
    const file = join(dir, 'run.jsonl');
    writeFileSync(file, records.map((record) => JSON.stringify(record)).join('\n'));
    const output: string[] = [];
    const say = (line: string) => output.push(line);
    expect(await main(['trace', 'validate', file, '--model', 'raft/three-servers', '--param', 'heartbeats=1'])).toBe(0);
    expect(await mainWith(['trace', 'validate', file, '--model', 'raft/three-servers', '--param', 'heartbeats=1'], say)).toBe(0);
    expect(output.join('\n')).toMatch(/every step is a step raft\/three-servers allows/);

    // Without heartbeats the model never lets a leader's heartbeatTimeout fire.
    output.length = 0;
    expect(await mainWith(['trace', 'validate', file, '--model', 'raft/three-servers'], say)).toBe(1);
    expect(output.join('\n')).toMatch(/timer heartbeatTimeout fires, which the model does not let fire/);

    output.length = 0;
    expect(await mainWith(['trace', file, '--model', 'raft/three-servers', '--param', 'heartbeats=1', '--format', 'mermaid'], say)).toBe(0);
    expect(output.join('\n')).toMatch(/^sequenceDiagram\n {2}%% recorded run, \d+ steps/);

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"kind":"step","node":"s1"}\n');
    expect(await main(['trace', 'validate', bad, '--model', 'raft/three-servers'])).toBe(2);
    expect(await main(['trace', 'validate', file])).toBe(2);
  });
});

/** Runs the CLI with stdout captured line by line. */
async function mainWith(argv: string[], say: (line: string) => void): Promise<number> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line !== '') say(line);
    return true;
  }) as typeof process.stdout.write;
  try {
    return await main(argv);
  } finally {
    process.stdout.write = write;
  }
}
