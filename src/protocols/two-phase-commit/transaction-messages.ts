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

/** Why a participant voted no. */
export type RefusalReason =
  /** Another prepared transaction holds the lock on `key`. */
  | 'conflict'
  /** The participant had already aborted the transaction. */
  | 'aborted';

export type TransactionMessage =
  | { readonly type: 'Prepare'; readonly txn: string; readonly writes: Writes }
  | { readonly type: 'Prepared'; readonly txn: string }
  | { readonly type: 'Refused'; readonly txn: string; readonly reason: RefusalReason; readonly key: string | null; readonly holder: string | null }
  | { readonly type: 'Commit'; readonly txn: string }
  | { readonly type: 'Abort'; readonly txn: string }
  | { readonly type: 'Ack'; readonly txn: string };

/** A transaction's outcome at a participant. */
export type TransactionOutcome = 'committed' | 'aborted';
