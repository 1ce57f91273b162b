/**
 * Messages of Paxos Commit (Gray & Lamport, "Consensus on Transaction Commit", 2006), named and
 * shaped as in Lamport's PaxosCommit.tla (tlaplus/Examples, specifications/transaction_commit).
 * There is one instance of Paxos per RM, named by the RM (`ins`); each decides whether that RM is
 * `prepared` or `aborted`. Ballot 0 of an instance belongs to its RM, which sends the instance's
 * only ballot-0 phase 2a message; higher ballots belong to leaders. The sender of a phase 1b or
 * 2b message (PaxosCommit.tla's `acc` field) is the envelope's `from`.
 */
export type InstanceValue = 'prepared' | 'aborted';

/** What an acceptor reports in phase 1b: its last vote's value, or `none` (PaxosCommit.tla's "none"). */
export type ReportedValue = InstanceValue | 'none';

export type PaxosCommitMessage =
  /** Leader → RM: the request to prepare (the paper's Prepare, sent when the transaction ends). */
  | { readonly type: 'Prepare' }
  /** Leader → acceptors: start ballot `bal` (> 0) of instance `ins`. */
  | { readonly type: 'Phase1a'; readonly ins: string; readonly bal: number }
  /** Acceptor → leader: a promise for ballot `mbal`, with the acceptor's last vote (`bal` -1: none). */
  | { readonly type: 'Phase1b'; readonly ins: string; readonly mbal: number; readonly bal: number; readonly val: ReportedValue }
  /** RM (ballot 0) or leader (ballot > 0) → acceptors: vote for `val` in ballot `bal` of instance `ins`. */
  | { readonly type: 'Phase2a'; readonly ins: string; readonly bal: number; readonly val: InstanceValue }
  /** Acceptor → leaders: a vote. */
  | { readonly type: 'Phase2b'; readonly ins: string; readonly bal: number; readonly val: InstanceValue }
  /** Leader → RMs: the outcome. */
  | { readonly type: 'Commit' }
  | { readonly type: 'Abort' };

/**
 * The quorums: any majority of the acceptors (PaxosCommit.cfg's Majority for three acceptors).
 * With 2F+1 acceptors, F may fail.
 */
export const isMajority = (members: number, acceptors: number): boolean => members * 2 > acceptors;

/** An acceptor's state for one instance: PaxosCommit.tla's aState[ins][acc]. */
export interface InstanceState {
  /** The highest ballot promised or voted in. */
  readonly mbal: number;
  /** The ballot of the last vote, -1 before any. */
  readonly bal: number;
  readonly val: ReportedValue;
}

/** PaxosCommit.tla's PCInit for an acceptor's instance. */
export const INITIAL_INSTANCE: InstanceState = { mbal: 0, bal: -1, val: 'none' };
