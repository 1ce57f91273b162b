import { emit, type NonReducibleUnknown } from 'xstate';
import type { Effect } from '../../node/index.ts';
import { persist } from '../../node/index.ts';
import type { RaftMessage } from './messages.ts';
import { isMajority } from './messages.ts';
import { replicasOf, server, type RaftContext, type RaftEvent } from './server.ts';

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
    isCommittable: ({ context }, { index }: { index: number }) => index <= context.log.length && isMajority(replicasOf(context, index), context.peers.length + 1),
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
