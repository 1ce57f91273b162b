import type { GlobalView, NodeView, Property } from '../../src/checker/index.ts';
import { always, refines, sometimes } from '../../src/checker/index.ts';
import type { RMState, RMStates, TCommitContext } from '../../spec/commit.ts';
import { TCConsistent, tcommit, tcommitEvents, TCTypeOK } from '../../spec/commit.ts';

/**
 * The refinement mapping from a commit protocol's RMs to TCommit's rmState. A running RM is in the
 * state its machine is in; a crashed RM is in the state its durable image records (working if
 * none): what it will come back as.
 */
export function rmStateOf(node: NodeView): RMState {
  if (node.crashed) return (node.durable.rmState as RMState | undefined) ?? 'working';
  return node.value as RMState;
}

export function rmStates(state: GlobalView, rms: readonly string[]): RMStates {
  return Object.fromEntries(rms.map((rm) => [rm, rmStateOf(state.node(rm))]));
}

/** TCTypeOK and TCConsistent as invariants over the RMs `rms`. */
export function commitInvariants(rms: readonly string[]): Property[] {
  return [
    always('TCTypeOK', (state) => TCTypeOK(rmStates(state, rms))),
    always('TCConsistent', (state) => TCConsistent(rmStates(state, rms))),
  ];
}

/** Goals that keep a commit model honest: some behaviour commits and some aborts. */
export function commitGoals(rms: readonly string[]): Property[] {
  return [
    sometimes('SomeRMCommits', (state) => Object.values(rmStates(state, rms)).includes('committed')),
    sometimes('SomeRMAborts', (state) => Object.values(rmStates(state, rms)).includes('aborted')),
  ];
}

/** The protocol implements TCommit: every step is a TCommit step or leaves rmState unchanged. */
export function refinesTCommit(rms: readonly string[]): Property {
  return refines<TCommitContext>({
    name: 'TCommit',
    spec: tcommit,
    specInput: { config: { rms } },
    project: (node) => (rms.includes(node.id) ? rmStateOf(node) : undefined),
    abstraction: (parts) => ({ rmState: parts as RMStates }),
    events: () => tcommitEvents(rms),
  });
}

export const rmIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `rm${i + 1}`);
