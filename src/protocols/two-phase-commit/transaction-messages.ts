import type { Json } from '../../node/index.ts';

/**
 * Messages of Two-Phase Commit over many transactions at once, as the key-value service runs it:
 * every message names its transaction. A coordinator asks a participant to prepare a
 * transaction's writes at that participant; the participant votes Prepared (yes) or Refused (no,
 * with the reason); the coordinator's decision follows as Commit or Abort, and the participant
 * confirms it with Ack.
 */

/** A transaction's writes at one participant: key → new value, `null` deleting the key. */
export type Writes = { readonly [key: string]: Json };

/**
 * A condition on one key's committed value, version or existence: the key-value service's
 * `Compare` (src/service/txn.ts) less its `revision` target — a shard's revision counts the
 * shard's own transactions, so it means nothing to a transaction spanning shards.
 */
export type ShardCompare =
  | { readonly key: string; readonly target: 'value'; readonly op: '==' | '!='; readonly value: string }
  | { readonly key: string; readonly target: 'version'; readonly op: '==' | '!=' | '<' | '>'; readonly number: number }
  | { readonly key: string; readonly target: 'exists'; readonly exists: boolean };

/** An operation on one key, the service's `Operation`. */
export type ShardOperation =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

/** What a get read, as of the transaction's serialization point (the service's get result less `revision`). */
export type ReadResult =
  | { readonly key: string; readonly found: false }
  | { readonly key: string; readonly found: true; readonly value: Json; readonly version: number };

/** Why a participant voted no. */
export type RefusalReason =
  /** Another prepared transaction holds a lock on `key` that this one's access conflicts with. */
  | 'conflict'
  /** One of the transaction's compares on `key` does not hold; `detail` says how, as the service does. */
  | 'compare'
  /** The participant had already aborted the transaction. */
  | 'aborted';

export type TransactionMessage =
  /**
   * `writes` are blind writes; `compare` and `ops` (optional) are the transaction's compares and
   * operations at this participant, in the service's shape: the compares are checked, then
   * `writes` apply, then `ops` in order (a get sees the puts and deletes before it).
   */
  | {
      readonly type: 'Prepare';
      readonly txn: string;
      readonly writes: Writes;
      readonly compare?: readonly ShardCompare[];
      readonly ops?: readonly ShardOperation[];
    }
  /** `reads`: the results of the Prepare's gets, in order (present when it had ops). */
  | { readonly type: 'Prepared'; readonly txn: string; readonly reads?: readonly ReadResult[] }
  | {
      readonly type: 'Refused';
      readonly txn: string;
      readonly reason: RefusalReason;
      readonly key: string | null;
      readonly holder: string | null;
      /** For `compare`: the service's reason, e.g. `compare failed: "x" has version 3, expected == 2`. */
      readonly detail?: string;
    }
  | { readonly type: 'Commit'; readonly txn: string }
  | { readonly type: 'Abort'; readonly txn: string }
  | { readonly type: 'Ack'; readonly txn: string };

/** A transaction's outcome at a participant. */
export type TransactionOutcome = 'committed' | 'aborted';
