import { and, assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { bootingState, decidedState, withMember } from './coordinator-states.ts';
import type { Decision, TwoPhaseMessage } from './messages.ts';

export interface TransactionManagerConfig {
  /**
   * TwoPhase.tla lets the TM commit in a step of its own (TMCommit) after it has every vote; a
   * deployed TM commits as it receives the last vote. With `false`, the TM waits for a
   * `DecideCommit` event, which a model declares as spontaneous.
   */
  readonly commitOnLastVote: boolean;
  /**
   * Resend the decision on `retryTimeout` until every RM has acknowledged it. Off in the model
   * of TwoPhase.tla, whose message set is reliable; on wherever messages can be lost.
   */
  readonly retransmit: boolean;
  readonly voteTimeoutMs: number;
  readonly retryTimeoutMs: number;
}

export const DEFAULT_TM_CONFIG: TransactionManagerConfig = {
  commitOnLastVote: true,
  retransmit: true,
  voteTimeoutMs: 1000,
  retryTimeoutMs: 200,
};

export interface TransactionManagerContext {
  readonly config: TransactionManagerConfig;
  /** The RMs of the transaction: the TM's peers. */
  readonly rms: readonly string[];
  /** RMs whose Prepared vote arrived (TwoPhase.tla's tmPrepared), sorted. */
  readonly prepared: readonly string[];
  /** RMs that acknowledged the decision, sorted. */
  readonly acknowledged: readonly string[];
  /** The durable image the TM booted from; cleared once the boot state is left. */
  readonly recovered?: DurableState;
}

type TransactionManagerEvent =
  | Delivered<Extract<TwoPhaseMessage, { type: 'Prepared' | 'Ack' }>>
  | { readonly type: 'DecideCommit' };

const recoveredDecision = (context: TransactionManagerContext): Decision | undefined =>
  context.recovered?.decision as Decision | undefined;

/**
 * The transaction manager (coordinator) of Two-Phase Commit. It asks every RM to prepare, commits
 * once all voted Prepared, and aborts when `voteTimeout` fires first (TwoPhase.tla's TMAbort: the
 * TM may abort whenever it has not decided). The decision is persisted before it is sent. On
 * restart it resumes a recorded decision; a TM that crashed before deciding aborts
 * (presumed abort), which is safe because no RM can have been told to commit.
 */
export const transactionManager = setup({
  types: {
    context: {} as TransactionManagerContext,
    events: {} as TransactionManagerEvent,
    input: {} as NodeInput<TransactionManagerConfig>,
    emitted: {} as Effect<TwoPhaseMessage>,
  },
  guards: {
    committedBeforeCrash: ({ context }) => recoveredDecision(context) === 'commit',
    abortedBeforeCrash: ({ context }) => recoveredDecision(context) === 'abort',
    crashedUndecided: ({ context }) => context.recovered?.begun === true,
    allPrepared: ({ context }) => context.prepared.length === context.rms.length,
    commitsOnLastVote: ({ context }) => context.config.commitOnLastVote,
    retransmits: ({ context }) => context.config.retransmit,
    allAcknowledged: ({ context }) => context.acknowledged.length === context.rms.length,
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    persistBegun: emit(() => persist({ set: { begun: true } })),
    requestVotes: enqueueActions(({ context, enqueue }) => {
      for (const rm of context.rms) enqueue.emit(send(rm, { type: 'Prepare' }));
    }),
    recordVote: assign({
      prepared: ({ context, event }) => (event.type === 'Prepared' ? withMember(context.prepared, event.from) : context.prepared),
    }),
    persistDecision: emit((_, params: { decision: Decision }) => persist({ set: { decision: params.decision } })),
    sendDecision: enqueueActions(({ context, enqueue }, params: { message: 'Commit' | 'Abort' }) => {
      for (const rm of context.rms) {
        if (!context.acknowledged.includes(rm)) enqueue.emit(send(rm, { type: params.message }));
      }
    }),
    recordAck: assign({
      acknowledged: ({ context, event }) => (event.type === 'Ack' ? withMember(context.acknowledged, event.from) : context.acknowledged),
    }),
  },
  delays: {
    voteTimeout: ({ context }) => context.config.voteTimeoutMs,
    retryTimeout: ({ context }) => context.config.retryTimeoutMs,
  },
}).createMachine({
  id: 'tm',
  context: ({ input }) => ({
    config: input.config,
    rms: [...input.peers].sort(),
    prepared: [],
    acknowledged: [],
    recovered: input.durable,
  }),
  initial: 'booting',
  states: {
    booting: bootingState,
    collecting: {
      entry: ['persistBegun', 'requestVotes'],
      on: {
        Prepared: { actions: 'recordVote' },
        DecideCommit: { guard: 'allPrepared', target: 'committed' },
      },
      always: { guard: and(['commitsOnLastVote', 'allPrepared']), target: 'committed' },
      after: { voteTimeout: 'aborted' },
    },
    committed: decidedState('commit', 'Commit'),
    aborted: decidedState('abort', 'Abort'),
  },
});
