import type { FaultBudgets, Model, NodeDefinition, Property } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { PaxosCommitAcceptorConfig, PaxosCommitLeaderConfig, PaxosCommitRMConfig } from '../../src/protocols/paxos-commit/index.ts';
import { acceptor, leader, resourceManager } from '../../src/protocols/paxos-commit/index.ts';
import { rmIds } from '../_shared/commit.ts';

export const acceptorIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `a${i + 1}`);

export interface PaxosCommitNodes {
  readonly rms: string[];
  readonly acceptors: string[];
  readonly leaders: string[];
}

export interface PaxosCommitSetup {
  readonly rms: number;
  readonly acceptors: number;
  /** The ballots (> 0) of each leader l1, l2, ...; no two leaders share a ballot. */
  readonly leaders: readonly (readonly number[])[];
  readonly mode: PaxosCommitLeaderConfig['mode'];
  readonly network: Model['network'];
  /** RMs may abort on their own while working (RMChooseToAbort); true unless said otherwise. */
  readonly rmsMayAbort?: boolean;
  readonly faults?: FaultBudgets;
  readonly boundary?: Model['boundary'];
  readonly leaderMachine?: NodeMachine;
  readonly acceptorMachine?: NodeMachine;
  /** Sets of interchangeable nodes: the RMs, the acceptors. */
  readonly symmetric?: { readonly rms?: boolean; readonly acceptors?: boolean };
  readonly properties: (nodes: PaxosCommitNodes) => Property[];
}

/**
 * Leaders l1.., RMs rm1.., acceptors a1..: every RM may abort on its own while working (unless
 * `rmsMayAbort` is false); every acceptor sends its phase 2b votes to every leader.
 */
export function paxosCommitModel(setup: PaxosCommitSetup): Model {
  if (setup.acceptors < 1) throw new RangeError('Paxos Commit needs at least one acceptor');
  const rms = rmIds(setup.rms);
  const acceptors = acceptorIds(setup.acceptors);
  const leaders = setup.leaders.map((_, i) => `l${i + 1}`);
  const owned = setup.leaders.flat();
  if (owned.some((b) => !Number.isInteger(b) || b < 1) || new Set(owned).size !== owned.length) {
    throw new RangeError(`leaders' ballots must be distinct whole numbers > 0 (ballot 0 is each RM's), not ${JSON.stringify(setup.leaders)}`);
  }
  const leaderNodes: NodeDefinition[] = setup.leaders.map((ballots, i) => ({
    id: leaders[i]!,
    machine: setup.leaderMachine ?? leader,
    peers: [...rms, ...acceptors],
    config: { rms, acceptors, ballots, mode: setup.mode, retryTimeoutMs: 500 } satisfies PaxosCommitLeaderConfig,
    ...(setup.mode === 'spontaneous'
      ? { spontaneous: rms.flatMap((ins) => ballots.map((bal) => ({ type: 'Phase1a', ins, bal }))), timers: [] }
      : {}),
  }));
  const rmNodes: NodeDefinition[] = rms.map((id) => ({
    id,
    machine: resourceManager,
    peers: [...leaders, ...acceptors],
    config: { acceptors } satisfies PaxosCommitRMConfig,
    spontaneous: setup.rmsMayAbort === false ? [] : [{ type: 'ChooseToAbort' }],
  }));
  const acceptorNodes: NodeDefinition[] = acceptors.map((id) => ({
    id,
    machine: setup.acceptorMachine ?? acceptor,
    peers: leaders,
    config: { rms, leaders } satisfies PaxosCommitAcceptorConfig,
  }));
  const symmetry = [...(setup.symmetric?.rms ? [rms] : []), ...(setup.symmetric?.acceptors ? [acceptors] : [])];
  return {
    nodes: [...leaderNodes, ...rmNodes, ...acceptorNodes],
    network: setup.network,
    ...(setup.faults ? { faults: setup.faults } : {}),
    ...(setup.boundary ? { boundary: setup.boundary } : {}),
    ...(symmetry.length > 0 ? { symmetry } : {}),
    properties: setup.properties({ rms, acceptors, leaders }),
  };
}
