import type { AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type Effect, type NodeInput, Stepper } from '../../src/node/index.ts';
import type { LogEntry, RaftConfig, RaftContext, RaftEvent } from '../../src/protocols/raft/index.ts';
import { leaderReadsWithoutConfirmation, server, validateRaftMessage } from '../../src/protocols/raft/index.ts';

// ReadIndex reads (Ongaro's thesis §6.4), one rule at a time.

const entry = (term: number, value = 'v'): LogEntry => ({ term, value });
const CONFIG: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
const read = (requestId: number) => ({ type: 'ReadRequest', client: 'c', requestId }) as const;

/** s1, elected leader of term 2 with s2's vote, its log [entry(1)]. */
function leader(machine: typeof server = server, peers = ['s2', 's3']) {
  const stepper = new Stepper(machine);
  const input: NodeInput<RaftConfig> = { id: 's1', peers, durable: { currentTerm: 1, votedFor: null, log: [entry(1)] }, config: CONFIG };
  let snapshot: AnyMachineSnapshot = stepper.start(input).snapshot;
  let effects: readonly Effect[] = [];
  const step = (event: RaftEvent | { type: string }) => {
    const result = stepper.step(snapshot, event);
    snapshot = result.snapshot;
    effects = result.effects;
    return effects;
  };
  step({ type: 'xstate.after.electionTimeout.raft.follower' });
  if (peers.length > 0) step({ type: 'RequestVoteResponse', from: 's2', term: 2, voteGranted: true });
  expect(snapshot.value).toEqual({ leader: 'replicating' });
  return {
    step,
    get context() {
      return snapshot.context as RaftContext;
    },
    get value() {
      return snapshot.value;
    },
    replies: () => effects.filter((effect) => effect.type === 'reply'),
    sent: () => effects.flatMap((effect) => (effect.type === 'send' ? [effect] : [])),
  };
}

/** The leader commits an entry of its term 2 (index 2) with s2. */
function commitInTerm(l: ReturnType<typeof leader>) {
  l.step({ type: 'ClientRequest', value: 'w' });
  l.step({ type: 'AppendEntriesResponse', from: 's2', term: 2, success: true, matchIndex: 2 });
  expect(l.context.commitIndex).toBe(2);
}

describe('ReadIndex (thesis §6.4)', () => {
  it('a non-leader refuses a read, naming no leader', () => {
    const stepper = new Stepper(server);
    const booted = stepper.start({ id: 's2', peers: ['s1', 's3'], durable: {}, config: CONFIG });
    expect(stepper.step(booted.snapshot, read(1)).effects).toEqual([{ type: 'reply', client: 'c', requestId: 1, result: { error: 'not leader' } }]);
  });

  it('registers the read with a heartbeat round, answers once a majority acknowledged it: readIndex = commitIndex', () => {
    const l = leader();
    commitInTerm(l);
    l.step(read(1));
    expect(l.context.reads).toEqual([{ client: 'c', requestId: 1, round: 1, readIndex: 2 }]);
    // The round goes out to every follower; no entry is appended.
    expect(l.sent().map((effect) => [effect.to, (effect.message as { round?: number }).round])).toEqual([
      ['s2', 1],
      ['s3', 1],
    ]);
    expect(l.context.log).toHaveLength(2);
    expect(l.replies()).toEqual([]);
    // An answer to an earlier round (or one with none) does not confirm the leadership.
    l.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: true, matchIndex: 2 });
    expect(l.replies()).toEqual([]);
    l.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: true, matchIndex: 2, round: 1 });
    expect(l.replies()).toEqual([{ type: 'reply', client: 'c', requestId: 1, result: { readIndex: 2 } }]);
    expect(l.context.reads).toEqual([]);
    // With no read waiting, AppendEntries carry no round again.
    l.step({ type: 'xstate.after.heartbeatTimeout.raft.leader.replicating' });
    expect(l.sent().every((effect) => !('round' in effect.message))).toBe(true);
  });

  it('a rejection of the current term acknowledges the round too', () => {
    const l = leader();
    commitInTerm(l);
    l.step(read(1));
    l.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: false, matchIndex: 0, rejectHint: 0, round: 1 });
    expect(l.replies()).toEqual([{ type: 'reply', client: 'c', requestId: 1, result: { readIndex: 2 } }]);
  });

  it('waits until an entry of its own term is committed, then takes that commitIndex as the readIndex', () => {
    const l = leader();
    l.step(read(1));
    expect(l.context.reads).toEqual([{ client: 'c', requestId: 1, round: 1, readIndex: null }]);
    l.step({ type: 'AppendEntriesResponse', from: 's2', term: 2, success: true, matchIndex: 1, round: 1 });
    // Confirmed, but index 1 (term 1) is not known committed: no answer yet.
    expect(l.replies()).toEqual([]);
    l.step({ type: 'ClientRequest', value: 'w' });
    l.step({ type: 'AppendEntriesResponse', from: 's2', term: 2, success: true, matchIndex: 2, round: 1 });
    expect(l.replies()).toEqual([{ type: 'reply', client: 'c', requestId: 1, result: { readIndex: 2 } }]);
  });

  it('a leader that steps down fails its waiting reads', () => {
    const l = leader();
    commitInTerm(l);
    l.step(read(1));
    l.step(read(2));
    expect(l.context.reads.map((r) => r.round)).toEqual([1, 2]);
    l.step({ type: 'AppendEntries', from: 's3', term: 3, leaderId: 's3', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(l.value).toBe('follower');
    expect(l.replies()).toEqual([
      { type: 'reply', client: 'c', requestId: 1, result: { error: 'not leader' } },
      { type: 'reply', client: 'c', requestId: 2, result: { error: 'not leader' } },
    ]);
    expect(l.context).toMatchObject({ reads: [], heartbeatRound: 0, acknowledgedRound: {} });
  });

  it('a group of one confirms its leadership on the spot', () => {
    const l = leader(server, []);
    l.step({ type: 'ClientRequest', value: 'w' });
    expect(l.context.commitIndex).toBe(2);
    l.step(read(1));
    expect(l.replies()).toEqual([{ type: 'reply', client: 'c', requestId: 1, result: { readIndex: 2 } }]);
  });

  it('a follower echoes the round, accepting or rejecting', () => {
    const stepper = new Stepper(server);
    const booted = stepper.start({ id: 's2', peers: ['s1', 's3'], durable: { currentTerm: 2, votedFor: null, log: [] }, config: CONFIG });
    const request = { type: 'AppendEntries', from: 's1', term: 2, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, round: 4 };
    expect(stepper.step(booted.snapshot, request).effects).toEqual([
      { type: 'send', to: 's1', message: { type: 'AppendEntriesResponse', term: 2, success: true, matchIndex: 0, round: 4 } },
    ]);
    expect(stepper.step(booted.snapshot, { ...request, prevLogIndex: 1, prevLogTerm: 1 }).effects).toEqual([
      { type: 'send', to: 's1', message: { type: 'AppendEntriesResponse', term: 2, success: false, matchIndex: 0, rejectHint: 0, round: 4 } },
    ]);
  });

  it('the schema takes a whole round and refuses any other', () => {
    const ok = { type: 'AppendEntries', term: 2, leaderId: 's1', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 };
    expect(validateRaftMessage({ ...ok, round: 3 })).toBe(true);
    expect(validateRaftMessage({ ...ok, round: -1 })).not.toBe(true);
    expect(validateRaftMessage({ type: 'AppendEntriesResponse', term: 2, success: true, matchIndex: 0, round: 1.5 })).not.toBe(true);
    expect(validateRaftMessage({ type: 'AppendEntriesResponse', term: 2, success: true, matchIndex: 0, round: 1 })).toBe(true);
  });

  it('broken: a leader that skips the confirmation round answers at once', () => {
    const l = leader(leaderReadsWithoutConfirmation);
    commitInTerm(l);
    l.step(read(1));
    expect(l.replies()).toEqual([{ type: 'reply', client: 'c', requestId: 1, result: { readIndex: 2 } }]);
  });
});
