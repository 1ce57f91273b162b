/**
 * Messages of Zab, ZooKeeper's atomic broadcast, after Junqueira, Reed and Serafini, "Zab:
 * High-performance broadcast for primary-backup systems" (DSN 2011), Algorithms 1–3, with
 * ZooKeeper's names where the paper's are terse:
 *
 * | here            | paper        | phase                       |
 * |-----------------|--------------|-----------------------------|
 * | Candidate       | —            | 0, leader election (ours)   |
 * | FollowerInfo    | CEPOCH(f.p)  | 1, discovery                |
 * | NewEpoch        | NEWEPOCH(e') | 1, discovery                |
 * | AckEpoch        | ACK-E(f.a,h) | 1, discovery                |
 * | NewLeader       | NEWLEADER    | 2, synchronisation          |
 * | AckNewLeader    | ACK-LD       | 2, synchronisation          |
 * | Proposal        | PROPOSE      | 3, broadcast                |
 * | Ack             | ACK          | 3, broadcast                |
 * | Commit          | COMMIT, and COMMIT-LD (a commit of the initial history, zxid (e', 0)) |
 */

/** A transaction identifier: the epoch of the primary that broadcast it and a counter within it. */
export type Zxid = { readonly epoch: number; readonly counter: number };

/** A transaction <v, z>: a value and its zxid. */
export type Txn = { readonly epoch: number; readonly counter: number; readonly value: string };

export type ZabMessage =
  /** Phase 0: the sender stands as prospective leader; a peer in election follows it. */
  | { readonly type: 'Candidate' }
  /** Step 1.1.1 (follower): the last epoch it accepted, f.p. */
  | { readonly type: 'FollowerInfo'; readonly acceptedEpoch: number }
  /** Step 1.1.2 (leader): the new epoch e', above every f.p of a quorum. */
  | { readonly type: 'NewEpoch'; readonly epoch: number }
  /** Step 1.2.1 (follower): it accepted e'; its current epoch f.a and its history. */
  | { readonly type: 'AckEpoch'; readonly epoch: number; readonly currentEpoch: number; readonly history: readonly Txn[] }
  /** Step 2.1.1 (leader): the initial history of epoch e'. */
  | { readonly type: 'NewLeader'; readonly epoch: number; readonly history: readonly Txn[] }
  /** Step 2.2.1 (follower): it adopted the history; `zxid` is the highest it now holds, at least (e', 0). */
  | { readonly type: 'AckNewLeader'; readonly epoch: number; readonly zxid: Zxid }
  /** Step 3.1.1 (leader): a new transaction of its epoch. */
  | { readonly type: 'Proposal'; readonly txn: Txn }
  /** Step 3.2.1 (follower): it logged every transaction up to `zxid`. */
  | { readonly type: 'Ack'; readonly zxid: Zxid }
  /** Steps 2.1.2 and 3.1.2 (leader): deliver every transaction of the history up to `zxid`. */
  | { readonly type: 'Commit'; readonly zxid: Zxid };

export const NO_ZXID: Zxid = { epoch: 0, counter: 0 };

export const zxidOf = (txn: Txn): Zxid => ({ epoch: txn.epoch, counter: txn.counter });

/** The order of zxids: by epoch, then counter. */
export const compareZxid = (a: Zxid, b: Zxid): number => a.epoch - b.epoch || a.counter - b.counter;

/** The zxid of the last transaction of a history, or (0, 0) for an empty one. */
export const lastZxid = (history: readonly Txn[]): Zxid => (history.length === 0 ? NO_ZXID : zxidOf(history[history.length - 1]!));

/** A quorum is any majority of the ensemble: any two intersect. */
export const isQuorum = (members: number, ensemble: number): boolean => members * 2 > ensemble;
