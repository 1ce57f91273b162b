import type { GlobalView, Model, NodeDefinition, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, history, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import { abstractReplica, byDestinationAnd } from '../../src/protocols/replicated-actor/index.ts';
import type { ReadResult, ShardCompare, ShardOperation, TransactionCoordinatorConfig } from '../../src/protocols/two-phase-commit/index.ts';
import { locksOf, participant, sharedLocksOf, transactionCoordinator } from '../../src/protocols/two-phase-commit/index.ts';
import { KvState } from '../../src/service/index.ts';
import type { RMState } from '../../spec/commit.ts';
import { TCConsistent } from '../../spec/commit.ts';
import { participantContext } from './_lock-table.ts';
import { permutations } from '../_shared/permutations.ts';

/** One transaction's part at one participant, in the service's shape. */
interface ShardPart {
  readonly compare: readonly ShardCompare[];
  readonly ops: readonly ShardOperation[];
}

/**
 * The bound: keys k1 at p1 and k2 at p2, two transactions that each read the key the other writes
 * (the write-skew shape, which only read locks make serializable):
 * - t1: compare "k2" does not exist (at p2), put k1 = "t1" (at p1);
 * - t2: get k1 (at p1), put k2 = "t2" (at p2).
 * Serially, t1;t2 commits both with t2 reading k1 = "t1" (version 1), and t2;t1 fails t1's compare.
 * Both committing with t2 reading k1 absent is write skew: no serial order gives it.
 */
export const CROSS_SHARD_TRANSACTIONS: { readonly [txn: string]: { readonly [participant: string]: ShardPart } } = {
  t1: {
    p1: { compare: [], ops: [{ op: 'put', key: 'k1', value: 't1' }] },
    p2: { compare: [{ key: 'k2', target: 'exists', exists: false }], ops: [] },
  },
  t2: {
    p1: { compare: [], ops: [{ op: 'get', key: 'k1' }] },
    p2: { compare: [], ops: [{ op: 'put', key: 'k2', value: 't2' }] },
  },
};

const TXNS = Object.keys(CROSS_SHARD_TRANSACTIONS);
const COORDINATORS = ['c1', 'c2'];
const PARTICIPANTS = ['p1', 'p2'];
/** Which participant holds a key. */
const SHARD_OF: { readonly [key: string]: string } = { k1: 'p1', k2: 'p2' };

export interface CrossShardSetup {
  readonly crashes: number;
  readonly participantMachine?: NodeMachine;
  /** As in the lock-table model: `replicated` hosts every node as an abstract replicated actor. */
  readonly arrangement?: 'plain' | 'replicated';
}

const replicatedCoordinator = abstractReplica(transactionCoordinator);
const replicatedParticipant = abstractReplica(participant, { outboxKey: byDestinationAnd('txn') });

/** What the properties see of a participant: per transaction its TCommit state, its locks by mode, its data. */
type ParticipantPart = {
  readonly txns: { readonly [txn: string]: RMState };
  readonly prepared: { readonly [txn: string]: { readonly write: readonly string[]; readonly read: readonly string[]; readonly results: readonly ReadResult[] } };
  readonly locks: { readonly [key: string]: string };
  readonly shared: { readonly [key: string]: readonly string[] };
  readonly data: { readonly [key: string]: { readonly value: string; readonly version: number } };
};
type View = { readonly [participant: string]: ParticipantPart };

function participantPart(node: NodeView): ParticipantPart {
  const context = participantContext(node);
  const txns: Record<string, RMState> = {};
  for (const txn of Object.keys(context.prepared)) txns[txn] = 'prepared';
  for (const [txn, outcome] of Object.entries(context.outcomes)) txns[txn] = outcome;
  const prepared = Object.fromEntries(
    Object.entries(context.prepared).map(([txn, record]) => [txn, { write: Object.keys(record.writes).sort(), read: [...(record.reads ?? [])], results: [...(record.results ?? [])] }]),
  );
  const data = Object.fromEntries(Object.entries(context.data).map(([key, value]) => [key, { value: value as string, version: context.versions[key] ?? 0 }]));
  return { txns, prepared, locks: context.locks, shared: context.shared, data };
}

const view = abstraction<View>(
  (node) => (PARTICIPANTS.includes(node.id) ? participantPart(node) : undefined),
  (parts) => parts as { [participant: string]: ParticipantPart },
);

/** History: what each transaction's gets read at each participant, as its prepare record holds them. */
type ReadsSeen = { readonly [txn: string]: { readonly [participant: string]: readonly ReadResult[] } };
const readsSeen = history<ReadsSeen, View>({
  name: 'ReadsSeen',
  over: view,
  initial: () => ({}),
  next: (seen, current) => {
    let next = seen;
    for (const p of PARTICIPANTS) {
      for (const [txn, record] of Object.entries(current[p]!.prepared)) {
        // A prepare record's results never change, and a transaction is prepared at most once.
        if (next[txn]?.[p] === undefined) next = { ...next, [txn]: { ...next[txn], [p]: record.results } };
      }
    }
    return next;
  },
});

/** A transaction as the single-shard service would run it, all its shards' parts in one. */
const wholeTransaction = (txn: string) => {
  const parts = PARTICIPANTS.map((p) => CROSS_SHARD_TRANSACTIONS[txn]![p]!);
  return { compare: parts.flatMap((part) => part.compare), ops: parts.flatMap((part) => part.ops) };
};

/**
 * Serializability, checked against the service itself: some serial order of the committed
 * transactions, run one after another by the single-shard `KvState` (the service's semantics),
 * passes every compare, gives every get the result its participant voted, and leaves every
 * participant at which all of them committed with the same values and versions.
 */
export function serializable(current: View, seen: ReadsSeen): boolean {
  const committed = TXNS.filter((txn) => PARTICIPANTS.some((p) => current[p]!.txns[txn] === 'committed'));
  return permutations(committed).some((order) => {
    const kv = new KvState();
    for (const txn of order) {
      const result = kv.apply(wholeTransaction(txn));
      if (!result.committed) return false;
      for (const p of PARTICIPANTS) {
        const voted = seen[txn]?.[p];
        const serial = result.results
          .filter((r) => r.op === 'get' && SHARD_OF[r.key] === p)
          .map((r) => (r.op === 'get' && r.found ? { key: r.key, found: true, value: r.value, version: r.version } : { key: r.key, found: false }));
        if (voted !== undefined && JSON.stringify(voted) !== JSON.stringify(serial)) return false;
      }
    }
    return PARTICIPANTS.every((p) => {
      if (!committed.every((txn) => current[p]!.txns[txn] === 'committed')) return true;
      const keys = Object.keys(SHARD_OF).filter((key) => SHARD_OF[key] === p);
      const serial = Object.fromEntries(keys.flatMap((key) => { const r = kv.read(key); return r ? [[key, { value: r.value, version: r.version }]] : []; }));
      return JSON.stringify(current[p]!.data) === JSON.stringify(serial);
    });
  });
}

/** Two-phase locking with modes: at most one writer per key and no reader beside it; the tables are what the records imply. */
export function noConflictingLocks(part: ParticipantPart): boolean {
  const records = Object.values(part.prepared);
  for (const key of new Set(records.flatMap((r) => [...r.write, ...r.read]))) {
    const writers = records.filter((r) => r.write.includes(key)).length;
    const readers = records.filter((r) => r.read.includes(key)).length;
    if (writers > 1 || (writers === 1 && readers > 0)) return false;
  }
  const asRecords = Object.fromEntries(Object.entries(part.prepared).map(([txn, r]) => [txn, { coordinator: '', writes: Object.fromEntries(r.write.map((k) => [k, null])), reads: r.read }]));
  return JSON.stringify(part.locks) === JSON.stringify(locksOf(asRecords)) && JSON.stringify(part.shared) === JSON.stringify(sharedLocksOf(asRecords));
}

/**
 * Cross-shard transactions with compares and ops: coordinators c1, c2 run t1, t2 over
 * participants p1, p2 (see `CROSS_SHARD_TRANSACTIONS`). A multiset network; nodes crash (at most
 * `crashes` times) and restart from their durable state; coordinators abort on their vote timeout
 * or on a Refused vote.
 */
export function crossShardModel(setup: CrossShardSetup): Model {
  const replicated = setup.arrangement === 'replicated';
  const nodes: NodeDefinition[] = [
    ...TXNS.map((txn, i): NodeDefinition => {
      const parts = CROSS_SHARD_TRANSACTIONS[txn]!;
      const config: TransactionCoordinatorConfig = {
        txn,
        writes: Object.fromEntries(PARTICIPANTS.map((p) => [p, {}])),
        operations: parts,
        retransmit: false,
        voteTimeoutMs: 1000,
        retryTimeoutMs: 200,
      };
      return { id: COORDINATORS[i]!, machine: replicated ? replicatedCoordinator : transactionCoordinator, peers: PARTICIPANTS, config, timers: ['voteTimeout'] };
    }),
    ...PARTICIPANTS.map((id): NodeDefinition => ({
      id,
      machine: setup.participantMachine ?? (replicated ? replicatedParticipant : participant),
      peers: COORDINATORS,
      config: { acknowledge: false },
    })),
  ];
  return { nodes, network: 'multiset', faults: { crash: setup.crashes }, history: readsSeen, properties: crossShardProperties() };
}

const participantsOf = (state: GlobalView): View => Object.fromEntries(PARTICIPANTS.map((p) => [p, participantPart(state.node(p))]));

export function crossShardProperties(): Property[] {
  const stateOf = (current: View, txn: string) => Object.fromEntries(PARTICIPANTS.map((p) => [p, current[p]!.txns[txn] ?? 'working'])) as Record<string, RMState>;
  const refused = (state: GlobalView, reason: string) => state.messages.some((m) => m.message.type === 'Refused' && m.message.reason === reason);
  return [
    always('TCConsistentPerTransaction', view, (current) => TXNS.every((txn) => TCConsistent(stateOf(current, txn)))),
    always('NoConflictingLocks', view, (current) => PARTICIPANTS.every((p) => noConflictingLocks(current[p]!))),
    always('SerializableEffects', (state: GlobalView) => serializable(participantsOf(state), state.history as ReadsSeen)),
    sometimes('BothCommit', view, (current) => TXNS.every((txn) => Object.values(stateOf(current, txn)).every((s) => s === 'committed'))),
    sometimes('CompareRefused', (state: GlobalView) => refused(state, 'compare')),
    sometimes('ConflictRefused', (state: GlobalView) => refused(state, 'conflict')),
  ];
}
