import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/runtime/storage/memory-store.ts';
import { MemoryNetwork } from '../../src/runtime/transport/memory-network.ts';
import { NotLeaderError, ShardReplica } from '../../src/service/shard-replica.ts';
import { parseTxn } from '../../src/service/txn.ts';
import { recordingLogger } from '../runtime/helpers.ts';

const IDS = ['n1', 'n2', 'n3'];
/** Short timers: the group runs in this process on a MemoryNetwork with real time. */
const TIMERS = { electionTimeout: { min: 60, max: 120 }, heartbeatTimeout: 15 };
const put = (key: string, value: string) => ({ kind: 'txn', txn: parseTxn({ ops: [{ op: 'put', key, value }] }) }) as const;

function group(seed: number) {
  const network = new MemoryNetwork({ seed, faults: { delayMs: { min: 0, max: 2 } } });
  const stores = new Map(IDS.map((id) => [id, new MemoryStore()]));
  const make = (id: string, store: MemoryStore) =>
    new ShardReplica({ shard: 's0', node: id, peers: IDS.filter((peer) => peer !== id), store, transport: network.endpoint(id), timers: TIMERS, logger: recordingLogger(), proposalTimeoutMs: 3_000 });
  const replicas = IDS.map((id) => make(id, stores.get(id)!));
  for (const replica of replicas) replica.start();
  const leader = async (among = replicas) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const leaders = among.filter((replica) => replica.isLeader());
      if (leaders.length === 1) return leaders[0]!;
      if (Date.now() > deadline) throw new Error('no single leader');
      await sleep(5);
    }
  };
  /** Waits until every replica applied the same number of entries, then returns their digests. */
  const converged = async () => {
    const deadline = Date.now() + 10_000;
    while (new Set(replicas.map((replica) => replica.status().appliedIndex)).size !== 1 || replicas[0]!.status().appliedIndex < replicas[0]!.status().commitIndex) {
      if (Date.now() > deadline) throw new Error(`no convergence: ${replicas.map((r) => r.status().appliedIndex).join(', ')}`);
      await sleep(5);
    }
    return replicas.map((replica) => ({ log: replica.appliedDigest(), data: replica.state.digest() }));
  };
  return { network, stores, replicas, make, leader, converged, stop: () => Promise.all(replicas.map((replica) => replica.stop())) };
}

describe('ShardReplica: the Raft server machine in a host, with the KV data applied beside it', () => {
  it('orders concurrent transactions through one log, in batches, and every replica applies the same entries', async () => {
    const g = group(1);
    try {
      const leader = await g.leader();
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => leader.propose(put(`k${i % 7}`, `v${i}`))));
      expect(results.every((result) => result.committed)).toBe(true);
      // Revisions 1..60, each once: the transactions were applied one after another.
      expect(results.map((result) => (result.committed ? result.revision : 0)).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      // Batching: far fewer log entries than transactions (one blank entry of the leader's term too).
      expect(leader.status().logLength).toBeLessThan(30);
      const digests = await g.converged();
      expect(new Set(digests.map((d) => d.log)).size).toBe(1);
      expect(new Set(digests.map((d) => d.data)).size).toBe(1);
      // A follower refuses at once and names the leader.
      const follower = g.replicas.find((replica) => replica !== leader)!;
      const refusal = await follower.propose(put('x', 'y')).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(NotLeaderError);
      expect((refusal as NotLeaderError).leaderHint).toBe(leader.status().node);
    } finally {
      await g.stop();
    }
  }, 30_000);

  it('answers NotLeaderError when a cut-off leader\'s entry is overwritten, and a restarted replica rebuilds its data from the log', async () => {
    const g = group(2);
    try {
      const old = await g.leader();
      await old.propose(put('before', '1'));
      const others = g.replicas.filter((replica) => replica !== old);
      g.network.partition(old.status().node, others.map((replica) => replica.status().node));
      const stranded = old.propose(put('stranded', 'x'));
      const newLeader = await g.leader(others);
      expect((await newLeader.propose(put('after', '2'))).committed).toBe(true);
      g.network.heal();
      const outcome = await stranded.catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(NotLeaderError);
      expect((outcome as Error).message).toContain('leadership changed before the transaction committed');
      expect(newLeader.state.kv.read('stranded')).toBeUndefined();

      // Restart a follower from its store: the data comes back by applying the log again.
      const follower = g.replicas.find((replica) => !replica.isLeader())!;
      const id = follower.status().node;
      await follower.host.crash();
      const restarted = g.make(id, g.stores.get(id)!.reopen());
      g.replicas[g.replicas.indexOf(follower)] = restarted;
      restarted.start();
      expect(restarted.status().appliedIndex).toBe(0);
      await (await g.leader()).propose(put('last', '3'));
      const digests = await g.converged();
      expect(new Set(digests.map((d) => d.log)).size).toBe(1);
      expect(new Set(digests.map((d) => d.data)).size).toBe(1);
      expect(restarted.state.kv.read('before')?.value).toBe('1');
      expect(restarted.state.kv.read('after')?.value).toBe('2');
    } finally {
      await g.stop();
    }
  }, 30_000);
});
