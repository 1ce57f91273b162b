import { assign, setup } from 'xstate';

/**
 * Transaction commit, after Lamport's TCommit.tla (tlaplus/Examples,
 * specifications/transaction_commit) and Gray & Lamport, "Consensus on Transaction Commit"
 * (2006): each resource manager (RM) is working, prepared, committed or aborted, and no RM may
 * commit while another aborts.
 */
export type RMState = 'working' | 'prepared' | 'committed' | 'aborted';

export const RM_STATES: readonly RMState[] = ['working', 'prepared', 'committed', 'aborted'];

/** TCommit's one variable: the state of every RM. */
export type RMStates = { readonly [rm: string]: RMState };

/** TCTypeOK: every RM is in one of the four states. */
export const TCTypeOK = (rmState: RMStates): boolean => Object.values(rmState).every((s) => RM_STATES.includes(s));

/** TCConsistent: no two RMs have reached conflicting decisions. */
export const TCConsistent = (rmState: RMStates): boolean => {
  const states = Object.values(rmState);
  return !(states.includes('committed') && states.includes('aborted'));
};

/** canCommit: every RM is prepared or committed. */
export const canCommit = (rmState: RMStates): boolean =>
  Object.values(rmState).every((s) => s === 'prepared' || s === 'committed');

/** notCommitted: no RM has committed. */
export const notCommitted = (rmState: RMStates): boolean => Object.values(rmState).every((s) => s !== 'committed');

export type TCommitContext = { readonly rmState: RMStates };

export type TCommitEvent =
  | { readonly type: 'Prepare'; readonly rm: string }
  | { readonly type: 'Commit'; readonly rm: string }
  | { readonly type: 'Abort'; readonly rm: string };

const setRM = (context: TCommitContext, rm: string, state: RMState): TCommitContext => ({
  rmState: { ...context.rmState, [rm]: state },
});

/**
 * TCommit as a machine: TCPrepare(rm), and TCDecide(rm) split into its commit and abort
 * disjuncts. Its input names the RMs (`config.rms`), so it can also run as a model's only node.
 */
export const tcommit = setup({
  types: {
    context: {} as TCommitContext,
    events: {} as TCommitEvent,
    input: {} as { readonly config: { readonly rms: readonly string[] } },
  },
  guards: {
    isWorking: ({ context, event }) => context.rmState[event.rm] === 'working',
    mayCommit: ({ context, event }) => context.rmState[event.rm] === 'prepared' && canCommit(context.rmState),
    mayAbort: ({ context, event }) =>
      (context.rmState[event.rm] === 'working' || context.rmState[event.rm] === 'prepared') && notCommitted(context.rmState),
  },
}).createMachine({
  id: 'TCommit',
  context: ({ input }) => ({ rmState: Object.fromEntries(input.config.rms.map((rm) => [rm, 'working' as RMState])) }),
  on: {
    Prepare: { guard: 'isWorking', actions: assign(({ context, event }) => setRM(context, event.rm, 'prepared')) },
    Commit: { guard: 'mayCommit', actions: assign(({ context, event }) => setRM(context, event.rm, 'committed')) },
    Abort: { guard: 'mayAbort', actions: assign(({ context, event }) => setRM(context, event.rm, 'aborted')) },
  },
});

/** Every event TCommit might take, for RMs `rms`: TCNext's disjuncts. */
export const tcommitEvents = (rms: readonly string[]): TCommitEvent[] =>
  rms.flatMap((rm) => [
    { type: 'Prepare', rm },
    { type: 'Commit', rm },
    { type: 'Abort', rm },
  ]);
