import type { FaultBudgets, GlobalView, Model, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import { peer, type PeerConfig } from '../../src/protocols/zab/index.ts';
import {
  Agreement,
  GlobalPrimaryOrder,
  Integrity,
  LocalPrimaryOrder,
  OnePrimaryPerEpoch,
  PrimaryIntegrity,
  TotalOrder,
  type ZabPrimary,
  type ZabTxn,
} from '../../spec/zab.ts';

export const peerIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `p${i + 1}`);

export interface ZabSetup {
  readonly peers: number;
  /** The values clients may ask an established leader to broadcast (one spontaneous event each). */
  readonly values: readonly string[];
  /** States in which a peer accepted an epoch above this are checked but not stored. */
  readonly maxEpoch: number;
  /** States in which more transactions were broadcast in all are checked but not stored. */
  readonly maxBroadcasts: number;
  /** States with more messages in flight are checked but not stored. */
  readonly maxInFlight?: number;
  readonly network: Model['network'];
  readonly faults?: FaultBudgets;
  /** The named delays the checker may fire; all four by default. */
  readonly timers?: readonly string[];
  readonly machine?: NodeMachine;
  /** Explore states equal up to a permutation of the peers once. */
  readonly symmetric?: boolean;
}

const config: PeerConfig = { electionTimeoutMs: 200, leaderTimeoutMs: 400, establishTimeoutMs: 400, quorumTimeoutMs: 400 };

const acceptedEpochOf = (node: NodeView) => (node.durable.acceptedEpoch as number | undefined) ?? 0;
const broadcastsOf = (node: NodeView) => ((node.durable.broadcasts as ZabTxn[] | undefined) ?? []).length;

/** Peers p1..pN, all alike, starting in election. */
export function zabModel(setup: ZabSetup): Model {
  const peers = peerIds(setup.peers);
  const { maxEpoch, maxBroadcasts, maxInFlight = Infinity } = setup;
  return {
    nodes: peers.map((id) => ({
      id,
      machine: setup.machine ?? peer,
      peers: peers.filter((p) => p !== id),
      config,
      spontaneous: setup.values.map((value) => ({ type: 'Broadcast', value })),
      ...(setup.timers ? { timers: setup.timers } : {}),
    })),
    network: setup.network,
    ...(setup.faults ? { faults: setup.faults } : {}),
    ...(setup.symmetric ? { symmetry: [peers] } : {}),
    boundary: (state: GlobalView) =>
      state.nodes.every((node) => acceptedEpochOf(node) <= maxEpoch) &&
      state.nodes.reduce((sum, node) => sum + broadcastsOf(node), 0) <= maxBroadcasts &&
      (maxInFlight === Infinity || state.messageCount <= maxInFlight),
    properties: zabProperties(),
  };
}

/** One peer's part of what the properties see. */
type PeerPart = {
  readonly delivered: readonly ZabTxn[];
  readonly broadcasts: readonly ZabTxn[];
  /** The epoch it leads as an established primary, or null. */
  readonly leads: number | null;
};

/** The whole ensemble as the properties see it, each list sorted so that equal views are one. */
export type ZabView = {
  readonly delivered: readonly (readonly ZabTxn[])[];
  readonly broadcasts: readonly (readonly ZabTxn[])[];
  readonly primaries: readonly ZabPrimary[];
  /** How many peers there are (a crashed peer delivered nothing since its restart). */
  readonly peers: number;
};

const byJson = <T>(items: readonly T[]): T[] => [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** What the properties see, node by node: delivered sequences, broadcast records, established primaries. */
export const ensembleView = abstraction<ZabView>(
  (node): PeerPart => {
    const broadcasts = (node.durable.broadcasts as ZabTxn[] | undefined) ?? [];
    if (node.crashed) return { delivered: [], broadcasts, leads: null };
    const { context } = node;
    return { delivered: context.delivered, broadcasts, leads: context.leader === node.id && context.committed !== null ? context.currentEpoch : null };
  },
  (parts) => {
    const all = Object.values(parts) as PeerPart[];
    return {
      delivered: byJson(all.map((part) => part.delivered)),
      broadcasts: byJson(all.map((part) => part.broadcasts)),
      primaries: byJson(all.filter((part) => part.leads !== null).map((part) => ({ epoch: part.leads!, delivered: part.delivered }))),
      peers: all.length,
    };
  },
);

/** Zab's properties (spec/zab.ts) and two goals that keep the model from being vacuous. */
export function zabProperties(): Property[] {
  return [
    always('Integrity', ensembleView, (v) => Integrity(v.delivered, v.broadcasts)),
    always('TotalOrder', ensembleView, (v) => TotalOrder(v.delivered)),
    always('Agreement', ensembleView, (v) => Agreement(v.delivered)),
    always('LocalPrimaryOrder', ensembleView, (v) => LocalPrimaryOrder(v.delivered, v.broadcasts)),
    always('GlobalPrimaryOrder', ensembleView, (v) => GlobalPrimaryOrder(v.delivered)),
    always('PrimaryIntegrity', ensembleView, (v) => PrimaryIntegrity(v.primaries, v.delivered)),
    always('OnePrimaryPerEpoch', ensembleView, (v) => OnePrimaryPerEpoch(v.broadcasts)),
    // A broadcast value is delivered by every peer.
    sometimes('DeliveredEverywhere', ensembleView, (v) =>
      v.delivered.length === v.peers && v.delivered[0]!.some((txn) => v.delivered.every((sequence) => sequence.some((other) => JSON.stringify(other) === JSON.stringify(txn)))),
    ),
    // A second epoch establishes a primary, which delivers a transaction it broadcast.
    sometimes('SecondEpochDelivers', ensembleView, (v) => v.primaries.some((primary) => primary.epoch >= 2 && primary.delivered.some((txn) => txn.epoch === primary.epoch))),
  ];
}
