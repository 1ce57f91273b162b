/**
 * Messages of Skeen's Three-Phase Commit (D. Skeen, "Nonblocking Commit Protocols", SIGMOD 1981;
 * Bernstein, Hadzilacos & Goodman, "Concurrency Control and Recovery in Database Systems", 1987,
 * §7.5, whose VOTE-REQ, PRE-COMMIT, COMMIT and STATE-REQ are named here as CanCommit, PreCommit,
 * DoCommit and StateReq).
 *
 * - CanCommit: the coordinator asks for votes; a participant answers Yes or No.
 * - PreCommit: every vote was Yes; a participant that gets it is committable and answers Ack.
 * - DoCommit / Abort: the decision, from the coordinator or from a backup coordinator.
 * - StateReq / StateReport: the termination protocol. A backup coordinator asks the participants
 *   for their state and decides from the reports (see termination-rule.ts).
 * - DecisionReq: a node that restarted undecided asks the others for the decision (BHG's recovery
 *   of a process that failed while uncertain or committable: it may not decide on its own).
 */
export type ThreePhaseMessage =
  | { readonly type: 'CanCommit' }
  | { readonly type: 'Yes' }
  | { readonly type: 'No' }
  | { readonly type: 'PreCommit' }
  | { readonly type: 'Ack' }
  | { readonly type: 'DoCommit' }
  | { readonly type: 'Abort' }
  | { readonly type: 'StateReq' }
  | { readonly type: 'StateReport'; readonly state: ParticipantState }
  | { readonly type: 'DecisionReq' };

/**
 * A participant's state in 3PC, kept in its durable state under `state`. `uncertain` is
 * TCommit's prepared (voted Yes, no PreCommit yet); `committable` has received PreCommit: it
 * knows every participant voted Yes, but has not been told to commit.
 */
export type ParticipantState = 'working' | 'uncertain' | 'committable' | 'committed' | 'aborted';

export const PARTICIPANT_STATES: readonly ParticipantState[] = ['working', 'uncertain', 'committable', 'committed', 'aborted'];

/** A coordinator's recorded decision, kept in its durable state under `decision`. */
export type Decision = 'commit' | 'abort';
