import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeHost } from '../../src/runtime/node-host.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { SqliteStore } from '../../src/runtime/storage/sqlite-store.ts';
import { encodeFrame } from '../../src/runtime/transport/frames.ts';
import type { PeerAddress } from '../../src/runtime/transport/peer-link.ts';
import { TcpTransport } from '../../src/runtime/transport/tcp-transport.ts';
import { recordingLogger, waitFor } from './helpers.ts';
import { rawPeerConnection } from './peer-connection.ts';
import { checkRaftSafety, leaderOf, RAFT_IDS, raftHost, statusOf, validateRaftMessage } from './raft-cluster.ts';

const dir = mkdtempSync(join(tmpdir(), 'unanimous-raft-tcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'raft-tcp-cluster-test-secret';
const listenOn = (id: string, port: number, peers: Record<string, PeerAddress | undefined>, logger = recordingLogger()) =>
  TcpTransport.listen({ id, secret: SECRET, listen: { host: '127.0.0.1', port }, peers, validate: validateRaftMessage, backoff: { initialMs: 10, maxMs: 200 }, random: seededRandom(port), logger });

/**
 * Commits `value` through whichever server leads, retrying if leadership moves meanwhile (real
 * timers on a busy machine may cause an extra election). Returns the committed index.
 */
async function commit(hosts: readonly NodeHost[], value: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    await waitFor('a leader', () => leaderOf(hosts) !== undefined);
    try {
      const reply = (await leaderOf(hosts)!.submit({ type: 'ClientRequest', value }, { timeoutMs: 2_000 })) as { index?: number };
      if (reply.index !== undefined) return reply.index;
    } catch {
      // No reply in time: leadership moved; try the next leader.
    }
  }
  throw new Error(`could not commit ${value}`);
}

describe('a three-server Raft cluster over TCP, on SQLite, with real timers', () => {
  it('elects a leader, commits, survives bad frames, and restarts a server from its SQLite file with its term, vote and log', async () => {
    const logs = Object.fromEntries(RAFT_IDS.map((id) => [id, recordingLogger()]));
    const transports = await Promise.all(RAFT_IDS.map((id) => listenOn(id, 0, Object.fromEntries(RAFT_IDS.filter((p) => p !== id).map((p) => [p, undefined])), logs[id])));
    const addresses = Object.fromEntries(RAFT_IDS.map((id, i) => [id, transports[i]!.address]));
    for (const [i, transport] of transports.entries()) for (const peer of RAFT_IDS) if (peer !== RAFT_IDS[i]) transport.setPeerAddress(peer, addresses[peer]!);
    const path = (id: string) => join(dir, `${id}.db`);
    const hosts: NodeHost[] = RAFT_IDS.map((id, i) => raftHost(id, { store: new SqliteStore(path(id)), transport: transports[i]!, seed: i, logger: logs[id] }));
    const safety = setInterval(() => checkRaftSafety(hosts), 5);
    try {
      for (const host of hosts) host.start();
      await commit(hosts, 'a');
      await commit(hosts, 'b');

      // A stranger at a follower's port who claims to be the leader and sends a valid AppendEntries
      // of a far higher term is refused at the hello: the follower's term does not move.
      const follower = hosts.find((host) => host !== leaderOf(hosts))!;
      const followerIndex = hosts.indexOf(follower);
      const leaderId = leaderOf(hosts)!.id;
      const termBefore = statusOf(follower).term;
      const forged = { type: 'AppendEntries', term: termBefore + 1000, leaderId, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 };
      await rawPeerConnection(addresses[follower.id]!, undefined, [encodeFrame({ hello: leaderId }), encodeFrame(forged)]);
      expect(logs[follower.id]!.records.some((r) => r.message === 'connection closed: bad input' && String(r.fields.reason).includes('without a nonce and a proof of the cluster secret'))).toBe(true);
      expect(statusOf(follower).term).toBeLessThan(termBefore + 1000);

      // Garbage from an authenticated peer: that connection is closed and logged; the follower serves on.
      await rawPeerConnection(addresses[follower.id]!, { as: leaderId, to: follower.id, secret: SECRET, expectWelcome: true }, [encodeFrame({ type: 'AppendEntries', term: 'not a number' })]);
      expect(logs[follower.id]!.records.some((r) => r.message === 'connection closed: bad input' && String(r.fields.reason).includes('an invalid AppendEntries'))).toBe(true);
      const third = await commit(hosts, 'c');
      await waitFor('the follower to learn the commit', () => statusOf(follower).commitIndex >= third);

      // Restart the follower from its SQLite file, on the same port.
      await follower.stop();
      const before = statusOf(follower);
      const transport = await listenOn(follower.id, addresses[follower.id]!.port, Object.fromEntries(RAFT_IDS.filter((p) => p !== follower.id).map((p) => [p, addresses[p]])), logs[follower.id]);
      const restarted = raftHost(follower.id, { store: new SqliteStore(path(follower.id)), transport, seed: 42, logger: logs[follower.id] });
      restarted.start();
      hosts[followerIndex] = restarted;
      expect(statusOf(restarted)).toEqual({ term: before.term, votedFor: before.votedFor, log: before.log, commitIndex: 0 });
      const fourth = await commit(hosts, 'd');
      await waitFor('every server to learn every commit', () => hosts.every((host) => statusOf(host).commitIndex >= fourth));
      const committed = statusOf(leaderOf(hosts)!).log.slice(0, fourth).map((entry) => entry.value);
      expect(new Set(committed)).toEqual(new Set(['a', 'b', 'c', 'd']));
      checkRaftSafety(hosts);
    } finally {
      clearInterval(safety);
      await Promise.all(hosts.map((host) => host.stop()));
    }
  }, 30_000);
});
