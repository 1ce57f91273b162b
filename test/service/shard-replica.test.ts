import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/runtime/storage/memory-store.ts';
import { MemoryNetwork } from '../../src/runtime/transport/memory-network.ts';
import { NotLeaderError, ShardReplica, type ShardReplicaOptions } from '../../src/service/shard-replica.ts';
import { parseTxn } from '../../src/service/txn.ts';
import { recordingLogger } from '../runtime/helpers.ts';

const IDS = ['n1', 'n2', 'n3'];
/** Short timers: the group runs in this process on a MemoryNetwork with real time. */
const TIMERS = { electionTimeout: { min: 60, max: 120 }, heartbeatTimeout: 15 };
const put = (key: string, value: string) => ({ kind: 'txn', txn: parseTxn({ ops: [{ op: 'put', key, value }] }) }) as const;
const get = (key: string) => parseTxn({ ops: [{ op: 'get', key }] });

function group(seed: number, options: Partial<ShardReplicaOptions> = {}) {
  const network = new MemoryNetwork({ seed, faults: { delayMs: { min: 0, max: 2 } } });
  const stores = new Map(IDS.map((id) => [id, new MemoryStore()]));
  const make = (id: string, store: MemoryStore, more: Partial<ShardReplicaOptions> = {}) =>
    new ShardReplica({ shard: 's0', node: id, peers: IDS.filter((peer) => peer !== id), store, transport: network.endpoint(id), timers: TIMERS, logger: recordingLogger(), proposalTimeoutMs: 3_000, ...options, ...more });
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

/** Puts `count` keys one by one through whichever replica leads, retrying across an election. */
async function putAll(leader: () => Promise<ShardReplica>, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await (await leader()).propose(put(`${prefix}${i}`, `${i}`))).committed) break;
      } catch (error) {
        if (attempt > 10 || !(error instanceof NotLeaderError)) throw error;
      }
    }
  }
}

describe('ShardReplica: snapshots and log compaction (Ongaro\'s thesis ch. 5)', () => {
  it('compacts every compactEvery entries and keeps serving; a restarted replica starts from its snapshot and replays only the suffix', async () => {
    const g = group(3, { compactEvery: 5, maxBatch: 1 });
    try {
      await putAll(() => g.leader(), 'k', 40);
      const digests = await g.converged();
      expect(new Set(digests.map((d) => d.log)).size).toBe(1);
      expect(new Set(digests.map((d) => d.data)).size).toBe(1);
      for (const replica of g.replicas) {
        const status = replica.status();
        // Over 40 entries were applied; the log holds those since the last snapshot only.
        expect(status.appliedIndex).toBeGreaterThan(40);
        expect(status.snapshotIndex).toBeGreaterThan(30);
        expect(status.logLength).toBeLessThanOrEqual(status.appliedIndex - status.snapshotIndex + 4);
        expect(replica.appliedDigest(status.snapshotIndex - 1)).toBeUndefined();
      }
      const follower = g.replicas.find((replica) => !replica.isLeader())!;
      const id = follower.status().node;
      const before = follower.status();
      await follower.host.crash();
      const durable = g.stores.get(id)!.reopen().load() as { snapshot?: { lastIncludedIndex: number }; log?: unknown[] };
      expect(durable.snapshot!.lastIncludedIndex).toBeGreaterThan(30);
      expect(durable.log!.length).toBeLessThan(10);
      const restarted = g.make(id, g.stores.get(id)!.reopen());
      g.replicas[g.replicas.indexOf(follower)] = restarted;
      restarted.start();
      // At once, before any leader spoke: the data of the snapshot, at its index.
      expect(restarted.status().appliedIndex).toBe(durable.snapshot!.lastIncludedIndex);
      expect(restarted.state.kv.read('k0')?.value).toBe('0');
      expect(restarted.status().appliedIndex).toBeLessThanOrEqual(before.appliedIndex);
      await putAll(() => g.leader(), 'after', 3);
      const again = await g.converged();
      expect(new Set(again.map((d) => d.log)).size).toBe(1);
      expect(new Set(again.map((d) => d.data)).size).toBe(1);
      expect(restarted.state.kv.read('k39')?.value).toBe('39');
    } finally {
      await g.stop();
    }
  }, 60_000);

  it('a follower that was down while the others compacted is caught up with InstallSnapshot', async () => {
    const g = group(4, { compactEvery: 5, maxBatch: 1 });
    let installs = 0;
    g.network.drop((_from, _to, message) => {
      if (message.type === 'InstallSnapshot') installs++;
      return false;
    });
    try {
      await putAll(() => g.leader(), 'a', 3);
      await g.converged();
      const follower = g.replicas.find((replica) => !replica.isLeader())!;
      const id = follower.status().node;
      await follower.host.crash();
      const others = g.replicas.filter((replica) => replica !== follower);
      await putAll(() => g.leader(others), 'b', 30);
      expect(Math.min(...others.map((replica) => replica.status().snapshotIndex))).toBeGreaterThan(follower.status().appliedIndex);
      // It never compacts by itself here: a snapshot it holds came from the leader.
      const restarted = g.make(id, g.stores.get(id)!.reopen(), { compactEvery: 1_000_000 });
      g.replicas[g.replicas.indexOf(follower)] = restarted;
      restarted.start();
      const digests = await g.converged();
      expect(new Set(digests.map((d) => d.log)).size).toBe(1);
      expect(new Set(digests.map((d) => d.data)).size).toBe(1);
      expect(installs).toBeGreaterThan(0);
      expect(restarted.status().snapshotIndex).toBeGreaterThan(3);
      expect(restarted.state.kv.read('b29')?.value).toBe('29');
      expect(restarted.state.kv.read('a0')?.value).toBe('0');
    } finally {
      await g.stop();
    }
  }, 60_000);

  it('answers read-only transactions by ReadIndex: no log entry, and every acknowledged write seen', async () => {
    const g = group(5);
    try {
      const leader = await g.leader();
      expect((await leader.propose(put('k', 'v1'))).committed).toBe(true);
      const before = leader.status();
      const reads = await Promise.all(Array.from({ length: 40 }, () => leader.read(get('k'))));
      for (const read of reads) expect(read).toMatchObject({ committed: true, revision: 1, results: [{ op: 'get', key: 'k', found: true, value: 'v1' }] });
      const after = leader.status();
      expect([after.logLength, after.commitIndex]).toEqual([before.logLength, before.commitIndex]);
      // A read that begins after a write was acknowledged sees it.
      expect((await leader.propose(put('k', 'v2'))).committed).toBe(true);
      expect(await leader.read(get('k'))).toMatchObject({ results: [{ value: 'v2' }] });
      // Only a leader reads; a transaction that writes is not a read.
      const follower = g.replicas.find((replica) => replica !== leader)!;
      await expect(follower.read(get('k'))).rejects.toBeInstanceOf(NotLeaderError);
      await expect(leader.read(put('k', 'x').txn)).rejects.toThrow(/writes/);
    } finally {
      await g.stop();
    }
  }, 30_000);

  it('a leader cut off from the majority answers no read, so none is stale (thesis §6.4 step 2)', async () => {
    const g = group(6, { proposalTimeoutMs: 1_000 });
    try {
      const old = await g.leader();
      expect((await old.propose(put('k', 'old'))).committed).toBe(true);
      const others = g.replicas.filter((replica) => replica !== old);
      g.network.partition(old.status().node, others.map((replica) => replica.status().node));
      const newLeader = await g.leader(others);
      expect((await newLeader.propose(put('k', 'new'))).committed).toBe(true);
      // The old leader may still believe it leads; without a majority's answer it gives no read index.
      const stale = await old.read(get('k')).catch((error: unknown) => error);
      expect(stale).toBeInstanceOf(NotLeaderError);
      expect(await newLeader.read(get('k'))).toMatchObject({ results: [{ value: 'new' }] });
    } finally {
      g.network.heal();
      await g.stop();
    }
  }, 30_000);

  it('compacts by size too: big batches trigger a snapshot long before compactEvery entries', async () => {
    const g = group(7, { compactEvery: 1_000_000, compactBytes: 4_000 });
    try {
      const leader = await g.leader();
      // 30 entries of 20 puts each, about 2 kB an entry.
      for (let round = 0; round < 30; round++) {
        const batch = await Promise.all(Array.from({ length: 20 }, (_, i) => leader.propose(put(`k${i}`, `${round}-${'x'.repeat(50)}`))));
        expect(batch.every((result) => result.committed)).toBe(true);
      }
      const status = leader.status();
      expect(status.snapshotIndex).toBeGreaterThan(0);
      // The log suffix since the snapshot holds at most about compactBytes (a few entries).
      expect(status.logLength).toBeLessThan(8);
    } finally {
      await g.stop();
    }
  }, 30_000);

  it('hands its leadership to a chosen follower (thesis §3.10), holding the transactions that arrive meanwhile', async () => {
    const g = group(8);
    try {
      const leader = await g.leader();
      expect((await leader.propose(put('k', 'v1'))).committed).toBe(true);
      const target = g.replicas.find((replica) => replica !== leader)!;
      const to = target.status().node;
      const moving = leader.transferLeadership(to);
      // Proposed while the leader takes no client request: held, then refused as leadership moved.
      const during = leader.propose(put('k', 'during')).catch((error: unknown) => error);
      const outcome = await moving;
      expect(outcome).toMatchObject({ transferred: true, leader: to });
      expect(target.isLeader()).toBe(true);
      expect(await during).toBeInstanceOf(NotLeaderError);
      expect((await target.propose(put('k', 'v2'))).committed).toBe(true);
      // Already leading is success; a node outside the group is refused and nothing moves.
      expect(await target.transferLeadership(to)).toMatchObject({ transferred: true, leader: to });
      expect(await target.transferLeadership('n9')).toMatchObject({ transferred: false, status: 400 });
      expect(target.isLeader()).toBe(true);
      // A follower cannot transfer what it does not hold.
      expect(await leader.transferLeadership(leader.status().node)).toMatchObject({ transferred: false, status: 503 });
    } finally {
      await g.stop();
    }
  }, 30_000);

  it('refuses a compactEvery that is not a whole number >= 1', () => {
    const network = new MemoryNetwork({ seed: 1 });
    expect(() => new ShardReplica({ shard: 's0', node: 'n1', peers: [], store: new MemoryStore(), transport: network.endpoint('n1'), compactEvery: 0 })).toThrow(/compactEvery/);
    expect(() => new ShardReplica({ shard: 's0', node: 'n2', peers: [], store: new MemoryStore(), transport: network.endpoint('n2'), compactBytes: -1 })).toThrow(/compactBytes/);
  });
});
