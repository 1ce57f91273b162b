import { describe, expect, it } from 'vitest';
import { driven } from './raft-driven.ts';
import { check } from '../../src/checker/index.ts';
import type { LogEntry, RaftContext } from '../../src/protocols/raft/index.ts';
import { server, TRANSFER_IN_PROGRESS, transfersToLaggingFollower, validateRaftMessage } from '../../src/protocols/raft/index.ts';
import type { Servers, TransferState } from '../../spec/raft.ts';
import { NO_TRANSFERS, recordTransfers, TimeoutNowOnlyToUpToDate, transferCompleted } from '../../spec/raft.ts';
import transfer from '../../models/raft/transfer.ts';
import transfersToLagging from '../../models/raft/broken/transfers-to-lagging.ts';

const CONFIG = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
/** The transfer's timeout: the election timer, armed in the transferring leader (thesis §3.10: "within an election timeout"). */
const TRANSFER_TIMEOUT = 'xstate.after.electionTimeout.raft.leader.transferring';
const entry = (term: number, value = 'v'): LogEntry => ({ term, value });
const defaults = (file: typeof transfer) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));


/** s1, leader of term 1 (s2's vote), with one entry of its term in its log that no follower has acknowledged. */
function leaderWithUnreplicatedEntry(machine: typeof server = server) {
  const s1 = driven(machine, { id: 's1', peers: ['s2', 's3'], durable: {}, config: CONFIG });
  s1.step({ type: 'xstate.after.electionTimeout.raft.follower' });
  s1.step({ type: 'RequestVoteResponse', from: 's2', term: 1, voteGranted: true });
  expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
  s1.step({ type: 'ClientRequest', value: 'w' });
  expect(s1.context.log).toEqual([entry(1, 'w')]);
  return s1;
}

const sends = (effects: readonly { type: string }[]) => effects.filter((e) => e.type === 'send') as unknown as { to: string; message: { type: string; term: number } }[];
const replies = (effects: readonly { type: string }[]) => effects.filter((e) => e.type === 'reply');

describe('leadership transfer in the server machine (thesis §3.10)', () => {
  it('refuses a transfer it cannot take, with an answer the host can report: not leader, to itself, to a non-member', () => {
    const follower = driven(server, { id: 's2', peers: ['s1', 's3'], durable: { currentTerm: 1 }, config: CONFIG });
    expect(follower.step({ type: 'TransferLeadership', to: 's3', client: 'admin', requestId: 1 }).effects).toEqual([
      { type: 'reply', client: 'admin', requestId: 1, result: { error: 'not leader' } },
    ]);
    const s1 = leaderWithUnreplicatedEntry();
    expect(s1.step({ type: 'TransferLeadership', to: 's1', client: 'admin', requestId: 2 }).effects).toEqual([
      { type: 'reply', client: 'admin', requestId: 2, result: { error: 'already leader' } },
    ]);
    expect(s1.step({ type: 'TransferLeadership', to: 's9', client: 'admin', requestId: 3 }).effects).toEqual([
      { type: 'reply', client: 'admin', requestId: 3, result: { error: 'unknown server' } },
    ]);
    expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
    expect(s1.context.transfer).toBeNull();
    // Without a client to answer, a refusal changes nothing and says nothing.
    expect(s1.step({ type: 'TransferLeadership', to: 's1' }).effects).toEqual([]);
  });

  it('waits for a lagging target to catch up, refusing client requests meanwhile, then sends it TimeoutNow', () => {
    const s1 = leaderWithUnreplicatedEntry();
    const begun = s1.step({ type: 'TransferLeadership', to: 's2', client: 'admin', requestId: 1 });
    expect(s1.snapshot.value).toEqual({ leader: { transferring: 'catchingUp' } });
    expect(s1.context.transfer).toEqual({ to: 's2', client: 'admin', requestId: 1 });
    // s2's matchIndex is 0, the last log index 1: no TimeoutNow yet, and the transfer's timer runs.
    expect(begun.effects).toEqual([]);
    expect(begun.armed).toContain(TRANSFER_TIMEOUT);
    // §3.10: no new client request is taken while the leadership is being handed over.
    expect(s1.step({ type: 'ClientRequest', value: 'x', client: 'c', requestId: 7 }).effects).toEqual([
      { type: 'reply', client: 'c', requestId: 7, result: { error: TRANSFER_IN_PROGRESS } },
    ]);
    expect(s1.context.log).toEqual([entry(1, 'w')]);
    expect(s1.step({ type: 'TransferLeadership', to: 's3', client: 'admin', requestId: 2 }).effects).toEqual([
      { type: 'reply', client: 'admin', requestId: 2, result: { error: 'transfer in progress' } },
    ]);
    // Another follower catching up commits the entry, but is not the target.
    const other = s1.step({ type: 'AppendEntriesResponse', from: 's3', term: 1, success: true, matchIndex: 1 });
    expect(s1.context.commitIndex).toBe(1);
    expect(sends(other.effects).map((e) => e.message.type)).toEqual(['AppendEntries', 'AppendEntries']);
    expect(s1.snapshot.value).toEqual({ leader: { transferring: 'catchingUp' } });
    // A rejection from the target does not take its matchIndex to the end either.
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: false, matchIndex: 0, rejectHint: 0 });
    expect(s1.snapshot.value).toEqual({ leader: { transferring: 'catchingUp' } });
    // The target acknowledges the last entry: TimeoutNow, to it alone, once.
    const caughtUp = s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    expect(sends(caughtUp.effects)).toEqual([{ type: 'send', to: 's2', message: { type: 'TimeoutNow', term: 1 } }]);
    expect(s1.snapshot.value).toEqual({ leader: { transferring: 'timeoutNowSent' } });
    // The transfer timer was not restarted by the change of substate.
    expect(caughtUp.armed).not.toContain(TRANSFER_TIMEOUT);
    const again = s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    expect(sends(again.effects)).toEqual([]);
  });

  it('sends TimeoutNow at once to a target already caught up', () => {
    const s1 = leaderWithUnreplicatedEntry();
    s1.step({ type: 'AppendEntriesResponse', from: 's3', term: 1, success: true, matchIndex: 1 });
    const begun = s1.step({ type: 'TransferLeadership', to: 's3' });
    expect(sends(begun.effects)).toEqual([{ type: 'send', to: 's3', message: { type: 'TimeoutNow', term: 1 } }]);
    expect(s1.snapshot.value).toEqual({ leader: { transferring: 'timeoutNowSent' } });
  });

  it('abandons a transfer that does not complete within an election timeout, and takes client requests again', () => {
    const s1 = leaderWithUnreplicatedEntry();
    s1.step({ type: 'TransferLeadership', to: 's2', client: 'admin', requestId: 1 });
    const timedOut = s1.step({ type: TRANSFER_TIMEOUT });
    expect(timedOut.effects).toEqual([{ type: 'reply', client: 'admin', requestId: 1, result: { error: 'transfer timed out' } }]);
    expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
    expect(s1.context.transfer).toBeNull();
    s1.step({ type: 'ClientRequest', value: 'x' });
    expect(s1.context.log).toEqual([entry(1, 'w'), entry(1, 'x')]);
    // And a new transfer may be asked.
    s1.step({ type: 'TransferLeadership', to: 's3' });
    expect(s1.snapshot.value).toEqual({ leader: { transferring: 'catchingUp' } });
  });

  it("ends the transfer when the leader steps down — on the target's RequestVote of the next term — and votes for the target", () => {
    const s1 = leaderWithUnreplicatedEntry();
    s1.step({ type: 'TransferLeadership', to: 's2', client: 'admin', requestId: 1 });
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    const deposed = s1.step({ type: 'RequestVote', from: 's2', term: 2, candidateId: 's2', lastLogIndex: 1, lastLogTerm: 1 });
    expect(s1.snapshot.value).toBe('follower');
    expect(s1.context).toMatchObject({ currentTerm: 2, votedFor: 's2', transfer: null, matchIndex: {} });
    expect(replies(deposed.effects)).toEqual([{ type: 'reply', client: 'admin', requestId: 1, result: { steppedDown: true } }]);
    expect(sends(deposed.effects)).toEqual([{ type: 'send', to: 's2', message: { type: 'RequestVoteResponse', term: 2, voteGranted: true } }]);
    // A follower refuses client requests as before, transfers too.
    expect(s1.step({ type: 'TransferLeadership', to: 's3', client: 'admin', requestId: 2 }).effects).toEqual([
      { type: 'reply', client: 'admin', requestId: 2, result: { error: 'not leader' } },
    ]);
  });

  it('the target campaigns at once on a TimeoutNow of its term, as if its election timer had fired', () => {
    const s2 = driven(server, { id: 's2', peers: ['s1', 's3'], durable: { currentTerm: 1, votedFor: 's1', log: [entry(1)] }, config: CONFIG });
    const campaign = s2.step({ type: 'TimeoutNow', from: 's1', term: 1 });
    expect(s2.snapshot.value).toBe('candidate');
    expect(s2.context).toMatchObject({ currentTerm: 2, votedFor: 's2', votesGranted: ['s2'] });
    expect(campaign.effects.map((e) => e.type)).toEqual(['persist', 'send', 'send']);
    expect(campaign.effects[0]).toEqual({ type: 'persist', set: { currentTerm: 2, votedFor: 's2' } });
    expect(sends(campaign.effects).map((e) => [e.to, e.message])).toEqual([
      ['s1', { type: 'RequestVote', term: 2, candidateId: 's2', lastLogIndex: 1, lastLogTerm: 1 }],
      ['s3', { type: 'RequestVote', term: 2, candidateId: 's2', lastLogIndex: 1, lastLogTerm: 1 }],
    ]);
    // A candidate of the term the TimeoutNow is of starts the next election, as on its timer.
    s2.step({ type: 'TimeoutNow', from: 's3', term: 2 });
    expect(s2.context.currentTerm).toBe(3);
  });

  it('ignores a stale TimeoutNow; one of a newer term is taken as of that term, then campaigned on', () => {
    const s2 = driven(server, { id: 's2', peers: ['s1', 's3'], durable: { currentTerm: 3, votedFor: null }, config: CONFIG });
    expect(s2.step({ type: 'TimeoutNow', from: 's1', term: 2 }).effects).toEqual([]);
    expect(s2.snapshot.value).toBe('follower');
    expect(s2.context.currentTerm).toBe(3);
    s2.step({ type: 'TimeoutNow', from: 's1', term: 5 });
    expect(s2.snapshot.value).toBe('candidate');
    expect(s2.context.currentTerm).toBe(6);
    // A leader that hears a TimeoutNow of its own term (no other leader of it can exist) ignores it.
    const s1 = leaderWithUnreplicatedEntry();
    expect(s1.step({ type: 'TimeoutNow', from: 's3', term: 1 }).effects).toEqual([]);
    expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
  });

  it('the broken leader sends TimeoutNow to a target that lacks its last entry', () => {
    const s1 = leaderWithUnreplicatedEntry(transfersToLaggingFollower);
    const begun = s1.step({ type: 'TransferLeadership', to: 's2' });
    expect(s1.context.matchIndex.s2).toBe(0);
    expect(sends(begun.effects)).toEqual([{ type: 'send', to: 's2', message: { type: 'TimeoutNow', term: 1 } }]);
  });

  it('TimeoutNow passes the peer message schema; the host-side TransferLeadership does not', () => {
    expect(validateRaftMessage({ type: 'TimeoutNow', term: 4 })).toBe(true);
    expect(validateRaftMessage({ type: 'TimeoutNow', term: -1 })).toMatch(/term/);
    expect(validateRaftMessage({ type: 'TimeoutNow' })).toMatch(/term/);
    expect(validateRaftMessage({ type: 'TransferLeadership', term: 1, to: 's2' })).toMatch(/not a Raft message type/);
  });
});

describe('the transfer spec', () => {
  const leading = (term: number, to: string, timeoutNowSent: boolean, log = [entry(1)]): TransferState => ({ term, to, timeoutNowSent, log });
  const server = (role: Servers[string]['role'], term: number, terms: number[]) => ({ role, term, log: terms.map((t) => entry(t)), commitIndex: 0 });

  it('counts transfers begun, and records the log a leader had when it sent TimeoutNow', () => {
    const terms = { s1: 1, s2: 1, s3: 1 };
    let history = recordTransfers(NO_TRANSFERS, { transfers: {}, terms });
    expect(history).toBe(NO_TRANSFERS);
    history = recordTransfers(history, { transfers: { s1: leading(1, 's2', false) }, terms });
    expect(history).toMatchObject({ begun: 1, timeoutNow: {} });
    // The same transfer going on is a stutter.
    expect(recordTransfers(history, { transfers: { s1: leading(1, 's2', false) }, terms })).toBe(history);
    history = recordTransfers(history, { transfers: { s1: leading(1, 's2', true) }, terms });
    expect(history).toMatchObject({ begun: 1, timeoutNow: { 1: { s2: { leader: 's1', targetTerm: 1, log: [entry(1)] } } } });
    // Ended (the state with none), then a second transfer in the same term.
    history = recordTransfers(history, { transfers: {}, terms });
    history = recordTransfers(history, { transfers: { s1: leading(1, 's3', false) }, terms });
    expect(history.begun).toBe(2);
  });

  it('TimeoutNowOnlyToUpToDate: the target, while in the term, holds the whole log its sender had', () => {
    const history = recordTransfers(recordTransfers(NO_TRANSFERS, { transfers: {}, terms: {} }), {
      transfers: { s1: leading(1, 's2', true, [entry(1), entry(1)]) },
      terms: { s1: 1, s2: 1, s3: 1 },
    });
    const inFlight = [{ from: 's1', to: 's2', term: 1 }];
    const servers = (s2: ReturnType<typeof server>) => ({ s1: server('leader', 1, [1, 1]), s2, s3: server('follower', 1, []) });
    expect(TimeoutNowOnlyToUpToDate(history, servers(server('follower', 1, [1, 1])), inFlight)).toBe(true);
    expect(TimeoutNowOnlyToUpToDate(history, servers(server('follower', 1, [1])), inFlight)).toBe(false);
    // A crashed target is judged by its durable log, the same way.
    expect(TimeoutNowOnlyToUpToDate(history, servers(server('crashed', 1, [1])), inFlight)).toBe(false);
    // Past the term, the message is stale to the target: whatever its log, nothing to judge.
    expect(TimeoutNowOnlyToUpToDate(history, servers(server('follower', 2, [2])), inFlight)).toBe(true);
    // A TimeoutNow no transfer of its term sent to that target breaks it.
    expect(TimeoutNowOnlyToUpToDate(history, servers(server('follower', 1, [1, 1])), [{ from: 's1', to: 's3', term: 1 }])).toBe(false);
    expect(TimeoutNowOnlyToUpToDate(history, servers(server('follower', 1, [1, 1])), [{ from: 's3', to: 's2', term: 1 }])).toBe(false);
  });

  it('TransferCompleted: the target leads a term later than the TimeoutNow and than its own term when it was sent', () => {
    const sent = (targetTerm: number) =>
      recordTransfers(NO_TRANSFERS, { transfers: { s1: leading(1, 's2', true) }, terms: { s1: 1, s2: targetTerm, s3: 1 } });
    const s2Leads = (term: number) => ({ s1: server('follower', term, [1]), s2: server('leader', term, [1]), s3: server('follower', term, [1]) });
    expect(transferCompleted(sent(1), s2Leads(2))).toBe(true);
    expect(transferCompleted(sent(1), { ...s2Leads(2), s2: server('candidate', 2, [1]) })).toBe(false);
    // A stale leader's TimeoutNow to a server that led term 2 already completes nothing.
    expect(transferCompleted(sent(2), s2Leads(2))).toBe(false);
  });
});

describe('raft/transfer: leadership transfer, exhaustive, in CI', () => {
  it('every property holds over the recorded number of states; a transfer completes', () => {
    const parameters = defaults(transfer);
    const result = check(transfer.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 347071 });
    expect(transfer.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 347071 });
    expect(result.goals).toEqual([
      { name: 'EntryCommitted', reached: true },
      { name: 'TransferCompleted', reached: true },
    ]);
  });

  it('with only s1 campaigning on its own timer, another server leads: its election was the TimeoutNow', () => {
    const parameters = { ...defaults(transfer), campaigners: 1 };
    const result = check(transfer.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 117850 });
    expect(transfer.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 117850 });
    expect(result.goals.find((goal) => goal.name === 'TransferCompleted')?.reached).toBe(true);
  });

  it('with no transfer taken on, TransferCompleted is never reached (the goal is not vacuous)', () => {
    const parameters = { ...defaults(transfer), transfers: 0 };
    const result = check(transfer.build(parameters));
    expect(result.violation).toMatchObject({ property: 'TransferCompleted', kind: 'sometimes' });
    expect(transfer.expected(parameters)).toMatchObject({ verdict: 'violation', property: 'TransferCompleted' });
  });
});

describe('broken: a leader that sends TimeoutNow before its target has caught up', () => {
  it('TimeoutNowOnlyToUpToDate fails in 9 steps: TimeoutNow goes out while the entry the target lacks is in flight', () => {
    const result = check(transfersToLagging.build({}));
    expect(result.violation).toMatchObject({ property: 'TimeoutNowOnlyToUpToDate', kind: 'always' });
    expect(transfersToLagging.expected({})).toMatchObject({ verdict: 'violation', property: 'TimeoutNowOnlyToUpToDate' });
    const trace = result.violation!.trace!;
    expect(trace.steps).toHaveLength(9);
    const last = trace.steps[trace.steps.length - 1]!;
    expect(last.action).toMatchObject({ kind: 'spontaneous', event: { type: 'TransferLeadership' } });
    const leaderId = (last.action as { node: string }).node;
    const timeoutNow = last.sent.find((envelope) => envelope.message.type === 'TimeoutNow')!;
    expect(timeoutNow).toBeDefined();
    const leader = trace.final.nodes.find((node) => node.id === leaderId)!;
    const target = trace.final.nodes.find((node) => node.id === timeoutNow.to)!;
    expect((leader.context as RaftContext).log.length).toBeGreaterThan((target.context as RaftContext).log.length);
    expect((leader.context as RaftContext).matchIndex[target.id]).toBeLessThan((leader.context as RaftContext).log.length);
  });

  it('with TimeoutNowOnlyToUpToDate left out, the same model keeps the four safety invariants: the vote protects safety, the transfer rule is what fails', () => {
    const model = transfersToLagging.build({});
    const result = check({ ...model, properties: model.properties.filter((property) => property.name !== 'TimeoutNowOnlyToUpToDate') });
    expect(result.verdict).toBe('ok');
    expect(result.goals.find((goal) => goal.name === 'TransferCompleted')?.reached).toBe(true);
  });
});
