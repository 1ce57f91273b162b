import { emit, type NonReducibleUnknown } from 'xstate';
import type { Effect } from '../../node/index.ts';
import { persist } from '../../node/index.ts';
import type { RaftMessage } from './messages.ts';
import { lastLogIndex, termAt } from './log.ts';
import { isMajority } from './messages.ts';
import { latestConfiguration, replicasOf, server, type RaftContext, type RaftEvent } from './server.ts';

/**
 * Deliberately broken Raft servers, each a known mistake, kept so that tests can show the checker
 * catches them. Never deploy these.
 */

/**
 * Figure 8 of the paper (§5.4.2): a leader that commits an entry of an earlier term as soon as a
 * majority stores it, by counting replicas. A later leader that never had the entry can still be
 * elected — its last entry has a newer term — and overwrite it, though it was committed: two
 * servers commit different entries at the same index.
 */
export const leaderCommitsOldTerm = server.provide({
  guards: {
    isCommittable: ({ context }, { index }: { index: number }) => index <= lastLogIndex(context) && isMajority(replicasOf(context, index), latestConfiguration(context).members.length),
  },
});

/**
 * A server that persists currentTerm but not votedFor. After a crash it has forgotten whom it
 * voted for in the current term and votes again for another candidate: two leaders in one term.
 */
export const voteNotPersisted = server.provide({
  actions: {
    persistTermAndVote: emit<RaftContext, RaftEvent, NonReducibleUnknown, RaftEvent, Effect<RaftMessage>>(({ context }) =>
      persist({ set: { currentTerm: context.currentTerm } }),
    ),
  },
});

/**
 * A server that compacts entries it has not committed: it takes the host's Compact through any
 * index its log holds, as a follower would that snapshots its log as it arrives (thesis §5.1
 * allows only committed, applied entries). The snapshot stands for committed entries — the server
 * treats it so, its commitIndex moving up to the snapshot — so an entry a later leader overwrites
 * elsewhere stays "committed" here: two servers apply different entries at one index.
 */
export const compactsUncommitted = server.provide({
  guards: {
    mayCompact: ({ context, event }) => event.type === 'Compact' && event.index > context.lastIncludedIndex && event.index <= lastLogIndex(context),
  },
});

/**
 * A leader that answers a ReadIndex read without confirming its leadership (thesis §6.4 skips
 * step 2's heartbeat round): it serves reads from its own commitIndex as soon as it has committed
 * an entry of its term. A leader deposed without knowing it — partitioned, or merely not yet told
 * of the new leader's term — still believes it leads, and answers with a readIndex below an entry
 * the new leader has since committed: the read misses a write that completed before it began.
 */
export const leaderReadsWithoutConfirmation = server.provide({
  guards: {
    isReadConfirmed: () => true,
  },
});

/**
 * A leader that sends TimeoutNow as soon as it takes on a leadership transfer, without waiting for
 * the target's matchIndex to reach its last log index (thesis §3.10 step 1). The target campaigns
 * with a log that lacks some of the leader's entries: the voters that hold them refuse it (§5.4.1),
 * so the election it forces is one it may well lose — the leadership is not transferred, clients
 * are refused for the transfer's whole timeout, and the election the target started deposes the
 * leader all the same. Safety holds (the vote's up-to-date check protects it); what fails is the
 * transfer's own rule, TimeoutNowOnlyToUpToDate (spec/raft.ts).
 */
export const transfersToLaggingFollower = server.provide({
  guards: {
    transfereeCaughtUp: ({ context }) => context.transfer !== null,
  },
});

/**
 * Single-server membership changes as the thesis first gave them (§4.2), without the fix Ongaro
 * published on raft-dev on 10 July 2015 ("bug in single-server membership changes"): a leader
 * appends a configuration entry as soon as no change is uncommitted in its log, before it has
 * committed an entry of its own term. From {a,b,c,d}: the leader of term 1 appends "add e" and
 * only it stores it; b, elected in term 2 without it, appends "remove d" and gives it to c. The
 * two configurations, {a,b,c,d,e} and {a,b,c}, each built on {a,b,c,d} by one change, share no
 * majority: a is elected in term 3 by a, d and e, while c is elected in term 3 by b and c — two
 * leaders in one term (ElectionSafety; models/raft/broken/membership-before-term-commit.ts).
 */
export const changesMembershipBeforeCommittingInTerm = server.provide({
  guards: {
    hasCommittedInCurrentTerm: () => true,
  },
});

/**
 * A leader that commits an entry only once every member stores it, not a majority: never less
 * safe (a commit it makes, the majority rule would make too) but not live — with one server
 * crashed, nothing commits again. models/raft/broken/commits-with-all shows the checker finding
 * the fair behaviour that never commits.
 */
export const commitsOnlyWhenAllStore = server.provide({
  guards: {
    isCommittable: ({ context }, { index }: { index: number }) =>
      termAt(context, index) === context.currentTerm && replicasOf(context, index) === latestConfiguration(context).members.length,
  },
});

/**
 * A leader writing its log in parallel with replicating it (thesis §10.2.1) that counts its own
 * copy of an entry toward a majority before it has written it: with one follower's
 * acknowledgement it commits, tells that follower so, and crashes before its write — the entry is
 * then on one server of three, and a leader elected without it overwrites it though it was
 * committed. models/raft/broken/counts-unwritten-entries shows the checker finding it.
 */
export const countsUnwrittenEntries = server.provide({
  guards: {
    isCommittable: ({ context }, { index }: { index: number }) =>
      termAt(context, index) === context.currentTerm && isMajority(replicasOf(context, index, lastLogIndex(context)), latestConfiguration(context).members.length),
  },
});
