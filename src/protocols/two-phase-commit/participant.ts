import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableChange, DurableState, Effect, Json, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import type { TransactionMessage, TransactionOutcome, Writes } from './transaction-messages.ts';

export interface ParticipantConfig {
  /** Confirm each decision with Ack, so a retransmitting coordinator can stop. */
  readonly acknowledge: boolean;
}

export const DEFAULT_PARTICIPANT_CONFIG: ParticipantConfig = { acknowledge: true };

/** A prepare record: what a prepared transaction will write, and who coordinates it. */
export interface PrepareRecord {
  readonly coordinator: string;
  readonly writes: Writes;
}

export interface ParticipantContext {
  readonly config: ParticipantConfig;
  /** The committed data: key → value (a deleted key is absent). */
  readonly data: { readonly [key: string]: Json };
  /** The lock table: key → the prepared transaction holding its (exclusive) lock. */
  readonly locks: { readonly [key: string]: string };
  /** Prepare records of the transactions voted yes and not yet decided. */
  readonly prepared: { readonly [txn: string]: PrepareRecord };
  /** Decided transactions (and those refused), to answer repeated messages alike. */
  readonly outcomes: { readonly [txn: string]: TransactionOutcome };
}

type ParticipantEvent = Delivered<Extract<TransactionMessage, { type: 'Prepare' | 'Commit' | 'Abort' }>>;

/**
 * Durable layout, one key per item so that a step persists only what it changed:
 * `value/<key>` (null once deleted), `prepared/<txn>` (null once decided), `outcome/<txn>`.
 */
const VALUE = 'value/';
const PREPARED = 'prepared/';
const OUTCOME = 'outcome/';

/** The participant's state as its durable image records it: locks are re-derived from the prepare records. */
export function recoverParticipant(durable: DurableState, config: ParticipantConfig): ParticipantContext {
  const data: Record<string, Json> = {};
  const prepared: Record<string, PrepareRecord> = {};
  const outcomes: Record<string, TransactionOutcome> = {};
  for (const [name, value] of Object.entries(durable)) {
    if (value === null) continue;
    if (name.startsWith(VALUE)) data[name.slice(VALUE.length)] = value;
    else if (name.startsWith(PREPARED)) prepared[name.slice(PREPARED.length)] = value as unknown as PrepareRecord;
    else if (name.startsWith(OUTCOME)) outcomes[name.slice(OUTCOME.length)] = value as TransactionOutcome;
  }
  return { config, data, prepared, outcomes, locks: locksOf(prepared) };
}

/** The lock table the prepare records imply: every key a prepared transaction writes. */
export function locksOf(prepared: ParticipantContext['prepared']): Record<string, string> {
  const locks: Record<string, string> = {};
  for (const txn of Object.keys(prepared).sort()) for (const key of Object.keys(prepared[txn]!.writes)) locks[key] = txn;
  return locks;
}

/** The first key of `writes` locked by another transaction, and its holder. */
export function conflictOf(context: ParticipantContext, txn: string, writes: Writes): { key: string; holder: string } | undefined {
  for (const key of Object.keys(writes).sort()) {
    const holder = context.locks[key];
    if (holder !== undefined && holder !== txn) return { key, holder };
  }
  return undefined;
}

const without = <V>(record: { readonly [key: string]: V }, key: string): { [key: string]: V } => {
  const rest = { ...record };
  delete rest[key];
  return rest;
};

/** A transaction's decision made durable: its writes (on commit), its prepare record gone, its outcome. */
function decisionChange(context: ParticipantContext, txn: string, outcome: TransactionOutcome): DurableChange {
  const set: Record<string, Json> = { [`${OUTCOME}${txn}`]: outcome };
  const record = context.prepared[txn];
  if (record !== undefined) {
    set[`${PREPARED}${txn}`] = null;
    if (outcome === 'committed') for (const [key, value] of Object.entries(record.writes)) set[`${VALUE}${key}`] = value;
  }
  return { set };
}

/** The context after a decision: writes applied on commit, locks released, the outcome recorded. */
function decided(context: ParticipantContext, txn: string, outcome: TransactionOutcome): Partial<ParticipantContext> {
  const record = context.prepared[txn];
  const data = { ...context.data };
  if (record !== undefined && outcome === 'committed') {
    for (const [key, value] of Object.entries(record.writes)) {
      if (value === null) delete data[key];
      else data[key] = value;
    }
  }
  const prepared = without(context.prepared, txn);
  return { data, prepared, locks: locksOf(prepared), outcomes: { ...context.outcomes, [txn]: outcome } };
}

/**
 * A 2PC participant holding a shard of a key-value store and serving many transactions at once
 * (the participant of the key-value service; Gray & Reuter, "Transaction Processing", §7 and the
 * two-phase locking of Eswaran et al. 1976). Write locks are held from Prepare to the decision, so
 * prepared transactions never overlap on a key — strict two-phase locking, which makes committed
 * transactions serializable in their commit order.
 *
 * - **Prepare** `{ txn, writes }`: if another prepared transaction holds a lock on one of the keys,
 *   vote `Refused` with reason `conflict`, the key and its holder, and abort the transaction here.
 *   Otherwise take the locks, persist the prepare record, then vote `Prepared`. A repeated Prepare
 *   gets the same vote again (the vote may have been lost).
 * - **Commit** `{ txn }`: apply the writes, release the locks, persist — then `Ack`.
 * - **Abort** `{ txn }`: release the locks (if prepared), record the abort, persist — then `Ack`.
 *
 * The prepare record is persisted before the yes vote: a participant that forgot it after a crash
 * could abort, or let another transaction write, what the coordinator committed. On restart the
 * lock table is rebuilt from the prepare records. Hosted as a replicated actor, it keys its outbox
 * by destination and transaction (`byDestinationAnd('txn')`): its conversations are independent.
 */
export const participant = setup({
  types: {
    context: {} as ParticipantContext,
    events: {} as ParticipantEvent,
    input: {} as NodeInput<ParticipantConfig>,
    emitted: {} as Effect<TransactionMessage>,
  },
  guards: {
    isPrepared: ({ context, event }) => context.prepared[event.txn] !== undefined,
    isCommitted: ({ context, event }) => context.outcomes[event.txn] === 'committed',
    isAborted: ({ context, event }) => context.outcomes[event.txn] === 'aborted',
    conflicts: ({ context, event }) => event.type === 'Prepare' && conflictOf(context, event.txn, event.writes) !== undefined,
  },
  actions: {
    // ── Prepare ──────────────────────────────────────────────────────────────────────────────
    takeLocks: assign(({ context, event }) => {
      if (event.type !== 'Prepare') return {};
      const prepared = { ...context.prepared, [event.txn]: { coordinator: event.from, writes: event.writes } };
      return { prepared, locks: locksOf(prepared) };
    }),
    persistPrepareRecord: emit(({ event }) =>
      persist({ set: { [`${PREPARED}${event.txn}`]: event.type === 'Prepare' ? { coordinator: event.from, writes: event.writes } : null } }),
    ),
    votePrepared: emit(({ event }) => send(event.from, { type: 'Prepared', txn: event.txn })),
    refuseForConflict: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Prepare') return;
      const conflict = conflictOf(context, event.txn, event.writes)!;
      enqueue.assign(decided(context, event.txn, 'aborted'));
      enqueue.emit(persist(decisionChange(context, event.txn, 'aborted')));
      enqueue.emit(send(event.from, { type: 'Refused', txn: event.txn, reason: 'conflict', key: conflict.key, holder: conflict.holder }));
    }),
    refuseAsAborted: emit(({ event }) => send(event.from, { type: 'Refused', txn: event.txn, reason: 'aborted', key: null, holder: null })),
    // ── the decision ─────────────────────────────────────────────────────────────────────────
    decide: enqueueActions(({ context, event, enqueue }, params: { outcome: TransactionOutcome }) => {
      enqueue.emit(persist(decisionChange(context, event.txn, params.outcome)));
      enqueue.assign(decided(context, event.txn, params.outcome));
    }),
    acknowledge: enqueueActions(({ context, event, enqueue }) => {
      if (context.config.acknowledge) enqueue.emit(send(event.from, { type: 'Ack', txn: event.txn }));
    }),
  },
}).createMachine({
  id: 'participant',
  context: ({ input }) => recoverParticipant(input.durable, input.config),
  initial: 'serving',
  states: {
    serving: {
      on: {
        Prepare: [
          { guard: 'isAborted', actions: 'refuseAsAborted' },
          // Prepared or committed already: the vote was yes; say so again.
          { guard: 'isPrepared', actions: 'votePrepared' },
          { guard: 'isCommitted', actions: 'votePrepared' },
          { guard: 'conflicts', actions: 'refuseForConflict' },
          { actions: ['takeLocks', 'persistPrepareRecord', 'votePrepared'] },
        ],
        Commit: [
          { guard: 'isPrepared', actions: [{ type: 'decide', params: { outcome: 'committed' } }, 'acknowledge'] },
          { guard: 'isCommitted', actions: 'acknowledge' },
          // A Commit for a transaction never prepared here cannot come from a correct coordinator.
        ],
        Abort: [
          { guard: 'isAborted', actions: 'acknowledge' },
          // Committed here, so the coordinator committed: an Abort for it cannot be genuine.
          { guard: 'isCommitted' },
          { actions: [{ type: 'decide', params: { outcome: 'aborted' } }, 'acknowledge'] },
        ],
      },
    },
  },
});
