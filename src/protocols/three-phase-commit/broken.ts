import { participant } from './participant.ts';

/**
 * Deliberately broken variants, each a known mistake, kept so that tests can show the checker
 * catches them. Never deploy these.
 */

/**
 * A participant that accepts PreCommit from any coordinator, including one it has given up on.
 * A late PreCommit from the crashed coordinator makes it committable after it reported uncertain
 * to a backup that decided to abort; the next backup then sees a committable participant and
 * commits (BHG §7.5: participants must ignore a coordinator once the termination protocol has
 * replaced it).
 */
export const participantObeysStalePreCommit = participant.provide({
  guards: { fromCoordinator: () => true },
});

/**
 * A participant without the termination protocol: like a prepared 2PC resource manager, it never
 * gives up on its coordinator. When the coordinator crashes after the votes, the participants
 * that voted Yes wait for ever — 3PC's extra phase buys nothing without the protocol that uses it.
 */
export const participantWithoutTermination = participant.provide({
  guards: { coordinatorSuspected: () => false },
});
