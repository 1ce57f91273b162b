import type { FaultBudgets, Model, NetworkSemantics, NodeDefinition, Property } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { ResourceManagerConfig, TransactionManagerConfig } from '../../src/protocols/two-phase-commit/index.ts';
import { resourceManager, transactionManager } from '../../src/protocols/two-phase-commit/index.ts';
import { rmIds } from '../_shared/commit.ts';

export interface TwoPhaseSetup {
  readonly rms: number;
  readonly network: NetworkSemantics;
  readonly tm?: Partial<TransactionManagerConfig>;
  readonly rm?: Partial<ResourceManagerConfig>;
  readonly tmMachine?: NodeMachine;
  readonly rmMachine?: NodeMachine;
  readonly faults?: FaultBudgets;
  readonly boundary?: Model['boundary'];
  /** Explore states equal up to a permutation of the RMs once. */
  readonly symmetricRMs?: boolean;
  readonly properties: (rms: readonly string[]) => Property[];
}

/** A TM named `tm` and RMs `rm1..rmN`; each RM may abort on its own while working. */
export function twoPhaseModel(setup: TwoPhaseSetup): Model {
  const rms = rmIds(setup.rms);
  const tmConfig: TransactionManagerConfig = {
    commitOnLastVote: true,
    retransmit: true,
    voteTimeoutMs: 1000,
    retryTimeoutMs: 200,
    ...setup.tm,
  };
  const tm: NodeDefinition = {
    id: 'tm',
    machine: setup.tmMachine ?? transactionManager,
    peers: rms,
    config: tmConfig,
    spontaneous: tmConfig.commitOnLastVote ? [] : [{ type: 'DecideCommit' }],
  };
  const rmNodes: NodeDefinition[] = rms.map((id) => ({
    id,
    machine: setup.rmMachine ?? resourceManager,
    peers: ['tm'],
    config: { acknowledge: true, ...setup.rm },
    spontaneous: [{ type: 'ChooseToAbort' }],
  }));
  return {
    nodes: [tm, ...rmNodes],
    network: setup.network,
    ...(setup.faults ? { faults: setup.faults } : {}),
    ...(setup.boundary ? { boundary: setup.boundary } : {}),
    ...(setup.symmetricRMs ? { symmetry: [rms] } : {}),
    properties: setup.properties(rms),
  };
}

/**
 * The semantics of Lamport's TwoPhase.tla: a message set, no faults, the TM deciding to commit in
 * a step of its own (TMCommit) and able to abort whenever undecided (its vote timeout is TMAbort),
 * no acknowledgements or retransmission. The TM's initial Prepare requests sit in the set from
 * the start, so delivering one is exactly TwoPhase.tla's spontaneous RMPrepare.
 */
export const TWO_PHASE_TLA = {
  network: 'set',
  tm: { commitOnLastVote: false, retransmit: false },
  rm: { acknowledge: false },
} as const;
