import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import type { RMState, TwoPhaseMessage } from './messages.ts';

export interface ResourceManagerConfig {
  /** Confirm each decision with Ack, so a retransmitting TM can stop. */
  readonly acknowledge: boolean;
}

export const DEFAULT_RM_CONFIG: ResourceManagerConfig = { acknowledge: true };

export interface ResourceManagerContext {
  readonly config: ResourceManagerConfig;
  /** The transaction manager: the RM's only peer. */
  readonly tm: string;
  /** The durable image the RM booted from; cleared once the boot state is left. */
  readonly recovered?: DurableState;
}

type ResourceManagerEvent =
  | Delivered<Extract<TwoPhaseMessage, { type: 'Prepare' | 'Commit' | 'Abort' }>>
  | { readonly type: 'ChooseToAbort' };

const recoveredState = (context: ResourceManagerContext): RMState | undefined =>
  context.recovered?.rmState as RMState | undefined;

/**
 * A resource manager (participant) of Two-Phase Commit. While working it may vote Prepared when
 * asked, or abort on its own (TwoPhase.tla's RMChooseToAbort); once prepared it must wait for the
 * TM's decision. Every state change is persisted before the vote or acknowledgement that depends
 * on it is sent: a prepared RM that forgot its vote after a crash could abort a transaction the TM
 * has committed.
 */
export const resourceManager = setup({
  types: {
    context: {} as ResourceManagerContext,
    events: {} as ResourceManagerEvent,
    input: {} as NodeInput<ResourceManagerConfig>,
    emitted: {} as Effect<TwoPhaseMessage>,
  },
  guards: {
    recoveredIn: ({ context }, params: { state: RMState }) => recoveredState(context) === params.state,
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    persistPrepared: emit(() => persist({ set: { rmState: 'prepared' } })),
    persistCommitted: emit(() => persist({ set: { rmState: 'committed' } })),
    persistAborted: emit(() => persist({ set: { rmState: 'aborted' } })),
    votePrepared: emit(({ context }) => send(context.tm, { type: 'Prepared' })),
    acknowledge: enqueueActions(({ context, enqueue }) => {
      if (context.config.acknowledge) enqueue.emit(send(context.tm, { type: 'Ack' }));
    }),
  },
}).createMachine({
  id: 'rm',
  context: ({ input }) => ({ config: input.config, tm: input.peers[0] ?? '', recovered: input.durable }),
  initial: 'booting',
  states: {
    booting: {
      exit: 'forgetBootImage',
      always: [
        { guard: { type: 'recoveredIn', params: { state: 'prepared' } }, target: 'prepared' },
        { guard: { type: 'recoveredIn', params: { state: 'committed' } }, target: 'committed' },
        { guard: { type: 'recoveredIn', params: { state: 'aborted' } }, target: 'aborted' },
        { target: 'working' },
      ],
    },
    working: {
      on: {
        Prepare: { target: 'prepared', actions: ['persistPrepared', 'votePrepared'] },
        ChooseToAbort: { target: 'aborted', actions: 'persistAborted' },
        Abort: { target: 'aborted', actions: ['persistAborted', 'acknowledge'] },
      },
    },
    prepared: {
      on: {
        // A repeated request: the vote may have been lost, so vote again.
        Prepare: { actions: 'votePrepared' },
        Commit: { target: 'committed', actions: ['persistCommitted', 'acknowledge'] },
        Abort: { target: 'aborted', actions: ['persistAborted', 'acknowledge'] },
      },
    },
    committed: {
      // A resent decision: our acknowledgement may have been lost.
      on: { Commit: { actions: 'acknowledge' } },
    },
    aborted: {
      on: { Abort: { actions: 'acknowledge' } },
    },
  },
});
