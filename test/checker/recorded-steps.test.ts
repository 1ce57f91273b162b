import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRecordedSteps } from '../../src/checker/recorded-steps.ts';
import { main } from '../../src/cli/main.ts';
import type { StepRecord } from '../../src/node/index.ts';
import { DEFAULT_RAFT_CONFIG, server, type RaftConfig } from '../../src/protocols/raft/index.ts';
import { ManualClock } from '../../src/runtime/manual-clock.ts';
import { NodeHost } from '../../src/runtime/node-host.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { MemoryStore } from '../../src/runtime/storage/memory-store.ts';
import { MemoryNetwork } from '../../src/runtime/transport/memory-network.ts';
import threeServers from '../../models/raft/three-servers.ts';
import { turn } from '../runtime/helpers.ts';
import { RAFT_IDS, RAFT_TIMERS } from '../runtime/raft-cluster.ts';

/** The Raft model the production run is replayed against: three servers, heartbeats allowed to fire. */
const model = () => threeServers.build({ ...Object.fromEntries(Object.entries(threeServers.parameters).map(([k, p]) => [k, p.default])), heartbeats: 1 });

/**
 * A production run: three Raft servers in NodeHosts (the runtime) on the in-memory network and a
 * manual clock, each recording its steps, until a leader commits two client requests.
 */
async function recordedRun(): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  const clock = new ManualClock();
  const network = new MemoryNetwork({ seed: 3, clock, faults: { delayMs: { min: 1, max: 5 } } });
  const hosts = RAFT_IDS.map(
    (id, i) =>
      new NodeHost<RaftConfig>({
        machine: server,
        id,
        peers: RAFT_IDS.filter((peer) => peer !== id),
        config: DEFAULT_RAFT_CONFIG,
        store: new MemoryStore(),
        transport: network.endpoint(id),
        timers: RAFT_TIMERS,
        random: seededRandom(30 + i),
        clientId: `${id}-client`,
        clock,
        trace: (record) => records.push(record),
      }),
  );
  for (const host of hosts) host.start();
  const runUntil = async (condition: () => boolean) => {
    for (let ms = 0; !condition(); ms++) {
      if (ms > 10_000) throw new Error('the cluster did not get there');
      clock.advance(1);
      await turn();
      await turn();
    }
  };
  const leader = () => hosts.find((host) => JSON.stringify(host.status().state).includes('leader'));
  await runUntil(() => leader() !== undefined);
  let replies = 0;
  for (const value of ['a', 'b']) void leader()!.submit({ type: 'ClientRequest', value }).then(() => replies++);
  await runUntil(() => replies === 2);
  // Then a quiet while, in which the leader's heartbeats fire.
  const quietUntil = clock.now() + 200;
  await runUntil(() => clock.now() >= quietUntil);
  for (const host of hosts) await host.stop();
  return records;
}

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
    expect(replayRecordedSteps(model(), tampered).problems).toEqual([expect.objectContaining({ node: 's2', seq: 3, message: expect.stringMatching(/the record says "leader"/) })]);

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
