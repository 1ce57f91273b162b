import type { FaultBudgets, GlobalView, Model, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import { NOOP, replica, type ReplicaConfig, type SlotVotes } from '../../src/protocols/multi-paxos/index.ts';
import {
  AppliedLogsConsistent,
  AppliedWithoutGaps,
  chosenBySlot,
  SlotAgreement,
  SlotValidity,
  unionBySlot,
  valuesBySlot,
  type CastSlotVote,
} from '../../spec/replicated-log.ts';

export const replicaIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `r${i + 1}`);
export const commandNames = (count: number): string[] => Array.from({ length: count }, (_, i) => `c${i + 1}`);

export interface MultiPaxosSetup {
  readonly replicas: number;
  /** Every command a client may request (what SlotValidity allows, with the no-op). */
  readonly commands: readonly string[];
  /** The commands clients may ask of each replica, at any moment; all of them of every replica by default. */
  readonly requests?: (replica: string) => readonly string[];
  /** States in which a replica has promised a ballot above this are checked but not stored. */
  readonly maxBallot: number;
  /** States in which a replica proposed, voted or decided in slot `maxSlots` or above are checked but not stored. */
  readonly maxSlots?: number;
  /** States with more messages in flight are checked but not stored. */
  readonly maxInFlight?: number;
  readonly network: Model['network'];
  readonly faults?: FaultBudgets;
  /** Whether a leader's heartbeat (retransmission) may fire. */
  readonly heartbeat: boolean;
  /** The replicas whose election timer may fire (within the ballot bound); all of them by default. */
  readonly candidates?: readonly string[];
  readonly machine?: NodeMachine;
}

/** The durable promise of a replica, crashed or not. */
const promisedOf = (node: NodeView) => (node.durable.promised as number | undefined) ?? -1;

/** How many slots a replica's state mentions: proposals, votes, decisions. */
const slotsOf = (node: NodeView) =>
  Math.max(
    ((node.durable.votes as SlotVotes | undefined) ?? []).length,
    ((node.durable.decided as unknown[] | undefined) ?? []).length,
    node.crashed ? 0 : (node.context.proposals as unknown[]).length,
  );

/**
 * Replicas r1..rN, r1 leading ballot 0 from its first boot. Ballots, slots and messages in flight
 * are bounded by the model's boundary (TLC's CONSTRAINT): a state beyond them is checked, not
 * expanded.
 */
export function multiPaxosModel(setup: MultiPaxosSetup): Model {
  const replicas = replicaIds(setup.replicas);
  const config: ReplicaConfig = { replicas, leadFirstBallot: true, electionTimeoutMs: 300, heartbeatMs: 100 };
  // A replica campaigns in the first ballot it owns above its promise: r1, which starts in ballot
  // 0, in ballot n; the others in ballot (their index). One whose first campaign would already be
  // beyond `maxBallot` gets no election timer, which would only lead to states past the boundary.
  const mayCampaign = (index: number) =>
    (index === 0 ? replicas.length : index) <= setup.maxBallot && (!setup.candidates || setup.candidates.includes(replicas[index]!));
  const { maxBallot, maxSlots = Infinity, maxInFlight = Infinity } = setup;
  return {
    nodes: replicas.map((id, index) => ({
      id,
      machine: setup.machine ?? replica,
      peers: replicas.filter((r) => r !== id),
      config,
      spontaneous: (setup.requests?.(id) ?? setup.commands).map((value) => ({ type: 'ClientRequest', value })),
      timers: [...(mayCampaign(index) ? ['electionTimeout'] : []), ...(setup.heartbeat ? ['heartbeatTimeout'] : [])],
    })),
    network: setup.network,
    ...(setup.faults ? { faults: setup.faults } : {}),
    boundary: (state: GlobalView) =>
      state.nodes.every((node) => promisedOf(node) <= maxBallot && slotsOf(node) <= maxSlots) && (maxInFlight === Infinity || state.messageCount <= maxInFlight),
    properties: replicatedLogProperties(replicas, setup.commands),
  };
}

/** What the replicated-log properties see of the whole group: every vote, every decided and applied log. */
export type GroupLog = {
  /** Per slot, the commands chosen: voted for by a quorum in one ballot now, or decided by some replica. */
  readonly chosen: string[][];
  /** Per slot, the commands a quorum voted for in one ballot above 0: chosen under a later leader. */
  readonly chosenLater: string[][];
  /** Each live replica's applied log and what it knows decided. */
  readonly replicas: { readonly applied: readonly string[]; readonly decided: readonly (string | null)[] }[];
};

/**
 * The group's log, abstracted node by node: each live replica's votes, decisions and applied log;
 * a crashed one's votes and decisions as its durable image holds them (it has applied nothing
 * until it restarts and re-applies its decided log). Properties over it are evaluated once per
 * distinct combination, whatever the network and the proposers hold.
 */
export const groupLog = (replicas: readonly string[]) =>
  abstraction<GroupLog>(
    (node) =>
      node.crashed
        ? { votes: (node.durable.votes as SlotVotes | undefined) ?? [], decided: (node.durable.decided as (string | null)[] | undefined) ?? [], applied: null }
        : { votes: node.context.votes, decided: node.context.decided, applied: node.context.applied },
    (parts) => {
      const nodes = Object.entries(parts) as [string, { votes: SlotVotes; decided: (string | null)[]; applied: string[] | null }][];
      const votes: CastSlotVote[] = nodes.flatMap(([acceptor, { votes }]) =>
        votes.flatMap((vote, slot) => (vote ? [{ acceptor, slot, ballot: vote.ballot, value: vote.value }] : [])),
      );
      return {
        chosen: unionBySlot(chosenBySlot(votes, replicas.length), valuesBySlot(nodes.map(([, part]) => part.decided))),
        // A quorum's votes in one ballot are all in that ballot: filtering keeps every later choice.
        chosenLater: chosenBySlot(votes.filter((vote) => vote.ballot > 0), replicas.length),
        replicas: nodes.filter(([, part]) => part.applied !== null).map(([, part]) => ({ applied: part.applied!, decided: part.decided })),
      };
    },
  );

/** spec/replicated-log.ts over the group's log, and goals that show the model is not vacuous. */
export function replicatedLogProperties(replicas: readonly string[], commands: readonly string[]): Property[] {
  const log = groupLog(replicas);
  const isCommand = (value: string) => value !== NOOP;
  return [
    always('SlotAgreement', log, ({ chosen }) => SlotAgreement(chosen)),
    always('SlotValidity', log, ({ chosen }) => SlotValidity(chosen, [...commands, NOOP])),
    always('AppliedWithoutGaps', log, ({ replicas: rs }) => rs.every((r) => AppliedWithoutGaps(r.applied, r.decided))),
    always('AppliedLogsConsistent', log, ({ replicas: rs }) => AppliedLogsConsistent(rs.map((r) => r.applied))),
    sometimes('CommandChosen', log, ({ chosen }) => chosen.some((values) => values.some(isCommand))),
    sometimes('CommandChosenAfterLeaderChange', log, ({ chosenLater }) => chosenLater.some((values) => values.some(isCommand))),
    sometimes('TwoCommandsApplied', log, ({ replicas: rs }) => rs.some((r) => r.applied.filter(isCommand).length >= 2)),
  ];
}
