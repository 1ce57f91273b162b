import { describe, expect, it } from 'vitest';
import { driven } from './raft-driven.ts';
import { check } from '../../src/checker/index.ts';
import type { LogEntry } from '../../src/protocols/raft/index.ts';
import { countsUnwrittenEntries, server, validateRaftMessage } from '../../src/protocols/raft/index.ts';
import parallelWrite from '../../models/raft/parallel-write.ts';
import countsUnwritten from '../../models/raft/broken/counts-unwritten-entries.ts';

const CONFIG = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50, parallelLogWrite: true };
const entry = (term: number, value = 'v'): LogEntry => ({ term, value });
const defaults = (file: typeof parallelWrite) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

type Effects = readonly { readonly type: string }[];
const sends = (effects: Effects) => effects.filter((e) => e.type === 'send') as unknown as { to: string; message: { type: string; term: number } }[];
const persists = (effects: Effects) => effects.filter((e) => e.type === 'persist');

/** s1, leader of term 1 with s2's vote, writing its log in parallel (thesis §10.2.1). */
function leader(machine: typeof server = server) {
  const s1 = driven(machine, { id: 's1', peers: ['s2', 's3'], durable: {}, config: CONFIG });
  s1.step({ type: 'xstate.after.electionTimeout.raft.follower' });
  s1.step({ type: 'RequestVoteResponse', from: 's2', term: 1, voteGranted: true });
  expect(s1.snapshot.value).toEqual({ leader: 'replicating' });
  return s1;
}

describe("the leader's parallel log write (thesis §10.2.1)", () => {
  it('sends an entry before it is durable, with one WriteLog to itself for all it appends until that is taken', () => {
    const s1 = leader();
    const first = s1.step({ type: 'ClientRequest', value: 'a' });
    expect(persists(first.effects)).toEqual([]);
    expect(sends(first.effects).map((s) => [s.to, s.message.type])).toEqual([
      ['s1', 'WriteLog'],
      ['s2', 'AppendEntries'],
      ['s3', 'AppendEntries'],
    ]);
    const second = s1.step({ type: 'ClientRequest', value: 'b' });
    expect(sends(second.effects).map((s) => s.message.type)).toEqual(['AppendEntries', 'AppendEntries']);
    expect(s1.context.unwritten).toBe(2);
    const write = s1.step({ type: 'WriteLog', from: 's1', term: 1 });
    expect(persists(write.effects)).toEqual([{ type: 'persist', append: { log: [entry(1, 'a'), entry(1, 'b')] } }]);
    expect(s1.context.unwritten).toBe(0);
  });

  it('counts itself only for what it has written: one acknowledgement commits nothing until the WriteLog is taken', () => {
    const s1 = leader();
    s1.step({ type: 'ClientRequest', value: 'a' });
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    expect(s1.context.commitIndex).toBe(0);
    s1.step({ type: 'WriteLog', from: 's1', term: 1 });
    expect(s1.context.commitIndex).toBe(1);
    // The broken leader counts its unwritten copy and commits on the acknowledgement alone.
    const broken = leader(countsUnwrittenEntries);
    broken.step({ type: 'ClientRequest', value: 'a' });
    broken.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    expect(broken.context.commitIndex).toBe(1);
  });

  it("takes a WriteLog only from itself and of its term: a peer's, or a stale one, writes nothing and counts nothing", () => {
    const s1 = leader();
    s1.step({ type: 'ClientRequest', value: 'a' });
    s1.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 1 });
    for (const forged of [{ from: 's2', term: 1 }, { from: 's1', term: 0 }]) {
      const step = s1.step({ type: 'WriteLog', ...forged });
      expect(persists(step.effects)).toEqual([]);
      expect(s1.context).toMatchObject({ unwritten: 1, commitIndex: 0 });
    }
    // Nor does the network carry one: the schema a host checks peers' messages with refuses it.
    expect(validateRaftMessage({ type: 'WriteLog', term: 1 })).toMatch(/not a Raft message type/);
  });

  it('writes what is unwritten before anything else is persisted: as it steps down, and before a compaction', () => {
    const s1 = leader();
    s1.step({ type: 'ClientRequest', value: 'a' });
    const deposed = s1.step({ type: 'AppendEntries', from: 's2', term: 2, leaderId: 's2', prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 0 });
    expect(s1.snapshot.value).toBe('follower');
    expect(persists(deposed.effects)[0]).toEqual({ type: 'persist', append: { log: [entry(1, 'a')] } });
    expect(s1.context.unwritten).toBe(0);

    const s3 = leader();
    s3.step({ type: 'ClientRequest', value: 'a' });
    s3.step({ type: 'ClientRequest', value: 'b' });
    s3.step({ type: 'AppendEntriesResponse', from: 's2', term: 1, success: true, matchIndex: 2 });
    s3.step({ type: 'AppendEntriesResponse', from: 's3', term: 1, success: true, matchIndex: 2 });
    expect(s3.context).toMatchObject({ commitIndex: 2, unwritten: 2 });
    const compaction = s3.step({ type: 'Compact', index: 1, snapshot: 'a' });
    expect(persists(compaction.effects)).toEqual([
      { type: 'persist', append: { log: [entry(1, 'a'), entry(1, 'b')] } },
      { type: 'persist', set: { snapshot: { lastIncludedIndex: 1, lastIncludedTerm: 1, data: 'a' } }, drop: { log: 1 } },
    ]);
  });
});

describe('raft/parallel-write: exhaustive, in CI', () => {
  it('every property holds over the recorded number of states, and both sides of the write window are reached', () => {
    const parameters = defaults(parallelWrite);
    const result = check(parallelWrite.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 206498 });
    expect(parallelWrite.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 206498 });
    expect(result.goals).toEqual([
      { name: 'EntryCommitted', reached: true },
      { name: 'FollowerStoresFirst', reached: true },
      { name: 'LeaderCrashesUnwritten', reached: true },
    ]);
  });

  it('broken: a leader that counts its unwritten entries loses a committed one in a crash, and LeaderCompleteness fails', () => {
    const result = check(countsUnwritten.build({}));
    expect(result.violation).toMatchObject({ property: 'LeaderCompleteness', kind: 'always' });
    expect(countsUnwritten.expected({})).toMatchObject({ verdict: 'violation', property: 'LeaderCompleteness' });
    const trace = result.violation!.trace!;
    // The leader that committed crashes before it took its WriteLog: the crash comes after a
    // commit and before any step that wrote its log.
    const crash = trace.steps.findIndex((step) => step.action.kind === 'crash');
    expect(crash).toBeGreaterThan(0);
    const crashed = trace.steps[crash]!.action.node;
    const before = trace.steps[crash]!.changed.find((change) => change.before.id === crashed)!.before;
    expect(before.context).toMatchObject({ commitIndex: 1, unwritten: 1 });
  });
});
