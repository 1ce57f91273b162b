import type { Model, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, refines, sometimes, whenQuiescent } from '../../src/checker/index.ts';
import type { AbstractReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { abstractReplica } from '../../src/protocols/replicated-actor/index.ts';
import { resourceManager, transactionManager } from '../../src/protocols/two-phase-commit/index.ts';
import type { RMState, RMStates, TCommitContext } from '../../spec/commit.ts';
import { TCConsistent, tcommit, tcommitEvents, TCTypeOK } from '../../spec/commit.ts';
import { rmStateOf } from '../_shared/commit.ts';
import { twoPhaseModel } from '../two-phase/_build.ts';

/** 2PC's TM and RM, each an abstract replicated node: state kept across failover, outbox re-sent. */
export const abstractTM = abstractReplica(transactionManager);
export const abstractRM = abstractReplica(resourceManager);

/** Which 2PC: the plain machines, or the same machines as abstract replicated actors. */
export type Arrangement = 'plain' | 'replicated';

/**
 * The one configuration both arrangements are checked in, so that their verdicts compare: RMs on a
 * reliable multiset network, the TM deciding on the last vote and aborting on its vote timeout,
 * neither retransmission nor acknowledgements (nothing is lost but what a crash loses), and one
 * crash of the TM. Plain 2PC's TM crash-stops (it never returns); the replicated TM's crash is its
 * group's leader failing, and the group fails over — as it does while a majority of its replicas
 * is up — with its state intact.
 */
export function tmCrashModel(arrangement: Arrangement, rms: number, properties: (rms: readonly string[]) => Property[]): Model {
  const replicated = arrangement === 'replicated';
  const model = twoPhaseModel({
    rms,
    network: 'multiset',
    tm: { commitOnLastVote: true, retransmit: false },
    rm: { acknowledge: false },
    ...(replicated ? { tmMachine: abstractTM, rmMachine: abstractRM } : {}),
    faults: { crash: 1, crashable: ['tm'], restart: replicated },
    symmetricRMs: true,
    properties,
  });
  return model;
}

/** An RM's 2PC state: the machine's own for plain 2PC, the hosted actor's for an abstract replica (its image when crashed). */
export function rmState(node: NodeView): RMState {
  const context = node.context as AbstractReplicaContext | undefined;
  if (!node.crashed && context?.actor !== undefined) return context.actor.value as RMState;
  const image = node.durable.replica as unknown as AbstractReplicaContext | undefined;
  if (image !== undefined) return image.actor.value as RMState;
  return rmStateOf(node);
}

const tcommitOver = (rms: readonly string[]) =>
  abstraction<TCommitContext>(
    (node) => (rms.includes(node.id) ? rmState(node) : undefined),
    (parts) => ({ rmState: parts as RMStates }),
  );

/**
 * TCommit's invariants and refinement, goals that keep the model honest, and PreparedRMsDecide:
 * in every state where nothing can happen but faults, no RM is left prepared — a prepared RM is
 * not blocked forever (the deadlock-style check of src/checker: `whenQuiescent`).
 */
export function tmCrashProperties(rms: readonly string[]): Property[] {
  const over = tcommitOver(rms);
  const states = (abstract: TCommitContext) => Object.values(abstract.rmState);
  return [
    always('TCTypeOK', over, (abstract) => TCTypeOK(abstract.rmState)),
    always('TCConsistent', over, (abstract) => TCConsistent(abstract.rmState)),
    refines<TCommitContext>({ name: 'TCommit', over, spec: tcommit, specInput: { config: { rms } }, events: () => tcommitEvents(rms) }),
    sometimes('SomeRMCommits', over, (abstract) => states(abstract).includes('committed')),
    sometimes('SomeRMAborts', over, (abstract) => states(abstract).includes('aborted')),
    whenQuiescent('PreparedRMsDecide', over, (abstract) => !states(abstract).includes('prepared')),
  ];
}
