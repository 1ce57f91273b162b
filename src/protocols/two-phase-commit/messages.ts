/**
 * Messages of Two-Phase Commit (Gray, "Notes on Data Base Operating Systems", 1978; named as in
 * Lamport's TwoPhase.tla). The TM asks for votes with Prepare, an RM votes yes with Prepared, the
 * TM broadcasts its decision as Commit or Abort, and — when retransmission is on — an RM confirms
 * the decision with Ack so the TM knows when to stop resending it.
 */
export type TwoPhaseMessage =
  | { readonly type: 'Prepare' }
  | { readonly type: 'Prepared' }
  | { readonly type: 'Commit' }
  | { readonly type: 'Abort' }
  | { readonly type: 'Ack' };

/** The state an RM is in, and keeps in its durable state under `rmState`. */
export type RMState = 'working' | 'prepared' | 'committed' | 'aborted';

/** A TM's recorded decision, kept in its durable state under `decision`. */
export type Decision = 'commit' | 'abort';
