import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import type { PaxosMessage } from './messages.ts';

export interface AcceptorConfig {
  /** Where Accepted (2b) votes go: the learners. */
  readonly learners: readonly string[];
}

export interface AcceptorContext {
  readonly config: AcceptorConfig;
  /** The highest ballot promised or voted in; -1 before any (Paxos.tla's maxBal). */
  readonly maxBal: number;
  /** The ballot and value of the last vote cast; -1 and null before any (maxVBal, maxVal). */
  readonly maxVBal: number;
  readonly maxVal: string | null;
}

type AcceptorEvent = Delivered<Extract<PaxosMessage, { type: 'Prepare' | 'Accept' }>>;

/**
 * A Paxos acceptor. It promises a ballot higher than any it has promised (Phase1b), reporting its
 * last vote, and votes for a value in a ballot at least as high as its promise (Phase2b). Its
 * promise and vote are persisted before the Promise or Accepted message that reveals them: an
 * acceptor that forgot a promise after a crash could vote in a lower ballot and let two different
 * values be chosen.
 */
export const acceptor = setup({
  types: {
    context: {} as AcceptorContext,
    events: {} as AcceptorEvent,
    input: {} as NodeInput<AcceptorConfig>,
    emitted: {} as Effect<PaxosMessage>,
  },
  guards: {
    isHigherBallot: ({ context, event }) => event.ballot > context.maxBal,
    isAtLeastPromised: ({ context, event }) => event.ballot >= context.maxBal,
  },
  actions: {
    promise: assign({ maxBal: ({ event }) => event.ballot }),
    persistPromise: emit(({ context }) => persist({ set: { maxBal: context.maxBal } })),
    sendPromise: emit(({ context, event }) =>
      send(event.from, { type: 'Promise', ballot: context.maxBal, votedBallot: context.maxVBal, votedValue: context.maxVal }),
    ),
    vote: assign(({ event }) => (event.type === 'Accept' ? { maxBal: event.ballot, maxVBal: event.ballot, maxVal: event.value } : {})),
    persistVote: emit(({ context }) => persist({ set: { maxBal: context.maxBal, maxVBal: context.maxVBal, maxVal: context.maxVal } })),
    announceVote: enqueueActions(({ context, enqueue }) => {
      for (const to of context.config.learners) enqueue.emit(send(to, { type: 'Accepted', ballot: context.maxVBal, value: context.maxVal! }));
    }),
  },
}).createMachine({
  id: 'acceptor',
  context: ({ input }) => ({
    config: input.config,
    maxBal: (input.durable.maxBal as number | undefined) ?? -1,
    maxVBal: (input.durable.maxVBal as number | undefined) ?? -1,
    maxVal: (input.durable.maxVal as string | null | undefined) ?? null,
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        Prepare: { guard: 'isHigherBallot', actions: ['promise', 'persistPromise', 'sendPromise'] },
        Accept: { guard: 'isAtLeastPromised', actions: ['vote', 'persistVote', 'announceVote'] },
      },
    },
  },
});
