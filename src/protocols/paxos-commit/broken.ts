import { acceptor } from './acceptor.ts';
import { leader } from './leader.ts';

/**
 * A deliberately broken leader, kept so that tests can show the checker catches it. Never deploy it.
 *
 * It takes over an instance the way 2PC's coordinator handles a slow participant: in a ballot of
 * its own it proposes `aborted`, ignoring the votes the phase 1b reports reveal. Gray and Lamport
 * allow a leader to propose Aborted only for an instance phase 1 shows free (PaxosCommit.tla's
 * Phase2a: "the value val the leader sends is determined by the phase 1b messages"); when the RM's
 * `prepared` was already chosen and another leader committed on it, this one aborts the
 * transaction as well.
 */
export const leaderIgnoresReportedVotes = leader.provide({
  guards: { reportsForcePrepared: () => false },
});

/**
 * A deliberately broken acceptor: it does not persist its promises (its votes it does). After a
 * crash it has forgotten a ballot it promised, and votes for its RM's `prepared` in ballot 0 —
 * `prepared` is chosen — while the leader of the promised ballot, trusting the promise, gets
 * `aborted` chosen in the same instance. Never deploy it.
 */
export const acceptorForgetsPromise = acceptor.provide({
  actions: { persistPromise: () => {} },
});
