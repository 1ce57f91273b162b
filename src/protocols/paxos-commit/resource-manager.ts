import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import type { InstanceValue, PaxosCommitMessage } from './messages.ts';

export interface PaxosCommitRMConfig {
  /** Where the RM sends its ballot-0 phase 2a message: every acceptor. */
  readonly acceptors: readonly string[];
}

type RMState = 'working' | 'prepared' | 'committed' | 'aborted';

interface ResourceManagerContext {
  readonly config: PaxosCommitRMConfig;
  /** The RM's own id: it names the RM's Paxos instance. */
  readonly ins: string;
  /** The durable image the RM booted from; cleared once the boot state is left. */
  readonly recovered?: DurableState;
}

type ResourceManagerEvent =
  | Delivered<Extract<PaxosCommitMessage, { type: 'Prepare' | 'Commit' | 'Abort' }>>
  | { readonly type: 'ChooseToAbort' };

/**
 * A resource manager of Paxos Commit (PaxosCommit.tla's RM actions). Asked to prepare, it
 * persists that it is prepared and then proposes `prepared` in ballot 0 of its own instance, to
 * every acceptor (RMPrepare). While working it may abort on its own, proposing `aborted` in ballot
 * 0 (RMChooseToAbort). It commits or aborts when the leader says so (RMRcvCommitMsg,
 * RMRcvAbortMsg). Unlike 2PC's RM, it does not vote to the TM: its vote goes to the acceptors,
 * whose majority replaces the TM's stable storage.
 */
export const resourceManager = setup({
  types: {
    context: {} as ResourceManagerContext,
    events: {} as ResourceManagerEvent,
    input: {} as NodeInput<PaxosCommitRMConfig>,
    emitted: {} as Effect<PaxosCommitMessage>,
  },
  guards: {
    recoveredIn: ({ context }, params: { state: RMState }) => context.recovered?.rmState === params.state,
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    persistState: emit((_, params: { state: RMState }) => persist({ set: { rmState: params.state } })),
    proposeInBallotZero: enqueueActions(({ context, enqueue }, params: { val: InstanceValue }) => {
      for (const to of context.config.acceptors) enqueue.emit(send(to, { type: 'Phase2a', ins: context.ins, bal: 0, val: params.val }));
    }),
  },
}).createMachine({
  id: 'rm',
  context: ({ input }) => ({ config: input.config, ins: input.id, recovered: input.durable }),
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
        Prepare: {
          target: 'prepared',
          actions: [
            { type: 'persistState', params: { state: 'prepared' } },
            { type: 'proposeInBallotZero', params: { val: 'prepared' } },
          ],
        },
        ChooseToAbort: {
          target: 'aborted',
          actions: [
            { type: 'persistState', params: { state: 'aborted' } },
            { type: 'proposeInBallotZero', params: { val: 'aborted' } },
          ],
        },
        Abort: { target: 'aborted', actions: { type: 'persistState', params: { state: 'aborted' } } },
      },
    },
    prepared: {
      on: {
        Commit: { target: 'committed', actions: { type: 'persistState', params: { state: 'committed' } } },
        Abort: { target: 'aborted', actions: { type: 'persistState', params: { state: 'aborted' } } },
      },
    },
    committed: {},
    aborted: {},
  },
});
