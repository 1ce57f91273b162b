import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { bootingState, decidedState, withMember } from './coordinator-states.ts';
import type { Decision } from './messages.ts';
import type { ReadResult, ShardCompare, ShardOperation, TransactionMessage, Writes } from './transaction-messages.ts';

export interface TransactionCoordinatorConfig {
  /** The transaction's id, named in every message. */
  readonly txn: string;
  /** The writes at each participant: participant id → its writes. The participants are its keys. */
  readonly writes: { readonly [participant: string]: Writes };
  /** The compares and ops at each participant (optional; a participant left out has none). */
  readonly operations?: { readonly [participant: string]: { readonly compare?: readonly ShardCompare[]; readonly ops?: readonly ShardOperation[] } };
  /** Resend the decision on `retryTimeout` until every participant acknowledged it. */
  readonly retransmit: boolean;
  readonly voteTimeoutMs: number;
  readonly retryTimeoutMs: number;
}

interface TransactionCoordinatorContext {
  readonly config: TransactionCoordinatorConfig;
  readonly participants: readonly string[];
  /** Participants that voted Prepared, sorted. */
  readonly prepared: readonly string[];
  /** The gets' results each participant's Prepared vote carried: what the transaction read there. */
  readonly reads: { readonly [participant: string]: readonly ReadResult[] };
  /** Participants that acknowledged the decision, sorted. */
  readonly acknowledged: readonly string[];
  readonly recovered?: DurableState;
}

type TransactionCoordinatorEvent = Delivered<Extract<TransactionMessage, { type: 'Prepared' | 'Refused' | 'Ack' }>>;

/**
 * The coordinator of one keyed transaction (2PC's transaction manager, as the key-value service
 * runs it: one per transaction, messages naming the transaction). It asks each participant to
 * prepare its writes (and compares and ops), keeps the read results the votes carry, commits once all voted Prepared, aborts on the first Refused or when its
 * `voteTimeout` fires, persists the decision before announcing it, and — with `retransmit` — resends
 * it until acknowledged. Restarted undecided, it aborts (presumed abort).
 */
export const transactionCoordinator = setup({
  types: {
    context: {} as TransactionCoordinatorContext,
    events: {} as TransactionCoordinatorEvent,
    input: {} as NodeInput<TransactionCoordinatorConfig>,
    emitted: {} as Effect<TransactionMessage>,
  },
  guards: {
    committedBeforeCrash: ({ context }) => context.recovered?.decision === 'commit',
    abortedBeforeCrash: ({ context }) => context.recovered?.decision === 'abort',
    crashedUndecided: ({ context }) => context.recovered?.begun === true,
    ofThisTransaction: ({ context, event }) => event.txn === context.config.txn,
    allPrepared: ({ context }) => context.prepared.length === context.participants.length,
    retransmits: ({ context }) => context.config.retransmit,
    allAcknowledged: ({ context }) => context.acknowledged.length === context.participants.length,
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    persistBegun: emit(() => persist({ set: { begun: true } })),
    requestVotes: enqueueActions(({ context, enqueue }) => {
      for (const participant of context.participants) {
        const operations = context.config.operations?.[participant];
        enqueue.emit(send(participant, { type: 'Prepare', txn: context.config.txn, writes: context.config.writes[participant]!, ...operations }));
      }
    }),
    recordVote: assign(({ context, event }) => ({
      prepared: withMember(context.prepared, event.from),
      reads: event.type === 'Prepared' && event.reads !== undefined ? { ...context.reads, [event.from]: event.reads } : context.reads,
    })),
    persistDecision: emit((_, params: { decision: Decision }) => persist({ set: { decision: params.decision } })),
    sendDecision: enqueueActions(({ context, enqueue }, params: { message: 'Commit' | 'Abort' }) => {
      for (const participant of context.participants) {
        if (!context.acknowledged.includes(participant)) enqueue.emit(send(participant, { type: params.message, txn: context.config.txn }));
      }
    }),
    recordAck: assign({ acknowledged: ({ context, event }) => withMember(context.acknowledged, event.from) }),
  },
  delays: {
    voteTimeout: ({ context }) => context.config.voteTimeoutMs,
    retryTimeout: ({ context }) => context.config.retryTimeoutMs,
  },
}).createMachine({
  id: 'coordinator',
  context: ({ input }) => ({
    config: input.config,
    participants: Object.keys(input.config.writes).sort(),
    prepared: [],
    reads: {},
    acknowledged: [],
    recovered: input.durable,
  }),
  initial: 'booting',
  states: {
    booting: bootingState,
    collecting: {
      entry: ['persistBegun', 'requestVotes'],
      on: {
        Prepared: { guard: 'ofThisTransaction', actions: 'recordVote' },
        Refused: { guard: 'ofThisTransaction', target: 'aborted' },
      },
      always: { guard: 'allPrepared', target: 'committed' },
      after: { voteTimeout: 'aborted' },
    },
    committed: decidedState('commit', 'Commit'),
    aborted: decidedState('abort', 'Abort'),
  },
});
