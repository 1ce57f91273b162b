import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/manual-clock.ts';
import type { NodeHost } from '../../src/runtime/node-host.ts';
import { MemoryStore } from '../../src/runtime/storage/memory-store.ts';
import { MemoryNetwork, type NetworkFaults } from '../../src/runtime/transport/memory-network.ts';
import { turn } from './helpers.ts';
import { DEFAULT_RAFT_CONFIG, type RaftConfig } from '../../src/protocols/raft/index.ts';
import type { TimerPolicy } from '../../src/runtime/timer-policy.ts';
import { checkRaftSafety, leaderOf, RAFT_IDS, raftHost, statusOf } from './raft-cluster.ts';

/**
 * A three-server Raft cluster on a MemoryNetwork and a ManualClock: time moves one millisecond at a
 * time, and between milliseconds the hosts' flushes and the deliveries due get to run. Everything is
 * seeded, so a failure replays.
 */
function cluster(seed: number, faults: NetworkFaults = { delayMs: { min: 1, max: 5 } }, host: { config?: RaftConfig; timers?: TimerPolicy } = {}) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ seed, clock, faults });
  const stores = Object.fromEntries(RAFT_IDS.map((id) => [id, new MemoryStore()]));
  const hosts: NodeHost[] = RAFT_IDS.map((id, i) => raftHost(id, { store: stores[id]!, transport: network.endpoint(id), clock, seed: seed * 10 + i, ...host }));
  for (const host of hosts) host.start();

  /** Runs simulated time until `condition` holds (checking safety every millisecond), failing after `limitMs`. */
  async function runUntil(what: string, condition: () => boolean, limitMs = 10_000): Promise<void> {
    for (let ms = 0; !condition(); ms++) {
      if (ms >= limitMs) throw new Error(`${what}: not within ${limitMs} simulated ms`);
      clock.advance(1);
      await turn();
      await turn();
      checkRaftSafety(hosts);
    }
  }

  /** Runs simulated time until `promise` settles. */
  async function settle<T>(what: string, promise: Promise<T>, limitMs = 10_000): Promise<T> {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    await runUntil(what, () => done, limitMs);
    return promise;
  }

  return { clock, network, stores, hosts, runUntil, settle };
}

describe('a three-server Raft cluster on the in-memory network', () => {
  it('elects one leader and commits client requests on every server, whose stores hold what they acted on', async () => {
    const { hosts, stores, runUntil, settle } = cluster(1);
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const leader = leaderOf(hosts)!;
    const replies = await settle('replies', Promise.all(['a', 'b', 'c'].map((value) => leader.submit({ type: 'ClientRequest', value }))));
    expect(replies).toEqual([
      { index: 1, value: 'a' },
      { index: 2, value: 'b' },
      { index: 3, value: 'c' },
    ]);
    await runUntil('every server to learn the commit', () => hosts.every((host) => statusOf(host).commitIndex === 3));
    const term = statusOf(leader).term;
    for (const host of hosts) {
      expect(statusOf(host).log).toEqual(['a', 'b', 'c'].map((value) => ({ term, value })));
      // The durable image holds what the server acted on.
      expect(stores[host.id]!.load()).toMatchObject({ currentTerm: term, log: statusOf(host).log.map((entry) => expect.objectContaining(entry)) });
    }
    // A follower refuses client requests.
    const follower = hosts.find((host) => host !== leader)!;
    expect(await settle('refusal', follower.submit({ type: 'ClientRequest', value: 'x' }))).toEqual({ error: 'not leader' });
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('keeps committing with lost, duplicated and reordered messages', async () => {
    const { hosts, network, runUntil, settle } = cluster(2, { dropProbability: 0.1, duplicateProbability: 0.1, delayMs: { min: 1, max: 20 } });
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const leader = leaderOf(hosts)!;
    for (const value of ['a', 'b', 'c', 'd']) {
      expect(await settle(`commit of ${value}`, leader.submit({ type: 'ClientRequest', value }))).toMatchObject({ value });
    }
    expect(network.stats.dropped).toBeGreaterThan(0);
    expect(network.stats.duplicated).toBeGreaterThan(0);
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('a leader cut off from the majority cannot commit; the majority elects another, and after the heal the old leader follows', async () => {
    const { hosts, network, runUntil, settle } = cluster(3);
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const oldLeader = leaderOf(hosts)!;
    const others = hosts.filter((host) => host !== oldLeader);
    const oldTerm = statusOf(oldLeader).term;
    network.partition(oldLeader.id, others.map((host) => host.id));
    const stranded = oldLeader.submit({ type: 'ClientRequest', value: 'stranded' }, { timeoutMs: 2_000 });
    await runUntil('a new leader', () => others.some((host) => leaderOf(others) === host && statusOf(host).term > oldTerm));
    const newLeader = leaderOf(others)!;
    expect(await settle('commit in the majority', newLeader.submit({ type: 'ClientRequest', value: 'majority' }))).toMatchObject({ index: 1, value: 'majority' });
    await expect(settle('stranded request', stranded)).rejects.toThrow(/no reply/);
    network.heal();
    await runUntil('the old leader to follow', () => leaderOf(hosts) === newLeader && statusOf(oldLeader).commitIndex === 1);
    // Its uncommitted entry was overwritten by the committed one (§5.3).
    expect(statusOf(oldLeader).log).toEqual(statusOf(newLeader).log);
    expect(statusOf(oldLeader).log.map((entry) => entry.value)).toEqual(['majority']);
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('a server restarted from its store keeps its term, vote and log, and catches up', async () => {
    const { hosts, stores, network, clock, runUntil, settle } = cluster(4);
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const leader = leaderOf(hosts)!;
    await settle('commit', leader.submit({ type: 'ClientRequest', value: 'a' }));
    const victim = hosts.find((host) => host !== leader)!;
    await runUntil('the follower to store the entry', () => statusOf(victim).log.length === 1);
    const before = statusOf(victim);
    await victim.crash();
    const restarted = raftHost(victim.id, { store: stores[victim.id]!.reopen(), transport: network.endpoint(victim.id), clock, seed: 99 });
    restarted.start();
    hosts[hosts.indexOf(victim)] = restarted;
    expect(statusOf(restarted)).toEqual({ term: before.term, votedFor: before.votedFor, log: before.log, commitIndex: 0 });
    await settle('commit after restart', leaderOf(hosts)!.submit({ type: 'ClientRequest', value: 'b' }));
    await runUntil('the restarted server to catch up', () => statusOf(restarted).commitIndex === 2);
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('a follower that missed 30 entries is caught up after one rejection, not one per missing entry (the reject hint)', async () => {
    const { hosts, network, runUntil, settle } = cluster(6);
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const leader = leaderOf(hosts)!;
    const behind = hosts.find((host) => host !== leader)!;
    network.partition(behind.id, hosts.filter((host) => host !== behind).map((host) => host.id));
    for (let i = 0; i < 30; i++) await settle(`commit ${i}`, leader.submit({ type: 'ClientRequest', value: `v${i}` }));
    let rejections = 0;
    network.drop((from, _to, message) => {
      if (from === behind.id && message.type === 'AppendEntriesResponse' && message.success === false) rejections++;
      return false;
    });
    network.heal();
    await runUntil('the follower to catch up', () => statusOf(behind).commitIndex === 30);
    expect(statusOf(behind).log).toHaveLength(30);
    expect(rejections).toBeGreaterThanOrEqual(1);
    expect(rejections).toBeLessThanOrEqual(2);
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('with maxEntriesPerAppend, a follower far behind is caught up in chunks, each acknowledged chunk followed at once by the next', async () => {
    // Election timeouts far above the test's span: the cut-off follower stays a follower, so what is
    // timed below is the catch-up alone, not an election after the heal.
    const { hosts, network, runUntil, settle, clock } = cluster(
      7,
      { delayMs: { min: 1, max: 5 } },
      { config: { ...DEFAULT_RAFT_CONFIG, maxEntriesPerAppend: 4 }, timers: { electionTimeout: { min: 3000, max: 4000 }, heartbeatTimeout: 50 } },
    );
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const leader = leaderOf(hosts)!;
    const behind = hosts.find((host) => host !== leader)!;
    network.partition(behind.id, hosts.filter((host) => host !== behind).map((host) => host.id));
    for (let i = 0; i < 30; i++) await settle(`commit ${i}`, leader.submit({ type: 'ClientRequest', value: `v${i}` }));
    let largest = 0;
    network.drop((_from, _to, message) => {
      if (message.type === 'AppendEntries') largest = Math.max(largest, (message.entries as unknown[]).length);
      return false;
    });
    network.heal();
    const healedAt = clock.now();
    await runUntil('the follower to catch up', () => statusOf(behind).commitIndex === 30);
    expect(leaderOf(hosts)).toBe(leader);
    expect(largest).toBe(4);
    // Eight chunks in a row, not one per heartbeat (50 ms each): well under 8 heartbeats.
    expect(clock.now() - healedAt).toBeLessThan(200);
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('group commit: a burst of 200 requests costs the leader one store commit', async () => {
    const { hosts, stores, runUntil, settle } = cluster(5);
    await runUntil('a leader', () => leaderOf(hosts) !== undefined);
    const leader = leaderOf(hosts)!;
    const commitsBefore = (stores[leader.id] as MemoryStore).commits;
    const stepsBefore = leader.status().steps;
    const replies = await settle('200 commits', Promise.all(Array.from({ length: 200 }, (_, i) => leader.submit({ type: 'ClientRequest', value: `v${i}` }))));
    expect(replies.map((reply) => (reply as { index: number }).index)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const commits = (stores[leader.id] as MemoryStore).commits - commitsBefore;
    const steps = leader.status().steps - stepsBefore;
    // 200 client steps, each persisting an entry, went to disk in one commit; the responses that
    // followed persisted nothing.
    expect(steps).toBeGreaterThanOrEqual(200);
    expect(commits).toBe(1);
    expect((stores[leader.id] as MemoryStore).load().log).toHaveLength(200);
    await Promise.all(hosts.map((host) => host.stop()));
  });
});
