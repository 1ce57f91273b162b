import { resourceManager } from './resource-manager.ts';
import { conflictOf, participant } from './participant.ts';
import { lockKeysOf } from './prepare-plan.ts';
import { transactionManager } from './transaction-manager.ts';

/**
 * Deliberately broken variants, each a known mistake, kept so that tests can show the checker
 * catches them. Never deploy these.
 */

/** A TM that commits as soon as one RM has voted Prepared, instead of all of them. */
export const tmCommitsBeforeAllVote = transactionManager.provide({
  guards: { allPrepared: ({ context }) => context.prepared.length > 0 },
});

/**
 * An RM that votes Prepared without first persisting that it is prepared. After a crash it boots
 * as working, free to abort, though the TM may already have committed on its vote.
 */
export const rmForgetsVote = resourceManager.provide({
  actions: { persistPrepared: () => {} },
});

/**
 * A participant that ignores its lock table: it prepares a transaction whatever other prepared
 * transactions hold. Two prepared transactions then hold one key, and may commit in different
 * orders at different participants: not serializable.
 */
export const participantIgnoresLocks = participant.provide({
  guards: { conflicts: () => false },
});

/**
 * A participant that takes shared locks for reads but never checks them: a write is refused only
 * for another writer. Two transactions can then each read the key the other writes, both commit,
 * and each miss the other's write — write skew, which no serial order produces.
 */
export const participantIgnoresReadLocks = participant.provide({
  guards: {
    conflicts: ({ context, event }) => event.type === 'Prepare' && conflictOf(context, event.txn, lockKeysOf(event), false) !== undefined,
  },
});
