import type { RMStates } from './commit.ts';

/**
 * The liveness of atomic commitment, over TCommit's rmState (Gray and Lamport, "Consensus on
 * Transaction Commit", 2006, §2: "Non-triviality ... if no failures occur, every RM eventually
 * decides"; Skeen 1981 for non-blocking commit: the operational sites terminate despite site
 * failures). Pure predicates; the models combine them with `leadsTo` / `eventually` and state
 * the fairness under which they are claimed.
 */

/** Some RM has voted Prepared and not yet learned the outcome. */
export const SomeRMPrepared = (rmState: RMStates): boolean => Object.values(rmState).includes('prepared');

/**
 * No RM is left prepared. `SomeRMPrepared ~> NoRMPrepared` is "every prepared RM eventually
 * decides": an RM leaves `prepared` only for `committed` or `aborted` and never comes back (a
 * TCommit step), so the leads-to is the conjunction over the RMs r of prepared(r) ~> decided(r) —
 * an RM that stays prepared keeps NoRMPrepared from ever holding, and a working RM that prepares
 * later is a new obligation the same leads-to covers.
 */
export const NoRMPrepared = (rmState: RMStates): boolean => !SomeRMPrepared(rmState);

/** Every RM in `live` has decided: committed or aborted. */
export const LiveRMsDecided = (rmState: RMStates, live: readonly string[]): boolean =>
  live.every((rm) => rmState[rm] === 'committed' || rmState[rm] === 'aborted');
