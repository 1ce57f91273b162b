import type { GlobalView, Model, NodeDefinition, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, history, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { AbstractReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { abstractReplica, byDestinationAnd } from '../../src/protocols/replicated-actor/index.ts';
import type { ParticipantConfig, ParticipantContext, TransactionCoordinatorConfig, Writes } from '../../src/protocols/two-phase-commit/index.ts';
import { locksOf, participant, recoverParticipant, transactionCoordinator } from '../../src/protocols/two-phase-commit/index.ts';
import type { RMState } from '../../spec/commit.ts';
import { TCConsistent } from '../../spec/commit.ts';

export const PARTICIPANT_CONFIG: ParticipantConfig = { acknowledge: false };

export interface LockTableSetup {
  /** Transactions t1..tN, each writing every key (a value named after itself), so every two conflict on every key. */
  readonly transactions: number;
  /** Participants p1..pK, participant pi holding key ki. */
  readonly participants: number;
  readonly crashes: number;
  readonly participantMachine?: NodeMachine;
  /**
   * `replicated`: coordinators and participants are abstract replicated actors (`abstractReplica`,
   * the participant's outbox kept per transaction): a crash is a leader failing and the restart its
   * group failing over with the whole state. `plain` by default: nodes restart from what they persisted.
   */
  readonly arrangement?: 'plain' | 'replicated';
}

const replicatedCoordinator = abstractReplica(transactionCoordinator);
const replicatedParticipant = abstractReplica(participant, { outboxKey: byDestinationAnd('txn') });

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/**
 * Many transactions over the participant of the key-value service: coordinators c1..cN, one per
 * transaction tI, each writing key kJ at participant pJ for every J. Every two transactions
 * conflict on every key. A multiset network; nodes crash (at most `crashes` times) and restart
 * from their durable state; coordinators abort on their vote timeout or on a Refused vote.
 */
export function lockTableModel(setup: LockTableSetup): Model {
  const txns = ids('t', setup.transactions);
  const coordinators = ids('c', setup.transactions);
  const participants = ids('p', setup.participants);
  const replicated = setup.arrangement === 'replicated';
  const nodes: NodeDefinition[] = [
    ...coordinators.map((id, i): NodeDefinition => {
      const txn = txns[i]!;
      const writes: Record<string, Writes> = Object.fromEntries(participants.map((p, j) => [p, { [`k${j + 1}`]: txn }]));
      const config: TransactionCoordinatorConfig = { txn, writes, retransmit: false, voteTimeoutMs: 1000, retryTimeoutMs: 200 };
      return { id, machine: replicated ? replicatedCoordinator : transactionCoordinator, peers: participants, config, timers: ['voteTimeout'] };
    }),
    ...participants.map((id): NodeDefinition => ({
      id,
      machine: setup.participantMachine ?? (replicated ? replicatedParticipant : participant),
      peers: coordinators,
      config: PARTICIPANT_CONFIG,
    })),
  ];
  return {
    nodes,
    network: 'multiset',
    faults: { crash: setup.crashes },
    history: commitOrder(participants),
    properties: lockTableProperties(txns, participants),
  };
}

/**
 * A participant's state, running or (crashed) as its durable image will restore it; for an abstract
 * replica, the hosted participant's.
 */
export function participantContext(node: NodeView): ParticipantContext {
  const image = node.durable.replica as unknown as AbstractReplicaContext | undefined;
  if (node.crashed) return image !== undefined ? (image.actor.context as unknown as ParticipantContext) : recoverParticipant(node.durable, PARTICIPANT_CONFIG);
  const hosted = (node.context as Partial<AbstractReplicaContext>).actor;
  return hosted !== undefined ? (hosted.context as unknown as ParticipantContext) : (node.context as ParticipantContext);
}

/** What the properties see of a participant: every transaction's TCommit state there, its prepare records and locks. */
type ParticipantPart = {
  readonly txns: { readonly [txn: string]: RMState };
  readonly prepared: { readonly [txn: string]: readonly string[] };
  readonly locks: { readonly [key: string]: string };
};

function participantPart(node: NodeView): ParticipantPart {
  const context = participantContext(node);
  const txns: Record<string, RMState> = {};
  for (const txn of Object.keys(context.prepared)) txns[txn] = 'prepared';
  for (const [txn, outcome] of Object.entries(context.outcomes)) txns[txn] = outcome;
  const prepared = Object.fromEntries(Object.entries(context.prepared).map(([txn, record]) => [txn, Object.keys(record.writes).sort()]));
  return { txns, prepared, locks: context.locks };
}

export const participantsView = (participants: readonly string[]) =>
  abstraction<{ readonly [participant: string]: ParticipantPart }>(
    (node) => (participants.includes(node.id) ? participantPart(node) : undefined),
    (parts) => parts as { [participant: string]: ParticipantPart },
  );

/** A history variable: at each participant, the transactions in the order they committed there. */
export const commitOrder = (participants: readonly string[]) =>
  history<{ readonly [participant: string]: readonly string[] }, { readonly [participant: string]: ParticipantPart }>({
    name: 'CommitOrder',
    over: participantsView(participants),
    initial: () => Object.fromEntries(participants.map((p) => [p, []])),
    next: (order, view) => {
      let next = order;
      for (const p of participants) {
        const fresh = Object.entries(view[p]!.txns)
          .filter(([txn, state]) => state === 'committed' && !order[p]!.includes(txn))
          .map(([txn]) => txn)
          .sort();
        if (fresh.length > 0) next = { ...next, [p]: [...order[p]!, ...fresh] };
      }
      return next;
    },
  });

/** Every two transactions committed at two participants committed there in the same order. */
export function sameCommitOrder(order: { readonly [participant: string]: readonly string[] }): boolean {
  const lists = Object.values(order);
  for (const a of lists) {
    for (const b of lists) {
      const common = a.filter((txn) => b.includes(txn));
      if (common.join() !== b.filter((txn) => a.includes(txn)).join()) return false;
    }
  }
  return true;
}

export function lockTableProperties(txns: readonly string[], participants: readonly string[]): Property[] {
  const over = participantsView(participants);
  const stateOf = (view: { [p: string]: ParticipantPart }, txn: string) =>
    Object.fromEntries(participants.map((p) => [p, view[p]!.txns[txn] ?? 'working'])) as Record<string, RMState>;
  return [
    // TCommit's TCConsistent, for each transaction over its participants.
    always('TCConsistentPerTransaction', over, (view) => txns.every((txn) => TCConsistent(stateOf(view, txn)))),
    // Strict two-phase locking: no two prepared transactions write one key, and the lock table
    // is exactly what the prepare records imply.
    always('NoConflictingLocks', over, (view) =>
      participants.every((p) => {
        const { prepared, locks } = view[p]!;
        const keys = Object.values(prepared).flat();
        return new Set(keys).size === keys.length && JSON.stringify(locks) === JSON.stringify(locksOf(Object.fromEntries(Object.entries(prepared).map(([txn, k]) => [txn, { coordinator: '', writes: Object.fromEntries(k.map((key) => [key, null])) }]))));
      }),
    ),
    // Serializability, as conflict order: transactions that conflict commit in one order everywhere.
    always('SameCommitOrder', (state: GlobalView) => sameCommitOrder(state.history)),
    sometimes('EveryTransactionCommits', over, (view) => txns.every((txn) => Object.values(stateOf(view, txn)).every((s) => s === 'committed'))),
    sometimes('ConflictRefused', (state: GlobalView) => state.messages.some((m) => m.message.type === 'Refused' && m.message.reason === 'conflict')),
    sometimes('OneCommitsOneAborts', over, (view) => {
      const outcomes = txns.map((txn) => Object.values(stateOf(view, txn)));
      return outcomes.some((s) => s.every((x) => x === 'committed')) && outcomes.some((s) => s.every((x) => x === 'aborted'));
    }),
  ];
}
