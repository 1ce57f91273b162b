import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { INITIAL_INSTANCE, type InstanceState, type PaxosCommitMessage } from './messages.ts';

export interface PaxosCommitAcceptorConfig {
  /** The RMs, each naming one Paxos instance. */
  readonly rms: readonly string[];
  /** Where phase 2b votes go: the leaders. */
  readonly leaders: readonly string[];
}

export interface AcceptorContext {
  readonly config: PaxosCommitAcceptorConfig;
  /** PaxosCommit.tla's aState[ins][self], for every instance. */
  readonly instances: Readonly<Record<string, InstanceState>>;
}

type AcceptorEvent = Delivered<Extract<PaxosCommitMessage, { type: 'Phase1a' | 'Phase2a' }>>;

const instanceOf = (context: AcceptorContext, ins: string): InstanceState => context.instances[ins] ?? INITIAL_INSTANCE;

/**
 * An acceptor of Paxos Commit: one Paxos acceptor per instance (PaxosCommit.tla's Phase1b and
 * Phase2b). It promises a ballot higher than any it promised in that instance, reporting its last
 * vote, and votes in a ballot at least as high as its promise. Each instance's state is persisted
 * (under the instance's name) before the phase 1b or 2b message that reveals it: on restart the
 * acceptor comes back with every promise and vote it made.
 */
export const acceptor = setup({
  types: {
    context: {} as AcceptorContext,
    events: {} as AcceptorEvent,
    input: {} as NodeInput<PaxosCommitAcceptorConfig>,
    emitted: {} as Effect<PaxosCommitMessage>,
  },
  guards: {
    isHigherBallot: ({ context, event }) => event.bal > instanceOf(context, event.ins).mbal,
    isAtLeastPromised: ({ context, event }) => event.bal >= instanceOf(context, event.ins).mbal,
  },
  actions: {
    promise: assign({
      instances: ({ context, event }) => ({ ...context.instances, [event.ins]: { ...instanceOf(context, event.ins), mbal: event.bal } }),
    }),
    persistPromise: emit(({ context, event }) => persist({ set: { [event.ins]: { ...instanceOf(context, event.ins) } } })),
    sendPromise: emit(({ context, event }) => {
      const { mbal, bal, val } = instanceOf(context, event.ins);
      return send(event.from, { type: 'Phase1b', ins: event.ins, mbal, bal, val });
    }),
    vote: assign({
      instances: ({ context, event }) =>
        event.type === 'Phase2a' ? { ...context.instances, [event.ins]: { mbal: event.bal, bal: event.bal, val: event.val } } : context.instances,
    }),
    persistVote: emit(({ context, event }) => persist({ set: { [event.ins]: { ...instanceOf(context, event.ins) } } })),
    announceVote: enqueueActions(({ context, event, enqueue }) => {
      const { bal, val } = instanceOf(context, event.ins);
      if (val === 'none') return;
      for (const to of context.config.leaders) enqueue.emit(send(to, { type: 'Phase2b', ins: event.ins, bal, val }));
    }),
  },
}).createMachine({
  id: 'acceptor',
  context: ({ input }) => ({
    config: input.config,
    instances: Object.fromEntries(input.config.rms.map((rm) => [rm, (input.durable[rm] as unknown as InstanceState | undefined) ?? INITIAL_INSTANCE])),
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        Phase1a: { guard: 'isHigherBallot', actions: ['promise', 'persistPromise', 'sendPromise'] },
        Phase2a: { guard: 'isAtLeastPromised', actions: ['vote', 'persistVote', 'announceVote'] },
      },
    },
  },
});
