import { type Delivered, type Effect, type NodeInput, persist, send } from 'unanimous';
import { and, assign, emit, setup } from 'xstate';
import type { Acked, ChainMessage, Query, ReadResult, Update } from './messages.ts';

export interface ChainConfig {
  /** The servers in chain order: the head first, the tail last. */
  readonly chain: readonly string[];
  /**
   * The deliberate bug of the broken variant: the head acknowledges an update as soon as it has
   * applied it, before the rest of the chain has — so a query at the tail can miss a write the
   * client was told is done.
   */
  readonly ackAtHead?: boolean;
  /** The deliberate bug of the other broken variant: a resent update is applied again. */
  readonly applyResent?: boolean;
}

interface ServerContext {
  /** The next server down the chain; null at the tail. */
  readonly successor: string | null;
  readonly isHead: boolean;
  readonly ackAtHead: boolean;
  readonly applyResent: boolean;
  /** Hist: the updates this server has applied, in order (durable: a restart keeps them). */
  readonly history: readonly string[];
}

/**
 * A chain server (van Renesse and Schneider, OSDI 2004, §2–3). An update is applied in chain
 * order: each server applies it, makes it durable, and forwards it to its successor; the tail,
 * having applied it, acknowledges it to the client. A query goes to the tail and is answered from
 * its history. Because every server forwards updates in the order it applied them over a FIFO
 * link, a server's history is always a prefix of its predecessor's (the Update Propagation
 * Invariant), and the tail holds exactly the acknowledged updates — which is why reads at the
 * tail are strongly consistent. (Reconfiguration after a failure, by the paper's master, is left
 * out of this example.)
 */
export const chainServer = setup({
  types: {
    context: {} as ServerContext,
    events: {} as Delivered<ChainMessage>,
    input: {} as NodeInput<ChainConfig>,
    emitted: {} as Effect<ChainMessage>,
  },
  guards: {
    isTail: ({ context }) => context.successor === null,
    acknowledgesAtHead: ({ context }) => context.isHead && context.ackAtHead,
    // Clients resend what they have no answer to: an update applied before is not applied again.
    alreadyApplied: ({ context, event }) => !context.applyResent && context.history.includes((event as Update).value),
  },
  actions: {
    apply: assign({ history: ({ context, event }) => [...context.history, (event as Update).value] }),
    persistUpdate: emit(({ event }) => persist({ append: { history: [(event as Update).value] } })),
    forward: emit(({ context, event }) => {
      const { value, client } = event as Update;
      return send<ChainMessage>(context.successor!, { type: 'Update', value, client });
    }),
    acknowledge: emit(({ event }) => {
      const { value, client } = event as Update;
      return send<ChainMessage>(client, { type: 'Acked', value } satisfies Acked);
    }),
    answerQuery: emit(({ context, event }) =>
      send<ChainMessage>(event.from, { type: 'ReadResult', seq: (event as Query).seq, history: context.history } satisfies ReadResult),
    ),
  },
}).createMachine({
  id: 'chain-server',
  context: ({ input }) => {
    const at = input.config.chain.indexOf(input.id);
    return {
      successor: input.config.chain[at + 1] ?? null,
      isHead: at === 0,
      ackAtHead: input.config.ackAtHead ?? false,
      applyResent: input.config.applyResent ?? false,
      history: (input.durable.history as string[] | undefined) ?? [],
    };
  },
  initial: 'serving',
  states: {
    serving: {
      on: {
        // Persist before send: the host makes the update durable before it forwards or acks it.
        Update: [
          // A resent update: passed on again (it may be what was lost downstream), or acknowledged again at the tail.
          { guard: and(['alreadyApplied', 'isTail']), actions: 'acknowledge' },
          { guard: 'alreadyApplied', actions: 'forward' },
          { guard: 'isTail', actions: ['apply', 'persistUpdate', 'acknowledge'] },
          { guard: 'acknowledgesAtHead', actions: ['apply', 'persistUpdate', 'acknowledge', 'forward'] },
          { actions: ['apply', 'persistUpdate', 'forward'] },
        ],
        Query: { guard: 'isTail', actions: 'answerQuery' },
      },
    },
  },
});
