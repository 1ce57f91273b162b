import type { FaultBudgets, Model, NetworkSemantics, NodeDefinition, Property } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { CoordinatorConfig, ParticipantConfig } from '../../src/protocols/three-phase-commit/index.ts';
import { coordinator, DEFAULT_COORDINATOR_CONFIG, DEFAULT_PARTICIPANT_CONFIG, participant } from '../../src/protocols/three-phase-commit/index.ts';

export const COORDINATOR = 'coordinator';

export const participantIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `p${i + 1}`);

/**
 * How crashes are detected.
 * - `perfect`: 3PC's own assumption (Skeen 1981; BHG §7.5: timeouts that never fire on a live
 *   site). No timer ever fires; instead a crash-stop failure is announced to the crashed node's
 *   peers by a `PeerCrashed` notice (the checker's `faults.notifyCrashes`), and no one is suspected
 *   who has not crashed.
 * - `timeouts`: what a deployment has. Every armed timer may fire at any moment, as in any
 *   asynchronous network: a slow or cut-off node is suspected though it is alive.
 */
export type FailureDetection = 'perfect' | 'timeouts';

export interface ThreePhaseSetup {
  readonly participants: number;
  readonly network: NetworkSemantics;
  readonly detection: FailureDetection;
  readonly faults?: Omit<FaultBudgets, 'restart' | 'notifyCrashes'>;
  /**
   * Whether a crashed node comes back (from its durable state). Off: crash-stop, 3PC's failure
   * model. On, with `perfect` detection, a restarted node stays suspected by everyone told of its
   * crash; undecided, it asks for the decision on its `retryTimeout`, the one timer that then fires.
   */
  readonly restarts?: boolean;
  readonly participantMachine?: NodeMachine;
  readonly boundary?: Model['boundary'];
  readonly properties: (participants: readonly string[]) => Property[];
}

/**
 * A coordinator named `coordinator` and participants `p1..pN`, each of which may choose to abort
 * while working (its vote will be No). The participants are not a symmetry set: the backup order
 * of the termination protocol tells them apart.
 */
export function threePhaseModel(setup: ThreePhaseSetup): Model {
  const ids = participantIds(setup.participants);
  const restarts = setup.restarts ?? false;
  // With perfect detection no timeout suspects anyone; only a restarted node's retry may fire.
  const timers = setup.detection === 'perfect' ? { timers: restarts ? ['retryTimeout'] : [] } : {};
  const coordinatorNode: NodeDefinition = {
    id: COORDINATOR,
    machine: coordinator,
    peers: ids,
    config: DEFAULT_COORDINATOR_CONFIG satisfies CoordinatorConfig,
    ...timers,
  };
  const participants: NodeDefinition[] = ids.map((id) => ({
    id,
    machine: setup.participantMachine ?? participant,
    peers: [COORDINATOR, ...ids.filter((other) => other !== id)],
    config: DEFAULT_PARTICIPANT_CONFIG satisfies ParticipantConfig,
    spontaneous: [{ type: 'ChooseToAbort' }],
    ...timers,
  }));
  const faults: FaultBudgets =
    setup.detection === 'perfect' ? { ...setup.faults, restart: restarts, notifyCrashes: true } : { ...setup.faults, restart: restarts };
  return {
    nodes: [coordinatorNode, ...participants],
    network: setup.network,
    faults,
    ...(setup.boundary ? { boundary: setup.boundary } : {}),
    properties: setup.properties(ids),
  };
}
