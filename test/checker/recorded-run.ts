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

/** The parameters of raft/three-servers a production run is replayed against: its defaults, heartbeats allowed to fire. */
export const RECORDED_RAFT_PARAMETERS = {
  ...Object.fromEntries(Object.entries(threeServers.parameters).map(([k, p]) => [k, p.default])),
  heartbeats: 1,
};

/** The Raft model the production run is replayed against: three servers, heartbeats allowed to fire. */
export const recordedRaftModel = () => threeServers.build(RECORDED_RAFT_PARAMETERS);

/**
 * A production run: three Raft servers in NodeHosts (the runtime) on the in-memory network and a
 * manual clock, each recording its steps, until a leader commits two client requests ('a' and 'b').
 */
export async function recordedRun(): Promise<StepRecord[]> {
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
