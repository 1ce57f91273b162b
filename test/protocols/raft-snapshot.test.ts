import type { AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { applyDurableChange, type DurableState, type Effect, type NodeInput, Stepper } from '../../src/node/index.ts';
import type { InstallSnapshot, LogEntry, RaftConfig, RaftContext, RaftEvent } from '../../src/protocols/raft/index.ts';
import { entryAt, lastLogIndex, lastLogTerm, server, termAt, validateRaftMessage } from '../../src/protocols/raft/index.ts';

// Log compaction and InstallSnapshot (Ongaro's thesis §5.1, Figure 5.3), one rule at a time.

const entry = (term: number, value = 'v'): LogEntry => ({ term, value });
const CONFIG: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };

/** One server driven step by step, its durable image kept as a host would keep it. */
class Driven {
  readonly stepper = new Stepper(server);
  snapshot: AnyMachineSnapshot;
  durable: DurableState;
  effects: readonly Effect[] = [];

  constructor(
    readonly id: string,
    durable: DurableState,
    readonly config: RaftConfig = CONFIG,
    readonly peers = ['s1', 's2', 's3'].filter((peer) => peer !== id),
  ) {
    this.durable = durable;
    const input: NodeInput<RaftConfig> = { id, peers, durable, config };
    this.snapshot = this.stepper.start(input).snapshot;
  }

  get context(): RaftContext {
    return this.snapshot.context as RaftContext;
  }

  step(event: RaftEvent | { type: string }): readonly Effect[] {
    const result = this.stepper.step(this.snapshot, event);
    this.snapshot = result.snapshot;
    this.effects = result.effects;
    for (const effect of result.effects) if (effect.type === 'persist') this.durable = applyDurableChange(this.durable, effect);
    return result.effects;
  }

  sent(type: string) {
    return this.effects.flatMap((effect) => (effect.type === 'send' && effect.message.type === type ? [effect] : []));
  }

  /** A crash and restart from exactly what was persisted. */
  restarted(): Driven {
    return new Driven(this.id, this.durable, this.config, this.peers);
  }
}

/** s1 leads term 2 with four entries, all committed by s2's acknowledgement. */
function leaderWithFourCommitted(config: RaftConfig = CONFIG): Driven {
  const leader = new Driven('s1', { currentTerm: 1, votedFor: null, log: [entry(1), entry(1, 'w'), entry(1, 'x')] }, config);
  leader.step({ type: 'xstate.after.electionTimeout.raft.follower' });
  leader.step({ type: 'RequestVoteResponse', from: 's2', term: 2, voteGranted: true });
  expect(leader.snapshot.value).toEqual({ leader: 'replicating' });
  leader.step({ type: 'ClientRequest', value: 'y' });
  leader.step({ type: 'AppendEntriesResponse', from: 's2', term: 2, success: true, matchIndex: 4 });
  expect(leader.context.commitIndex).toBe(4);
  return leader;
}

describe('Compact (thesis §5.1)', () => {
  it('replaces the committed prefix by the host snapshot: persisted first, the suffix kept, nothing sent', () => {
    const leader = leaderWithFourCommitted();
    const effects = leader.step({ type: 'Compact', index: 3, snapshot: 'state@3' });
    expect(effects).toEqual([{ type: 'persist', set: { snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 1, data: 'state@3' } }, drop: { log: 3 } }]);
    expect(leader.context).toMatchObject({ lastIncludedIndex: 3, lastIncludedTerm: 1, snapshot: 'state@3', log: [entry(2, 'y')], commitIndex: 4 });
    expect([lastLogIndex(leader.context), lastLogTerm(leader.context), termAt(leader.context, 3), termAt(leader.context, 2), entryAt(leader.context, 4)]).toEqual([4, 2, 1, undefined, entry(2, 'y')]);
    expect(leader.durable).toMatchObject({ snapshot: { lastIncludedIndex: 3 }, log: [entry(2, 'y')] });
    // A second compaction drops only what the first left.
    expect(leader.step({ type: 'Compact', index: 4, snapshot: 'state@4' })).toEqual([
      { type: 'persist', set: { snapshot: { lastIncludedIndex: 4, lastIncludedTerm: 2, data: 'state@4' } }, drop: { log: 1 } },
    ]);
    expect(leader.durable.log).toEqual([]);
  });

  it('refuses an index beyond commitIndex, or not beyond the last snapshot', () => {
    const leader = leaderWithFourCommitted();
    leader.step({ type: 'ClientRequest', value: 'z' });
    const before = leader.context;
    expect(leader.step({ type: 'Compact', index: 5, snapshot: 'uncommitted' })).toEqual([]);
    expect(leader.context).toBe(before);
    leader.step({ type: 'Compact', index: 2, snapshot: 'state@2' });
    expect(leader.step({ type: 'Compact', index: 2, snapshot: 'again' })).toEqual([]);
    expect(leader.step({ type: 'Compact', index: 1, snapshot: 'older' })).toEqual([]);
    expect(leader.context.snapshot).toBe('state@2');
  });

  it('a restarted server boots from the snapshot and the log suffix, its commitIndex at the snapshot', () => {
    const leader = leaderWithFourCommitted();
    leader.step({ type: 'Compact', index: 3, snapshot: 'state@3' });
    const restarted = leader.restarted();
    expect(restarted.snapshot.value).toBe('follower');
    expect(restarted.context).toMatchObject({ currentTerm: 2, lastIncludedIndex: 3, lastIncludedTerm: 1, snapshot: 'state@3', log: [entry(2, 'y')], commitIndex: 3 });
    // Its vote requests count the compacted entries: §5.4.1's comparison is over the whole log.
    restarted.step({ type: 'xstate.after.electionTimeout.raft.follower' });
    expect(restarted.sent('RequestVote')[0]!.message).toMatchObject({ lastLogIndex: 4, lastLogTerm: 2 });
    // With an empty suffix, the last entry is the snapshot's.
    const bare = new Driven('s2', { currentTerm: 3, votedFor: null, snapshot: { lastIncludedIndex: 5, lastIncludedTerm: 3, data: 'd' }, log: [] });
    bare.step({ type: 'xstate.after.electionTimeout.raft.follower' });
    expect(bare.sent('RequestVote')[0]!.message).toMatchObject({ lastLogIndex: 5, lastLogTerm: 3 });
  });
});

describe('AppendEntries against a compacted log (Figure 2 step 2, with lastIncludedIndex/Term as the base)', () => {
  const follower = () => new Driven('s2', { currentTerm: 2, votedFor: null, snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 1, data: 'd' }, log: [entry(2)] });
  const append = (prevLogIndex: number, prevLogTerm: number, entries: LogEntry[], leaderCommit = 0) =>
    ({ type: 'AppendEntries', from: 's1', term: 2, leaderId: 's1', prevLogIndex, prevLogTerm, entries, leaderCommit }) as const;

  it('matches the snapshot\'s last entry by its term, and appends after it', () => {
    const server = follower();
    server.step(append(3, 1, [entry(2), entry(2, 'w')], 5));
    expect(server.effects).toEqual([
      { type: 'persist', append: { log: [entry(2, 'w')] } },
      { type: 'send', to: 's1', message: { type: 'AppendEntriesResponse', term: 2, success: true, matchIndex: 5 } },
    ]);
    expect(server.context).toMatchObject({ log: [entry(2), entry(2, 'w')], commitIndex: 5 });
  });

  it('rejects a request whose entry before does not match the snapshot\'s term; hints its last index', () => {
    const server = follower();
    server.step(append(3, 2, [entry(2)]));
    expect(server.sent('AppendEntriesResponse')[0]!.message).toEqual({ type: 'AppendEntriesResponse', term: 2, success: false, matchIndex: 0, rejectHint: 4 });
  });

  it('skips entries the snapshot already holds, and cuts a conflicting suffix relative to it', () => {
    const server = follower();
    server.step(append(1, 1, [entry(1), entry(1), entry(3), entry(3, 'w')]));
    expect(server.effects[0]).toEqual({ type: 'persist', truncate: { log: 0 }, append: { log: [entry(3), entry(3, 'w')] } });
    expect(server.context.log).toEqual([entry(3), entry(3, 'w')]);
    expect(server.sent('AppendEntriesResponse')[0]!.message).toMatchObject({ success: true, matchIndex: 5 });
    // Entries wholly inside the snapshot: acknowledged, nothing stored.
    server.step(append(0, 0, [entry(1)]));
    expect(server.effects.map((e) => e.type)).toEqual(['send']);
    expect(server.sent('AppendEntriesResponse')[0]!.message).toMatchObject({ success: true, matchIndex: 1 });
  });
});

describe('the leader sends InstallSnapshot to a follower behind its snapshot', () => {
  it('once nextIndex falls inside the snapshot; the answer moves matchIndex and the rest follows as AppendEntries', () => {
    const leader = leaderWithFourCommitted();
    leader.step({ type: 'Compact', index: 3, snapshot: 'state@3' });
    // s3 has nothing: its rejection's hint takes nextIndex to 1, inside the snapshot.
    leader.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: false, matchIndex: 0, rejectHint: 0 });
    expect(leader.context.nextIndex.s3).toBe(1);
    expect(leader.effects).toEqual([
      { type: 'send', to: 's3', message: { type: 'InstallSnapshot', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 0, data: 'state@3', done: true } },
    ]);
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 3, received: 7, done: true });
    expect(leader.context).toMatchObject({ matchIndex: { s3: 3 }, nextIndex: { s3: 4 } });
    expect(leader.sent('AppendEntries').map((e) => e.message)).toEqual([
      { type: 'AppendEntries', term: 2, leaderId: 's1', prevLogIndex: 3, prevLogTerm: 1, entries: [entry(2, 'y')], leaderCommit: 4 },
    ]);
    // A follower the snapshot brought fully up to date is sent nothing more.
    leader.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: true, matchIndex: 4 });
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 3, received: 7, done: true });
    expect(leader.effects).toEqual([]);
    expect(leader.context.matchIndex.s3).toBe(4);
  });

  it('a follower a stale snapshot leaves behind does not pull matchIndex back; a refusal answer sends nothing', () => {
    const leader = leaderWithFourCommitted();
    leader.step({ type: 'Compact', index: 4, snapshot: 'state@4' });
    leader.step({ type: 'InstallSnapshotResponse', from: 's2', term: 2, lastIncludedIndex: 4, received: 0, done: false });
    expect(leader.effects).toEqual([]);
    leader.step({ type: 'InstallSnapshotResponse', from: 's2', term: 2, lastIncludedIndex: 2, received: 0, done: true });
    expect(leader.context.matchIndex.s2).toBe(4);
  });

  it('steps down on an answer of a newer term', () => {
    const leader = leaderWithFourCommitted();
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 5, lastIncludedIndex: 0, received: 0, done: false });
    expect(leader.snapshot.value).toBe('follower');
    expect(leader.context.currentTerm).toBe(5);
    expect(leader.effects[0]).toEqual({ type: 'persist', set: { currentTerm: 5, votedFor: null } });
  });
});

describe('the follower installs a snapshot (Figure 5.3, receiver)', () => {
  const chunk = (fields: Partial<InstallSnapshot> = {}) =>
    ({ type: 'InstallSnapshot', from: 's1', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 0, data: 'state@3', done: true, ...fields }) as const;

  it('step 1: a stale leader is answered with the newer term, and nothing changes', () => {
    const follower = new Driven('s2', { currentTerm: 4, votedFor: null, log: [] });
    follower.step(chunk());
    expect(follower.effects).toEqual([{ type: 'send', to: 's1', message: { type: 'InstallSnapshotResponse', term: 4, lastIncludedIndex: 3, received: 0, done: false } }]);
    expect(follower.context.lastIncludedIndex).toBe(0);
  });

  it('step 7: a log without the snapshot\'s last entry is discarded whole; the answer says done', () => {
    const follower = new Driven('s2', { currentTerm: 2, votedFor: null, log: [entry(1), entry(2, 'other')] });
    follower.step(chunk());
    expect(follower.effects).toEqual([
      { type: 'persist', set: { snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 1, data: 'state@3' } }, truncate: { log: 0 } },
      { type: 'send', to: 's1', message: { type: 'InstallSnapshotResponse', term: 2, lastIncludedIndex: 3, received: 7, done: true } },
    ]);
    expect(follower.context).toMatchObject({ lastIncludedIndex: 3, lastIncludedTerm: 1, snapshot: 'state@3', log: [], commitIndex: 3 });
    expect(follower.durable).toMatchObject({ log: [], snapshot: { data: 'state@3' } });
  });

  it('step 6: a log holding the snapshot\'s last entry keeps the entries after it', () => {
    const follower = new Driven('s2', { currentTerm: 2, votedFor: null, log: [entry(1), entry(1), entry(1), entry(2, 'y'), entry(2, 'z')] });
    follower.step(chunk());
    expect(follower.effects[0]).toEqual({ type: 'persist', set: { snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 1, data: 'state@3' } }, drop: { log: 3 } });
    expect(follower.context).toMatchObject({ log: [entry(2, 'y'), entry(2, 'z')], commitIndex: 3 });
    expect(follower.restarted().context).toMatchObject({ lastIncludedIndex: 3, log: [entry(2, 'y'), entry(2, 'z')], commitIndex: 3 });
  });

  it('a snapshot the follower knows committed already is not installed, but answered done (it holds the leader\'s entries)', () => {
    const follower = new Driven('s2', { currentTerm: 2, votedFor: null, log: [entry(1), entry(1), entry(1), entry(2)] });
    follower.step({ type: 'AppendEntries', from: 's1', term: 2, leaderId: 's1', prevLogIndex: 4, prevLogTerm: 2, entries: [], leaderCommit: 4 });
    follower.step(chunk());
    expect(follower.effects).toEqual([{ type: 'send', to: 's1', message: { type: 'InstallSnapshotResponse', term: 2, lastIncludedIndex: 3, received: 0, done: true } }]);
    expect(follower.context).toMatchObject({ lastIncludedIndex: 0, log: [entry(1), entry(1), entry(1), entry(2)] });
  });

  it('a candidate of the leader\'s term becomes its follower and installs; a newer term is adopted first', () => {
    const candidate = new Driven('s2', { currentTerm: 1, votedFor: null, log: [] });
    candidate.step({ type: 'xstate.after.electionTimeout.raft.follower' });
    expect(candidate.snapshot.value).toBe('candidate');
    candidate.step(chunk());
    expect(candidate.snapshot.value).toBe('follower');
    expect(candidate.context.lastIncludedIndex).toBe(3);
    const behind = new Driven('s3', { currentTerm: 1, votedFor: 's3', log: [] });
    behind.step(chunk());
    expect(behind.effects.map((e) => e.type)).toEqual(['persist', 'persist', 'send']);
    expect(behind.context).toMatchObject({ currentTerm: 2, votedFor: null, lastIncludedIndex: 3 });
  });
});

describe('chunked transfer (Figure 5.3 offset and done), within a frame limit', () => {
  const chunked: RaftConfig = { ...CONFIG, maxSnapshotChunk: 4 };

  it('the leader sends chunks of at most maxSnapshotChunk characters, each after the answer to the one before', () => {
    const leader = leaderWithFourCommitted(chunked);
    const follower = new Driven('s3', { currentTerm: 2, votedFor: null, log: [] }, chunked);
    leader.step({ type: 'Compact', index: 3, snapshot: 'abcdefghij' });
    leader.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: false, matchIndex: 0, rejectHint: 0 });
    const offsets: number[] = [];
    for (let round = 0; round < 5 && leader.sent('InstallSnapshot').length > 0; round++) {
      const message = leader.sent('InstallSnapshot')[0]!.message as InstallSnapshot;
      expect(message.data.length).toBeLessThanOrEqual(4);
      offsets.push(message.offset);
      follower.step({ ...message, from: 's1' });
      leader.step({ ...follower.sent('InstallSnapshotResponse')[0]!.message, from: 's3' } as RaftEvent);
    }
    expect(offsets).toEqual([0, 4, 8]);
    expect(follower.context).toMatchObject({ snapshot: 'abcdefghij', lastIncludedIndex: 3, receiving: null });
    expect(leader.context).toMatchObject({ matchIndex: { s3: 3 }, snapshotOffset: {} });
    // A chunk that is not the last is not durable: only the installed whole is.
    expect(follower.durable.snapshot).toEqual({ lastIncludedIndex: 3, lastIncludedTerm: 1, data: 'abcdefghij' });
  });

  it('a lost chunk: the next one is answered with what is held, and the leader resumes from there; a duplicate answer sends nothing', () => {
    const follower = new Driven('s3', { currentTerm: 2, votedFor: null, log: [] }, chunked);
    const base = { type: 'InstallSnapshot', from: 's1', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1 } as const;
    follower.step({ ...base, offset: 0, data: 'abcd', done: false });
    expect(follower.sent('InstallSnapshotResponse')[0]!.message).toMatchObject({ received: 4, done: false });
    follower.step({ ...base, offset: 8, data: 'ij', done: true });
    expect(follower.sent('InstallSnapshotResponse')[0]!.message).toMatchObject({ received: 4, done: false });
    expect(follower.context.lastIncludedIndex).toBe(0);
    // A repeated first chunk of the same snapshot keeps what is held.
    follower.step({ ...base, offset: 0, data: 'abcd', done: false });
    expect(follower.context.receiving).toEqual({ lastIncludedIndex: 3, lastIncludedTerm: 1, data: 'abcd' });

    const leader = leaderWithFourCommitted(chunked);
    leader.step({ type: 'Compact', index: 3, snapshot: 'abcdefghij' });
    leader.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: false, matchIndex: 0, rejectHint: 0 });
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 3, received: 4, done: false });
    expect(leader.sent('InstallSnapshot').map((e) => (e.message as InstallSnapshot).offset)).toEqual([4]);
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 3, received: 4, done: false });
    expect(leader.effects).toEqual([]);
    // A follower that restarted holds nothing: the leader starts over.
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 3, received: 0, done: false });
    expect(leader.sent('InstallSnapshot').map((e) => (e.message as InstallSnapshot).offset)).toEqual([0]);
  });

  it('an answer about an older snapshot restarts the current one from its first chunk', () => {
    const leader = leaderWithFourCommitted(chunked);
    leader.step({ type: 'Compact', index: 2, snapshot: 'abcdefgh' });
    leader.step({ type: 'AppendEntriesResponse', from: 's3', term: 2, success: false, matchIndex: 0, rejectHint: 0 });
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 2, received: 4, done: false });
    expect(leader.context.snapshotOffset).toEqual({ s3: 4 });
    leader.step({ type: 'Compact', index: 3, snapshot: 'ABCDEFGHIJ' });
    expect(leader.context.snapshotOffset).toEqual({});
    leader.step({ type: 'InstallSnapshotResponse', from: 's3', term: 2, lastIncludedIndex: 2, received: 8, done: false });
    expect(leader.sent('InstallSnapshot').map((e) => e.message)).toEqual([
      { type: 'InstallSnapshot', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 0, data: 'ABCD', done: false },
    ]);
  });

  it('a partial snapshot of an earlier term\'s leader is forgotten with the term', () => {
    const follower = new Driven('s3', { currentTerm: 2, votedFor: null, log: [] }, chunked);
    follower.step({ type: 'InstallSnapshot', from: 's1', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 0, data: 'abcd', done: false });
    follower.step({ type: 'AppendEntries', from: 's2', term: 3, leaderId: 's2', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(follower.context.receiving).toBeNull();
    follower.step({ type: 'InstallSnapshot', from: 's2', term: 3, leaderId: 's2', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 4, data: 'EFGH', done: true });
    expect(follower.context.lastIncludedIndex).toBe(0);
    expect(follower.sent('InstallSnapshotResponse')[0]!.message).toMatchObject({ received: 0, done: false });
  });
});

describe('message schema', () => {
  it('accepts well-formed InstallSnapshot and InstallSnapshotResponse, and says what is wrong with the others', () => {
    expect(validateRaftMessage({ type: 'InstallSnapshot', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 0, data: 'x', done: true })).toBe(true);
    expect(validateRaftMessage({ type: 'InstallSnapshotResponse', term: 2, lastIncludedIndex: 3, received: 1, done: true })).toBe(true);
    expect(validateRaftMessage({ type: 'InstallSnapshot', term: 2, leaderId: 's1', lastIncludedIndex: 3, lastIncludedTerm: 1, offset: 0, data: { k: 1 }, done: true })).toMatch(/data/);
    expect(validateRaftMessage({ type: 'InstallSnapshot', term: 2, leaderId: 's1', lastIncludedIndex: -1, lastIncludedTerm: 1, offset: 0, data: '', done: true })).toMatch(/lastIncludedIndex/);
    expect(validateRaftMessage({ type: 'InstallSnapshotResponse', term: 2, lastIncludedIndex: 3, received: 1 })).toMatch(/done/);
  });
});
