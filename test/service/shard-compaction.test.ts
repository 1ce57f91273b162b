import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { validateRaftMessage } from '../../src/protocols/raft/index.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { SqliteStore } from '../../src/runtime/storage/sqlite-store.ts';
import type { PeerAddress } from '../../src/runtime/transport/peer-link.ts';
import { TcpTransport } from '../../src/runtime/transport/tcp-transport.ts';
import { NotLeaderError, ShardReplica } from '../../src/service/shard-replica.ts';
import { parseTxn } from '../../src/service/txn.ts';
import { recordingLogger, waitFor } from '../runtime/helpers.ts';

// A shard's Raft group of three replicas over TCP, each on its own SQLite file, compacting its log
// (Ongaro's thesis ch. 5): the file holds a snapshot and a bounded log suffix, a restart replays
// only the suffix, and a replica that was down is caught up with InstallSnapshot over the wire.

const dir = mkdtempSync(join(tmpdir(), 'unanimous-shard-compaction-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IDS = ['n1', 'n2', 'n3'];
const SECRET = 'shard-compaction-test-secret';
const TIMERS = { electionTimeout: { min: 150, max: 300 }, heartbeatTimeout: 40 };
const COMPACT_EVERY = 8;
const put = (key: string, value: string) => ({ kind: 'txn', txn: parseTxn({ ops: [{ op: 'put', key, value }] }) }) as const;
const path = (id: string) => join(dir, `${id}.db`);

/** The log rows and the snapshot's index in a replica's SQLite file, read with a connection of its own. */
function fileOf(id: string): { rows: number; snapshotIndex: number } {
  const db = new Database(path(id), { readonly: true });
  try {
    const rows = (db.prepare("SELECT count(*) AS n FROM durable_log WHERE log = 'log'").get() as { n: number }).n;
    const snapshot = db.prepare("SELECT value FROM durable_key WHERE key = 'snapshot'").get() as { value: string } | undefined;
    return { rows, snapshotIndex: snapshot === undefined ? 0 : (JSON.parse(snapshot.value) as { lastIncludedIndex: number }).lastIncludedIndex };
  } finally {
    db.close();
  }
}

describe('a shard compacting its log, over TCP, on SQLite', () => {
  it('keeps serving with a bounded log, restarts from snapshot and suffix, and catches a replica up with InstallSnapshot', async () => {
    const logs = Object.fromEntries(IDS.map((id) => [id, recordingLogger()]));
    const listen = (id: string, port: number, peers: Record<string, PeerAddress | undefined>) =>
      TcpTransport.listen({ id, secret: SECRET, listen: { host: '127.0.0.1', port }, peers, validate: validateRaftMessage, backoff: { initialMs: 10, maxMs: 200 }, random: seededRandom(port), logger: logs[id]! });
    const transports = await Promise.all(IDS.map((id) => listen(id, 0, Object.fromEntries(IDS.filter((p) => p !== id).map((p) => [p, undefined])))));
    const addresses = Object.fromEntries(IDS.map((id, i) => [id, transports[i]!.address]));
    for (const [i, transport] of transports.entries()) for (const peer of IDS) if (peer !== IDS[i]) transport.setPeerAddress(peer, addresses[peer]!);
    const make = (id: string, transport: TcpTransport, compactEvery = COMPACT_EVERY) =>
      new ShardReplica({ shard: 's0', node: id, peers: IDS.filter((p) => p !== id), store: new SqliteStore(path(id)), transport, timers: TIMERS, logger: logs[id], maxBatch: 1, compactEvery });
    const restart = async (replica: ShardReplica, compactEvery?: number) => {
      const id = replica.status().node;
      await replica.stop();
      const transport = await listen(id, addresses[id]!.port, Object.fromEntries(IDS.filter((p) => p !== id).map((p) => [p, addresses[p]])));
      const next = make(id, transport, compactEvery);
      replicas[replicas.indexOf(replica)] = next;
      next.start();
      return next;
    };
    const replicas = IDS.map((id, i) => make(id, transports[i]!));
    const leader = async (among: readonly ShardReplica[] = replicas) => {
      await waitFor('a leader', () => among.some((replica) => replica.isLeader()), 10_000);
      return among.find((replica) => replica.isLeader())!;
    };
    const putAll = async (prefix: string, count: number, among?: readonly ShardReplica[]) => {
      for (let i = 0; i < count; i++) {
        for (let attempt = 0; ; attempt++) {
          try {
            if ((await (await leader(among)).propose(put(`${prefix}${i}`, `${i}`))).committed) break;
          } catch (error) {
            if (attempt > 10 || !(error instanceof NotLeaderError)) throw error;
            await sleep(20);
          }
        }
      }
    };
    const converged = async () => {
      await waitFor(
        'every replica to apply the same entries',
        () => new Set(replicas.map((r) => r.status().appliedIndex)).size === 1 && replicas.every((r) => r.status().appliedIndex === r.status().commitIndex),
        15_000,
      );
      expect(new Set(replicas.map((r) => r.appliedDigest())).size).toBe(1);
      expect(new Set(replicas.map((r) => r.state.digest())).size).toBe(1);
    };
    try {
      for (const replica of replicas) replica.start();

      // 1. The log is compacted as it grows; the shard keeps serving, and every file stays small.
      await putAll('k', 60);
      await converged();
      for (const id of IDS) {
        const file = fileOf(id);
        expect(file.snapshotIndex).toBeGreaterThan(50);
        // The suffix since the last snapshot: under COMPACT_EVERY entries, and a few proposed beyond.
        expect(file.rows).toBeLessThanOrEqual(COMPACT_EVERY + 4);
      }

      // 2. A restarted replica starts from its snapshot, at its index, and replays only the suffix.
      const follower = replicas.find((replica) => !replica.isLeader())!;
      const restarted = await restart(follower);
      const booted = restarted.status();
      expect(booted.appliedIndex).toBe(booted.snapshotIndex);
      expect(booted.snapshotIndex).toBe(fileOf(booted.node).snapshotIndex);
      expect(restarted.state.kv.read('k0')?.value).toBe('0');
      await putAll('r', 2);
      await converged();
      expect(restarted.state.kv.read('k59')?.value).toBe('59');

      // 3. A replica down while the others compact comes back behind their snapshots: it is sent one.
      const lagging = replicas.find((replica) => !replica.isLeader())!;
      const laggingId = lagging.status().node;
      const behind = lagging.status().appliedIndex;
      await lagging.stop();
      const others = replicas.filter((replica) => replica !== lagging);
      await putAll('b', 3 * COMPACT_EVERY, others);
      await waitFor('the others to compact past the lagging replica', () => others.every((r) => r.status().snapshotIndex > behind + COMPACT_EVERY), 10_000);
      // It never compacts by itself now, so a snapshot beyond its own can only be the leader's.
      const ownSnapshot = fileOf(laggingId).snapshotIndex;
      const caughtUp = await restart(lagging, 1_000_000);
      await putAll('c', 1);
      await converged();
      expect(caughtUp.status().snapshotIndex).toBeGreaterThan(ownSnapshot);
      expect(fileOf(laggingId).snapshotIndex).toBeGreaterThan(ownSnapshot);
      expect(logs[laggingId]!.records.some((record) => record.message === 'installed a snapshot' && (record.fields.index as number) > ownSnapshot)).toBe(true);
      expect(caughtUp.state.kv.read('b0')?.value).toBe('0');
      expect(caughtUp.state.kv.read('k1')?.value).toBe('1');
      expect(caughtUp.state.digest()).toBe(others[0]!.state.digest());
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  }, 60_000);
});
