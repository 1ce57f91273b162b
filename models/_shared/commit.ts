import type { NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, refines, sometimes } from '../../src/checker/index.ts';
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

/** The abstraction of a commit protocol's global state to TCommit's variable, over the RMs `rms`. */
export const tcommitState = (rms: readonly string[]) =>
  abstraction<TCommitContext>(
    (node) => (rms.includes(node.id) ? rmStateOf(node) : undefined),
    (parts) => ({ rmState: parts as RMStates }),
  );

/**
 * TCommit's properties for a commit protocol over RMs `rms`: the invariants TCTypeOK and
 * TCConsistent, refinement of TCommit, and goals that keep the model honest (some behaviour
 * commits, some aborts).
 */
export function commitProperties(rms: readonly string[], include: { refinement: boolean } = { refinement: true }): Property[] {
  const over = tcommitState(rms);
  const states = (abstract: TCommitContext) => Object.values(abstract.rmState);
  return [
    always('TCTypeOK', over, (abstract) => TCTypeOK(abstract.rmState)),
    always('TCConsistent', over, (abstract) => TCConsistent(abstract.rmState)),
    ...(include.refinement
      ? [refines<TCommitContext>({ name: 'TCommit', over, spec: tcommit, specInput: { config: { rms } }, events: () => tcommitEvents(rms) })]
      : []),
    sometimes('SomeRMCommits', over, (abstract) => states(abstract).includes('committed')),
    sometimes('SomeRMAborts', over, (abstract) => states(abstract).includes('aborted')),
  ];
}

export const rmIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `rm${i + 1}`);
