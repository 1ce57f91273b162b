import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableChange, DurableState, Effect, Json, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import type { CommittedData, LockKeys, PrepareRequest } from './prepare-plan.ts';
import { firstCompareFailure, lockKeysOf, planOf } from './prepare-plan.ts';
import type { ReadResult, TransactionMessage, TransactionOutcome, Writes } from './transaction-messages.ts';

export interface ParticipantConfig {
  /** Confirm each decision with Ack, so a retransmitting coordinator can stop. */
  readonly acknowledge: boolean;
}

export const DEFAULT_PARTICIPANT_CONFIG: ParticipantConfig = { acknowledge: true };

/**
 * A prepare record: what a prepared transaction will write, and who coordinates it. A Prepare with
 * compares or ops adds what it reads (its shared locks), the versions its puts leave and its gets'
 * results, so that after a crash the locks and the repeated vote are the same.
 */
export interface PrepareRecord {
  readonly coordinator: string;
  readonly writes: Writes;
  readonly reads?: readonly string[];
  readonly versions?: { readonly [key: string]: number };
  readonly results?: readonly ReadResult[];
}

export interface ParticipantContext {
  readonly config: ParticipantConfig;
  /** The committed data: key → value (a deleted key is absent). */
  readonly data: { readonly [key: string]: Json };
  /** etcd's version of each committed key: puts since it was created (absent once deleted). */
  readonly versions: { readonly [key: string]: number };
  /** The lock table: key → the prepared transaction holding its exclusive (write) lock. */
  readonly locks: { readonly [key: string]: string };
  /** Shared (read) locks: key → the prepared transactions reading it, sorted. */
  readonly shared: { readonly [key: string]: readonly string[] };
  /** Prepare records of the transactions voted yes and not yet decided. */
  readonly prepared: { readonly [txn: string]: PrepareRecord };
  /** Decided transactions (and those refused), to answer repeated messages alike. */
  readonly outcomes: { readonly [txn: string]: TransactionOutcome };
}

type ParticipantEvent = Delivered<Extract<TransactionMessage, { type: 'Prepare' | 'Commit' | 'Abort' }>>;

/**
 * Durable layout, one key per item so that a step persists only what it changed:
 * `value/<key>` and `version/<key>` (null once deleted), `prepared/<txn>` (null once decided), `outcome/<txn>`.
 */
const VALUE = 'value/';
const VERSION = 'version/';
const PREPARED = 'prepared/';
const OUTCOME = 'outcome/';

/** The participant's state as its durable image records it: locks are re-derived from the prepare records. */
export function recoverParticipant(durable: DurableState, config: ParticipantConfig): ParticipantContext {
  const data: Record<string, Json> = {};
  const versions: Record<string, number> = {};
  const prepared: Record<string, PrepareRecord> = {};
  const outcomes: Record<string, TransactionOutcome> = {};
  for (const [name, value] of Object.entries(durable)) {
    if (value === null) continue;
    if (name.startsWith(VALUE)) data[name.slice(VALUE.length)] = value;
    else if (name.startsWith(VERSION)) versions[name.slice(VERSION.length)] = value as number;
    else if (name.startsWith(PREPARED)) prepared[name.slice(PREPARED.length)] = value as unknown as PrepareRecord;
    else if (name.startsWith(OUTCOME)) outcomes[name.slice(OUTCOME.length)] = value as TransactionOutcome;
  }
  return { config, data, versions, prepared, outcomes, locks: locksOf(prepared), shared: sharedLocksOf(prepared) };
}

/** The lock table the prepare records imply: every key a prepared transaction writes. */
export function locksOf(prepared: ParticipantContext['prepared']): Record<string, string> {
  const locks: Record<string, string> = {};
  for (const txn of Object.keys(prepared).sort()) for (const key of Object.keys(prepared[txn]!.writes)) locks[key] = txn;
  return locks;
}

/** The shared locks the prepare records imply: every key a prepared transaction reads, to its readers. */
export function sharedLocksOf(prepared: ParticipantContext['prepared']): Record<string, string[]> {
  const shared: Record<string, string[]> = {};
  for (const txn of Object.keys(prepared).sort()) for (const key of prepared[txn]!.reads ?? []) (shared[key] ??= []).push(txn);
  return shared;
}

/** The locks of prepared transactions, as a participant keeps them (its context) or the service's shard state does. */
export interface LockTable {
  /** key → the prepared transaction holding its exclusive (write) lock. */
  readonly locks: { readonly [key: string]: string };
  /** key → the prepared transactions holding a shared (read) lock on it. */
  readonly shared: { readonly [key: string]: readonly string[] };
}

/**
 * The first key (in order) where the access conflicts with another prepared transaction's lock, and
 * that holder: a write conflicts with any lock, a read with a write lock. `readLocks: false` checks
 * write locks only (the broken participant that lets reads be overwritten).
 */
export function conflictOf(table: LockTable, txn: string, keys: LockKeys, readLocks = true): { key: string; holder: string } | undefined {
  const accesses = [...keys.write.map((key) => ({ key, write: true })), ...keys.read.map((key) => ({ key, write: false }))].sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const { key, write } of accesses) {
    const holder = table.locks[key];
    if (holder !== undefined && holder !== txn) return { key, holder };
    const reader = write && readLocks ? table.shared[key]?.find((other) => other !== txn) : undefined;
    if (reader !== undefined) return { key, holder: reader };
  }
  return undefined;
}

/** A Prepare with compares or ops; one with blind writes alone keeps the original record shape. */
const hasOperations = (request: PrepareRequest) => request.compare !== undefined || request.ops !== undefined;

/** The prepare record a Prepare (that holds its locks and passes its compares) leaves. */
export function prepareRecordOf(context: ParticipantContext, coordinator: string, request: PrepareRequest): PrepareRecord {
  if (!hasOperations(request)) return { coordinator, writes: request.writes };
  const plan = planOf(request, context);
  return { coordinator, writes: plan.writes, reads: lockKeysOf(request).read, versions: plan.versions, results: plan.results };
}

/** The Prepared vote for a prepared transaction: with its gets' results when it had ops. */
const preparedVote = (txn: string, record: PrepareRecord | undefined): TransactionMessage =>
  record?.results !== undefined ? { type: 'Prepared', txn, reads: record.results } : { type: 'Prepared', txn };

/** The committed version of `key` once `record` commits: fixed at prepare for ops, else one more than now. */
const versionAfter = (committed: CommittedData, record: PrepareRecord, key: string) => record.versions?.[key] ?? (committed.versions[key] ?? 0) + 1;

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
    if (outcome === 'committed') {
      for (const [key, value] of Object.entries(record.writes)) {
        set[`${VALUE}${key}`] = value;
        set[`${VERSION}${key}`] = value === null ? null : versionAfter(context, record, key);
      }
    }
  }
  return { set };
}

/** The context after a decision: writes applied on commit, locks released, the outcome recorded. */
function decided(context: ParticipantContext, txn: string, outcome: TransactionOutcome): Partial<ParticipantContext> {
  const record = context.prepared[txn];
  const data = { ...context.data };
  const versions = { ...context.versions };
  if (record !== undefined && outcome === 'committed') {
    for (const [key, value] of Object.entries(record.writes)) {
      if (value === null) {
        delete data[key];
        delete versions[key];
      } else {
        data[key] = value;
        versions[key] = versionAfter(context, record, key);
      }
    }
  }
  const prepared = without(context.prepared, txn);
  return { data, versions, prepared, locks: locksOf(prepared), shared: sharedLocksOf(prepared), outcomes: { ...context.outcomes, [txn]: outcome } };
}

/**
 * A 2PC participant holding a shard of a key-value store and serving many transactions at once
 * (the participant of the key-value service; Gray & Reuter, "Transaction Processing", §7 and the
 * two-phase locking of Eswaran et al. 1976). Locks are held from Prepare to the decision: exclusive
 * on the keys a transaction writes, shared on those it only reads (compares, gets), so conflicting
 * accesses of prepared transactions never overlap — strict two-phase locking, which makes committed
 * transactions serializable in their commit order.
 *
 * - **Prepare** `{ txn, writes, compare?, ops? }`: if another prepared transaction holds a lock
 *   the access conflicts with, vote `Refused` with reason `conflict`, the key and its holder, and
 *   abort the transaction here. Otherwise check the compares against the committed data (no
 *   writer holds those keys, so it is current): a failing one votes `Refused` with reason
 *   `compare` and the service's wording (`compare failed: …`), and aborts here. Otherwise run the
 *   ops on a copy (gets read the committed data and the transaction's earlier puts), take the
 *   locks, persist the prepare record, then vote `Prepared` with the gets' results. A repeated
 *   Prepare gets the same vote again (the vote may have been lost; once committed, without the
 *   results — the coordinator had them all before it could commit).
 * - **Commit** `{ txn }`: apply the writes and versions, release the locks, persist — then `Ack`.
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
    conflicts: ({ context, event }) => event.type === 'Prepare' && conflictOf(context, event.txn, lockKeysOf(event)) !== undefined,
    compareFails: ({ context, event }) => event.type === 'Prepare' && firstCompareFailure(event, context) !== undefined,
  },
  actions: {
    // ── Prepare ──────────────────────────────────────────────────────────────────────────────
    takeLocks: assign(({ context, event }) => {
      if (event.type !== 'Prepare') return {};
      const prepared = { ...context.prepared, [event.txn]: prepareRecordOf(context, event.from, event) };
      return { prepared, locks: locksOf(prepared), shared: sharedLocksOf(prepared) };
    }),
    // Runs after takeLocks: the record persisted is the one just taken.
    persistPrepareRecord: emit(({ context, event }) => persist({ set: { [`${PREPARED}${event.txn}`]: context.prepared[event.txn] as unknown as Json } })),
    votePrepared: emit(({ context, event }) => send(event.from, preparedVote(event.txn, context.prepared[event.txn]))),
    refuseForConflict: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Prepare') return;
      const conflict = conflictOf(context, event.txn, lockKeysOf(event))!;
      enqueue.assign(decided(context, event.txn, 'aborted'));
      enqueue.emit(persist(decisionChange(context, event.txn, 'aborted')));
      enqueue.emit(send(event.from, { type: 'Refused', txn: event.txn, reason: 'conflict', key: conflict.key, holder: conflict.holder }));
    }),
    refuseForCompare: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Prepare') return;
      const failure = firstCompareFailure(event, context)!;
      enqueue.assign(decided(context, event.txn, 'aborted'));
      enqueue.emit(persist(decisionChange(context, event.txn, 'aborted')));
      enqueue.emit(send(event.from, { type: 'Refused', txn: event.txn, reason: 'compare', key: failure.key, holder: null, detail: failure.detail }));
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
          { guard: 'compareFails', actions: 'refuseForCompare' },
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
