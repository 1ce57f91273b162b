import type { Model, NodeView, Property } from '../../src/checker/index.ts';
import { leadsTo } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import { NOOP, type Command } from '../../src/protocols/multi-paxos/index.ts';
import { multiPaxosModel } from './_build.ts';

const live = (nodes: readonly NodeView[]) => nodes.filter((node) => !node.crashed);
const leading = (node: NodeView) => !node.crashed && (node.value as { serving?: unknown } | null)?.serving === 'leading';

/**
 * A value is eventually chosen and learned: once r1 leads with a client's command proposed, some
 * live replica eventually knows a command decided (leadsTo: P ~> Q, on every fair behaviour). Q
 * asks for a decision, not only a quorum's votes: a command chosen that no replica ever learns
 * answers no client.
 */
const proposedCommandEventuallyDecided: Property = leadsTo(
  'ProposedCommandEventuallyDecided',
  (state) => {
    const r1 = state.nodes.find((node) => node.id === 'r1')!;
    return leading(r1) && (r1.context.proposals as Command[]).some((command) => command !== NOOP);
  },
  (state) => live(state.nodes).some((node) => (node.context.decided as (Command | null)[]).some((command) => command !== null && command !== NOOP)),
);

export interface MultiPaxosLivenessSetup {
  readonly ballots: number;
  readonly inFlight: number;
  readonly machine?: NodeMachine;
}

/**
 * Multi-Paxos for liveness: three replicas, r1 leading ballot 0 from the start, a client asking
 * r1 for c1, r3 crash-stopping at any moment, a multiset network that loses nothing, heartbeats
 * off. FLP forbids a consensus protocol that always terminates in an asynchronous system with one
 * crash; Multi-Paxos terminates under a leader that eventually stays ("Paxos Made Simple" §2.4:
 * progress needs a distinguished proposer). The model states it as an Ω failure detector would
 * (Chandra and Toueg 1996): r1 is the eventually stable leader, its election timer weakly fair;
 * before that, r2 may campaign (in ballot 1, its timer not fair) and depose r1, which must then
 * campaign again (in ballot 3) and re-propose what its quorum reports. Deliveries to every replica
 * are weakly fair; client requests, r2's timer and the crash are not. Every replicated-log safety
 * property is checked on the way.
 *
 * The boundary: a step into a state with a promise above `ballots` or more than `inFlight`
 * messages in flight is not explored, and a behaviour that would take it is never reported as a
 * violation (docs/checker.md, "Boundaries and liveness").
 */
export function multiPaxosLivenessModel(setup: MultiPaxosLivenessSetup): Model {
  const model = multiPaxosModel({
    replicas: 3,
    commands: ['c1'],
    requests: (id) => (id === 'r1' ? ['c1'] : []),
    maxBallot: setup.ballots,
    maxInFlight: setup.inFlight,
    network: 'multiset',
    faults: { crash: 1, crashable: ['r3'], restart: false },
    heartbeat: false,
    candidates: ['r1', 'r2'],
    ...(setup.machine ? { machine: setup.machine } : {}),
  });
  return {
    ...model,
    // One command: the two-command goal is out of reach by construction.
    properties: [...model.properties.filter((p) => p.name !== 'TwoCommandsApplied'), proposedCommandEventuallyDecided],
    fairness: { weak: ['deliver', { family: 'timer', nodes: ['r1'] }] },
  };
}
