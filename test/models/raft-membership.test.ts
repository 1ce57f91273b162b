import { describe, expect, it } from 'vitest';
import { driven } from './raft-driven.ts';
import { check } from '../../src/checker/index.ts';
import type { LogEntry, RaftContext } from '../../src/protocols/raft/index.ts';
import { changesMembershipBeforeCommittingInTerm, configurationValue, latestConfiguration, server, validateRaftMessage } from '../../src/protocols/raft/index.ts';
import membership from '../../models/raft/membership.ts';
import membershipBeforeTermCommit from '../../models/raft/broken/membership-before-term-commit.ts';

const CONFIG = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
const ELECTION_TIMEOUT = 'xstate.after.electionTimeout.raft.follower';
const entry = (term: number, value = 'v'): LogEntry => ({ term, value });
const configEntry = (term: number, members: string[]): LogEntry => ({ term, value: configurationValue(members), config: members });
/** models/raft/membership.ts at its defaults. */
const EXPECTED_DISTINCT = 864178;
const defaults = (file: typeof membership) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));


const sends = (effects: readonly { type: string }[]) => effects.filter((e) => e.type === 'send') as unknown as { to: string; message: Record<string, unknown> & { type: string } }[];
const replies = (effects: readonly { type: string }[]) => effects.filter((e) => e.type === 'reply');

/** s1, leader of term 1 over {s1,s2,s3} (s2's vote); with `committed`, an entry of its term committed by s2's acknowledgement. */
function leader(machine: typeof server = server, committed = true) {
  const s1 = driven(machine, { id: 's1', peers: ['s2', 's3'], durable: {}, config: CONFIG });
  s1.step({ type: ELECTION_TIMEOUT });
  s1.step({ type: 'RequestVoteResponse', from: 's2', term: 1, voteGranted: true });
  expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
  if (committed) {
    s1.step({ type: 'ClientRequest', value: 'v' });
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    expect(s1.context.commitIndex).toBe(1);
  }
  return s1;
}

describe('membership changes in the server machine (thesis §4.1–4.2)', () => {
  it('the initial configuration is the peers and the server itself; a joining server is not in its own', () => {
    expect(leader(server, false).members).toEqual(['s1', 's2', 's3']);
    const s4 = driven(server, { id: 's4', peers: ['s1', 's2', 's3'], durable: {}, config: { ...CONFIG, joining: true } });
    expect(s4.members).toEqual(['s1', 's2', 's3']);
    // §4.2.2: outside its own configuration its election timer starts no election.
    s4.step({ type: ELECTION_TIMEOUT });
    expect(s4.snapshot.value).toBe('follower');
    expect(s4.context.currentTerm).toBe(0);
    expect(s4.step({ type: 'TimeoutNow', from: 's1', term: 0 }).effects).toEqual([]);
    expect(s4.snapshot.value).toBe('follower');
  });

  it('the 2015 fix: a leader that has not committed an entry of its term refuses; the broken one appends at once', () => {
    const fresh = leader(server, false);
    expect(fresh.step({ type: 'ChangeMembership', add: 's4', client: 'admin', requestId: 1 }).effects).toEqual([
      { type: 'reply', client: 'admin', requestId: 1, result: { error: 'no entry committed in this term' } },
    ]);
    expect(fresh.context.log).toEqual([]);
    const broken = leader(changesMembershipBeforeCommittingInTerm, false);
    broken.step({ type: 'ChangeMembership', add: 's4' });
    expect(broken.context.log).toEqual([configEntry(1, ['s1', 's2', 's3', 's4'])]);
  });

  it('adds a server: the configuration entry is persisted, in force at once, replicated to the new member, answered once it commits', () => {
    const s1 = leader();
    const added = s1.step({ type: 'ChangeMembership', add: 's4', client: 'admin', requestId: 7 });
    const entry4 = configEntry(1, ['s1', 's2', 's3', 's4']);
    expect(added.effects[0]).toEqual({ type: 'persist', append: { log: [entry4] } });
    expect(s1.context.log).toEqual([entry(1), entry4]);
    expect(s1.members).toEqual(['s1', 's2', 's3', 's4']);
    expect(sends(added.effects).map((e) => e.to)).toEqual(['s2', 's3', 's4']);
    expect(replies(added.effects)).toEqual([]);
    // A majority of the new configuration is three of four: s1 and s2 are not enough.
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 2 });
    expect(s1.context.commitIndex).toBe(1);
    // The new server, empty, rejects the first probe and is caught up from its hint.
    const probe = s1.step({ type: 'AppendEntriesResponse', from: 's4', term: 1, success: false, matchIndex: 0, rejectHint: 0 });
    expect(sends(probe.effects)).toEqual([
      { type: 'send', to: 's4', message: { type: 'AppendEntries', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1), entry4], leaderCommit: 1 } },
    ]);
    const committed = s1.step({ type: 'AppendEntriesResponse', from: 's4', term: 1, success: true, matchIndex: 2 });
    expect(s1.context.commitIndex).toBe(2);
    expect(replies(committed.effects)).toEqual([{ type: 'reply', client: 'admin', requestId: 7, result: { index: 2, members: ['s1', 's2', 's3', 's4'] } }]);
    expect(s1.context.membershipChange).toBeNull();
    // Answered once: a duplicate acknowledgement answers nothing.
    expect(replies(s1.step({ type: 'AppendEntriesResponse', from: 's3', term: 1, success: true, matchIndex: 2 }).effects)).toEqual([]);
  });

  it('refuses what it cannot take, with an answer the host can report', () => {
    const refusal = (s: ReturnType<typeof driven>, change: object, requestId: number) =>
      s.step({ type: 'ChangeMembership', ...change, client: 'admin', requestId }).effects;
    const follower = driven(server, { id: 's2', peers: ['s1', 's3'], durable: {}, config: CONFIG });
    expect(refusal(follower, { add: 's4' }, 1)).toEqual([{ type: 'reply', client: 'admin', requestId: 1, result: { error: 'not leader' } }]);
    const s1 = leader();
    const error = (result: readonly object[]) => (result[0] as { result: { error: string } }).result.error;
    expect(error(refusal(s1, { add: 's4', remove: 's3' }, 2))).toBe('invalid change');
    expect(error(refusal(s1, {}, 3))).toBe('invalid change');
    expect(error(refusal(s1, { add: 's2' }, 4))).toBe('already a member');
    expect(error(refusal(s1, { remove: 's9' }, 5))).toBe('not a member');
    expect(s1.context.log).toEqual([entry(1)]);
    // One change at a time (§4.2): the next waits for the first to commit.
    s1.step({ type: 'ChangeMembership', remove: 's3' });
    expect(error(refusal(s1, { add: 's4' }, 6))).toBe('change in progress');
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 2 });
    expect(s1.context.commitIndex).toBe(2);
    expect(s1.members).toEqual(['s1', 's2']);
    // Down to one server, the last cannot go.
    s1.step({ type: 'ChangeMembership', remove: 's2' });
    expect(s1.members).toEqual(['s1']);
    expect(s1.context.commitIndex).toBe(3);
    expect(error(refusal(s1, { remove: 's1' }, 7))).toBe('last member');
    // While transferring its leadership, none.
    const s1b = leader();
    s1b.step({ type: 'TransferLeadership', to: 's2' });
    expect(error(refusal(s1b, { add: 's4' }, 8))).toBe('transfer in progress');
  });

  it('a leader deposed before its change commits answers that it lost its leadership', () => {
    const s1 = leader();
    s1.step({ type: 'ChangeMembership', add: 's4', client: 'admin', requestId: 9 });
    const deposed = s1.step({ type: 'AppendEntries', from: 's3', term: 2, leaderId: 's3', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(s1.snapshot.value).toBe('follower');
    expect(replies(deposed.effects)).toEqual([{ type: 'reply', client: 'admin', requestId: 9, result: { error: 'leadership lost' } }]);
  });

  it('a leader that removes itself does not count itself, steps down once the entry commits, and never campaigns (§4.2.2)', () => {
    const s1 = leader();
    s1.step({ type: 'ChangeMembership', remove: 's1', client: 'admin', requestId: 1 });
    expect(s1.members).toEqual(['s2', 's3']);
    // s2 and s1 store it: a majority of {s1,s2,s3}, not of {s2,s3} without s1.
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 2 });
    expect(s1.context.commitIndex).toBe(1);
    expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
    const done = s1.step({ type: 'AppendEntriesResponse', from: 's3', term: 1, success: true, matchIndex: 2 });
    expect(replies(done.effects)).toEqual([{ type: 'reply', client: 'admin', requestId: 1, result: { index: 2, members: ['s2', 's3'] } }]);
    // Both remaining members are told the new commitIndex before it steps down.
    expect(sends(done.effects).map((e) => [e.to, e.message.leaderCommit])).toEqual([
      ['s2', 2],
      ['s3', 2],
    ]);
    expect(s1.snapshot.value).toBe('follower');
    expect(s1.context.currentTerm).toBe(1);
    s1.step({ type: ELECTION_TIMEOUT });
    expect(s1.snapshot.value).toBe('follower');
    expect(s1.context.currentTerm).toBe(1);
  });

  it('a follower uses the latest configuration in its log, committed or not, and falls back when it is cut (§4.1)', () => {
    const s2 = driven(server, { id: 's2', peers: ['s1', 's3'], durable: {}, config: CONFIG });
    s2.step({ type: 'AppendEntries', from: 's1', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1), configEntry(1, ['s1', 's2'])], leaderCommit: 1 });
    expect(s2.members).toEqual(['s1', 's2']);
    expect(s2.context.commitIndex).toBe(1);
    // A candidate over {s1,s2} asks only s1 for its vote.
    const campaign = s2.step({ type: ELECTION_TIMEOUT });
    expect(sends(campaign.effects).map((e) => e.to)).toEqual(['s1']);
    // The leader of term 3 overwrites the uncommitted configuration entry: back to the initial one.
    s2.step({ type: 'AppendEntries', from: 's3', term: 3, leaderId: 's3', prevLogIndex: 1, prevLogTerm: 1, entries: [entry(3, 'w')], leaderCommit: 1 });
    expect(s2.context.log).toEqual([entry(1), entry(3, 'w')]);
    expect(s2.members).toEqual(['s1', 's2', 's3']);
  });

  it('a joining server becomes a member, and may campaign, once its log holds the entry adding it', () => {
    const s4 = driven(server, { id: 's4', peers: ['s1', 's2', 's3'], durable: {}, config: { ...CONFIG, joining: true } });
    s4.step({ type: 'AppendEntries', from: 's1', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1), configEntry(1, ['s1', 's2', 's3', 's4'])], leaderCommit: 1 });
    expect(s4.members).toEqual(['s1', 's2', 's3', 's4']);
    const campaign = s4.step({ type: ELECTION_TIMEOUT });
    expect(s4.snapshot.value).toBe('candidate');
    expect(sends(campaign.effects).map((e) => e.to)).toEqual(['s1', 's2', 's3']);
  });

  it('the snapshot carries the configuration at its last entry, persisted and sent in InstallSnapshot (thesis §5.1)', () => {
    const s1 = leader();
    const four = ['s1', 's2', 's3', 's4'];
    s1.step({ type: 'ChangeMembership', add: 's4' });
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 2 });
    s1.step({ type: 'AppendEntriesResponse', from: 's3', term: 1, success: true, matchIndex: 2 });
    expect(s1.context.commitIndex).toBe(2);
    expect(s1.step({ type: 'Compact', index: 2, snapshot: 'state@2' }).effects).toEqual([
      { type: 'persist', set: { snapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: 'state@2', config: four } }, drop: { log: 2 } },
    ]);
    expect(s1.context.log).toEqual([]);
    expect(s1.members).toEqual(four);
    // The new server, behind the snapshot, gets it with the configuration, and uses it.
    const retry = s1.step({ type: 'AppendEntriesResponse', from: 's4', term: 1, success: false, matchIndex: 0, rejectHint: 0 });
    const [install] = sends(retry.effects);
    expect(install!.message).toMatchObject({ type: 'InstallSnapshot', lastIncludedIndex: 2, config: four });
    expect(validateRaftMessage(install!.message)).toBe(true);
    const s4 = driven(server, { id: 's4', peers: ['s1', 's2', 's3'], durable: { currentTerm: 1 }, config: { ...CONFIG, joining: true } });
    expect(s4.members).toEqual(['s1', 's2', 's3']);
    s4.step({ ...install!.message, from: 's1' });
    expect(s4.context).toMatchObject({ lastIncludedIndex: 2, snapshotConfig: four });
    expect(s4.members).toEqual(four);
    // And a restart from the durable image keeps it.
    const restarted = driven(server, { id: 's4', peers: ['s1', 's2', 's3'], durable: { currentTerm: 1, snapshot: { lastIncludedIndex: 2, lastIncludedTerm: 1, data: 'state@2', config: four }, log: [] }, config: { ...CONFIG, joining: true } });
    expect(restarted.members).toEqual(four);
    // Without a change, snapshots and InstallSnapshot are as before: no config field.
    const plain = leader();
    expect(plain.step({ type: 'Compact', index: 1, snapshot: 's' }).effects).toEqual([{ type: 'persist', set: { snapshot: { lastIncludedIndex: 1, lastIncludedTerm: 1, data: 's' } }, drop: { log: 1 } }]);
  });

  it('the peer message schema takes configuration entries and snapshot configurations, strictly', () => {
    const append = (entries: unknown[]) => ({ type: 'AppendEntries', term: 1, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries, leaderCommit: 0 });
    expect(validateRaftMessage(append([configEntry(1, ['s1', 's2'])]))).toBe(true);
    expect(validateRaftMessage(append([{ term: 1, value: 'x', config: [] }]))).toMatch(/entries/);
    expect(validateRaftMessage(append([{ term: 1, value: 'x', config: ['s2', 's1'] }]))).toMatch(/entries/);
    expect(validateRaftMessage(append([{ term: 1, value: 'x', config: ['s1', 's1'] }]))).toMatch(/entries/);
    expect(validateRaftMessage(append([{ term: 1, value: 'x', config: 's1' }]))).toMatch(/entries/);
    expect(validateRaftMessage(append([{ term: 1, value: 'x', config: [{ id: 's1' }] }]))).toMatch(/entries/);
    const chunk = { type: 'InstallSnapshot', term: 1, leaderId: 's1', lastIncludedIndex: 1, lastIncludedTerm: 1, offset: 0, data: 'd', done: true };
    expect(validateRaftMessage(chunk)).toBe(true);
    expect(validateRaftMessage({ ...chunk, config: ['s1'] })).toBe(true);
    expect(validateRaftMessage({ ...chunk, config: [7] })).toMatch(/config/);
    expect(validateRaftMessage({ type: 'ChangeMembership', term: 1, add: 's4' })).toMatch(/not a Raft message type/);
  });
});

describe('raft/membership: single-server changes with the 2015 fix, exhaustive', () => {
  it('every property holds over the recorded number of states; a change commits, a removed leader steps down', () => {
    const parameters = defaults(membership);
    const result = check(membership.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: EXPECTED_DISTINCT });
    expect(membership.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: EXPECTED_DISTINCT });
    expect(result.goals).toEqual([
      { name: 'EntryCommitted', reached: true },
      { name: 'ChangeCommitted', reached: true },
      { name: 'RemovedLeaderSteppedDown', reached: true },
    ]);
  }, 180_000);
});

describe('broken: membership changes before the leader has committed an entry of its term (Ongaro, raft-dev, July 2015)', () => {
  // 7,821,262 states: about a minute and 1.3 GB here, the longest model check in CI.
  it('two leaders of term 3, elected under two configurations that share no majority: ElectionSafety fails', () => {
    const result = check(membershipBeforeTermCommit.build({}));
    expect(result.violation).toMatchObject({ property: 'ElectionSafety', kind: 'always' });
    expect(result.distinct).toBe(7_821_262);
    expect(membershipBeforeTermCommit.expected({})).toMatchObject({ verdict: 'violation', property: 'ElectionSafety' });
    const trace = result.violation!.trace!;
    expect(trace.steps).toHaveLength(22);
    // Both changes were taken before their leaders had committed anything in their terms.
    const changes = trace.steps.flatMap((step) => (step.action.kind === 'spontaneous' && step.action.event.type === 'ChangeMembership' ? [[step.action.node, step.action.event]] : []));
    expect(changes).toEqual([
      ['s1', { type: 'ChangeMembership', add: 's5' }],
      ['s2', { type: 'ChangeMembership', remove: 's4' }],
    ]);
    const leaders = trace.final.nodes.filter((node) => typeof node.value === 'object' && 'leader' in (node.value as object));
    expect(leaders.map((node) => [node.id, (node.context as RaftContext).currentTerm, latestConfiguration(node.context as RaftContext).members])).toEqual([
      ['s1', 3, ['s1', 's2', 's3', 's4', 's5']],
      ['s3', 3, ['s1', 's2', 's3']],
    ]);
  }, 400_000);
});
