import type { FaultBudgets, GlobalView, Model, NodeDefinition, Property } from '../../src/checker/index.ts';
import { abstraction, always, sometimes } from '../../src/checker/index.ts';
import { Agreement, chosenValues, Validity } from '../../spec/consensus.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { ProposerConfig } from '../../src/protocols/paxos/index.ts';
import { acceptor, learner, proposer } from '../../src/protocols/paxos/index.ts';

export const ids = (prefix: string, count: number, from = 1): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i + from}`);

export interface PaxosSetup {
  readonly acceptors: number;
  /** Ballots of each proposer; proposer i proposes value v<i+1> of its own when deployed. */
  readonly proposers: readonly (readonly number[])[];
  /** The values a proposer may propose in `spontaneous` mode (Paxos.tla's Value). */
  readonly values: readonly string[];
  /** Learners l1..lN; 0 makes the proposers the learners (Paxos.tla reads votes off the message set). */
  readonly learners: number;
  readonly mode: ProposerConfig['mode'];
  readonly network: Model['network'];
  readonly faults?: FaultBudgets;
  readonly boundary?: Model['boundary'];
  readonly acceptorMachine?: NodeMachine;
  /** Explore states equal up to a permutation of the acceptors once. */
  readonly symmetricAcceptors?: boolean;
  readonly properties: (nodes: { acceptors: string[]; learners: string[]; values: readonly string[] }) => Property[];
}

/** Proposers p1.., acceptors a1.., learners l1..; every acceptor reports its votes to every learner. */
export function paxosModel(setup: PaxosSetup): Model {
  const acceptors = ids('a', setup.acceptors);
  const learners = setup.learners > 0 ? ids('l', setup.learners) : setup.proposers.map((_, i) => `p${i + 1}`);
  const proposers: NodeDefinition[] = setup.proposers.map((ballots, i) => ({
    id: `p${i + 1}`,
    machine: proposer,
    peers: acceptors,
    config: {
      ballots,
      acceptors,
      values: setup.mode === 'deployed' ? [setup.values[i % setup.values.length]!] : setup.values,
      mode: setup.mode,
      retryTimeoutMs: 300,
    } satisfies ProposerConfig,
    ...(setup.mode === 'spontaneous'
      ? { spontaneous: [{ type: 'StartBallot' }, ...setup.values.map((value) => ({ type: 'Propose', value }))], timers: [] }
      : ballots.length === 1
        ? { timers: [] } // one ballot: a retry timer could only expire uselessly
        : {}),
  }));
  return {
    nodes: [
      ...proposers,
      ...acceptors.map((id) => ({ id, machine: setup.acceptorMachine ?? acceptor, peers: [...new Set([...proposers.map((p) => p.id), ...learners])], config: { learners } })),
      ...(setup.learners > 0 ? learners.map((id) => ({ id, machine: learner, peers: [], config: { acceptors } })) : []),
    ],
    network: setup.network,
    ...(setup.faults ? { faults: setup.faults } : {}),
    ...(setup.boundary ? { boundary: setup.boundary } : {}),
    ...(setup.symmetricAcceptors ? { symmetry: [acceptors] } : {}),
    properties: setup.properties({ acceptors, learners, values: setup.values }),
  };
}

/** Votes visible in the network: every Accepted message sent (all of them, with the message set). */
export const votesInFlight = (state: GlobalView) =>
  state.messages
    .filter((envelope) => envelope.message.type === 'Accepted')
    .map((envelope) => ({ acceptor: envelope.from, ballot: envelope.message.ballot as number, value: envelope.message.value as string }));

/**
 * Agreement and Validity over what the learners were told: the values some quorum voted for in
 * one ballot, by the votes that reached any learner. Stated over an abstraction of the learners,
 * so it is evaluated once per distinct combination of their records.
 */
export function learnedProperties(acceptors: readonly string[], learners: readonly string[], values: readonly string[]): Property[] {
  const chosenByLearners = abstraction<{ chosen: string[] }>(
    (node) => (learners.includes(node.id) && !node.crashed ? node.context.votes : undefined),
    (parts) => {
      const votes = Object.values(parts).flatMap((record) =>
        Object.entries(record as Record<string, string[]>).flatMap(([key, voters]) => {
          const [ballot, value] = key.split(':');
          return voters.map((acceptor) => ({ acceptor, ballot: Number(ballot), value: value! }));
        }),
      );
      return { chosen: chosenValues(votes, acceptors.length) };
    },
  );
  return [
    always('Agreement', chosenByLearners, ({ chosen }) => Agreement(chosen)),
    always('Validity', chosenByLearners, ({ chosen }) => Validity(chosen, values)),
    sometimes('ValueChosen', chosenByLearners, ({ chosen }) => chosen.length > 0),
  ];
}
