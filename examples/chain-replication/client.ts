import { type Delivered, type Effect, type NodeInput, reply, send } from 'unanimous';
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Acked, ChainMessage, ReadResult } from './messages.ts';

export interface ClientConfig {
  /** The servers in chain order: updates go to the first, queries to the last. */
  readonly chain: readonly string[];
  /**
   * In a model, how many writes (c1.v1, c1.v2, …) and reads the client makes, which keeps the state
   * space finite; null for no limit (on a host, whose callers name the values they write).
   */
  readonly writes: number | null;
  readonly reads: number | null;
  /**
   * How many times one request is sent again when no answer has come by `retryTimeout`; null for
   * no limit. A TCP link loses what was in flight when its connection breaks, so a real client
   * must resend; a model bounds it to keep the state space finite.
   */
  readonly resends: number | null;
}

/** A caller waiting on a host (`NodeHost.submit` sets these); absent in a model. */
type Caller = { readonly client: string; readonly requestId: string | number } | null;

type Request =
  | { readonly type: 'Write'; readonly value?: string; readonly client?: string; readonly requestId?: string | number }
  | { readonly type: 'Read'; readonly client?: string; readonly requestId?: string | number };

interface ClientContext {
  readonly id: string;
  readonly head: string;
  readonly tail: string;
  readonly writes: number | null;
  readonly reads: number | null;
  readonly resends: number | null;
  /** The writes made so far; the next one writes <id>.v(made + 1) unless it names its value. */
  readonly made: number;
  /** The write in progress. */
  readonly writing: string | null;
  /** The number of the last read asked for. */
  readonly seq: number;
  /** How many more times the request in progress may be sent again. */
  readonly resendsLeft: number | null;
  /** Every write the chain has acknowledged to this client, in order. */
  readonly acknowledged: readonly string[];
  /** The writes acknowledged when the last read was asked: the read must see them all. */
  readonly acknowledgedAtRead: readonly string[];
  /** What the last read returned; null before it is answered. */
  readonly lastRead: readonly string[] | null;
  readonly caller: Caller;
}

const callerOf = (event: Request): Caller =>
  event.client !== undefined && event.requestId !== undefined ? { client: event.client, requestId: event.requestId } : null;

/**
 * A client of the chain: one request at a time, a write to the head or a read at the tail, sent
 * again on `retryTimeout` until answered. In a model its requests are spontaneous (it may write or
 * read at any moment); on a host they come from `submit`, and the answer goes back to the caller
 * as the request's reply.
 */
export const chainClient = setup({
  types: {
    context: {} as ClientContext,
    events: {} as Delivered<ChainMessage> | Request,
    input: {} as NodeInput<ClientConfig>,
    emitted: {} as Effect<ChainMessage>,
  },
  delays: {
    // The runtime's timer policy sets the real duration; the checker lets an armed timer fire at any moment.
    retryTimeout: 500,
  },
  guards: {
    mayWrite: ({ context }) => context.writes === null || context.made < context.writes,
    mayRead: ({ context }) => context.reads === null || context.seq < context.reads,
    // An acknowledgement of an earlier write (sent again, or the broken variant's head and tail both acking) is not this one's.
    acknowledgesThisWrite: ({ context, event }) => (event as Acked).value === context.writing,
    answersThisRead: ({ context, event }) => (event as ReadResult).seq === context.seq,
    mayResend: ({ context }) => context.resendsLeft === null || context.resendsLeft > 0,
  },
  actions: {
    write: assign(({ context, event }) => {
      const request = event as Request & { type: 'Write' };
      return { made: context.made + 1, writing: request.value ?? `${context.id}.v${context.made + 1}`, resendsLeft: context.resends, caller: callerOf(request) };
    }),
    sendUpdate: emit(({ context }) => send<ChainMessage>(context.head, { type: 'Update', value: context.writing!, client: context.id })),
    recordAck: assign({ acknowledged: ({ context }) => [...context.acknowledged, context.writing!], writing: null }),
    // A host's caller gets the answer as its request's reply; in a model there is no caller.
    answerWrite: enqueueActions(({ context, event, enqueue }) => {
      if (context.caller) enqueue.emit(reply(context.caller.client, context.caller.requestId, { acknowledged: (event as Acked).value }));
    }),
    // A new read forgets the last one's answer: the invariant compares an answer with its own question.
    read: assign(({ context, event }) => ({
      seq: context.seq + 1,
      acknowledgedAtRead: context.acknowledged,
      lastRead: null,
      resendsLeft: context.resends,
      caller: callerOf(event as Request),
    })),
    sendQuery: emit(({ context }) => send<ChainMessage>(context.tail, { type: 'Query', seq: context.seq })),
    recordRead: assign({ lastRead: ({ event }) => (event as ReadResult).history }),
    answerRead: enqueueActions(({ context, event, enqueue }) => {
      if (context.caller) enqueue.emit(reply(context.caller.client, context.caller.requestId, { history: (event as ReadResult).history }));
    }),
    countResend: assign({ resendsLeft: ({ context }) => (context.resendsLeft === null ? null : context.resendsLeft - 1) }),
    forgetCaller: assign({ caller: null }),
  },
}).createMachine({
  id: 'chain-client',
  context: ({ input }) => ({
    id: input.id,
    head: input.config.chain[0]!,
    tail: input.config.chain[input.config.chain.length - 1]!,
    writes: input.config.writes,
    reads: input.config.reads,
    resends: input.config.resends,
    made: 0,
    writing: null,
    seq: 0,
    resendsLeft: null,
    acknowledged: [],
    acknowledgedAtRead: [],
    lastRead: null,
    caller: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        Write: { guard: 'mayWrite', target: 'writing', actions: ['write', 'sendUpdate'] },
        Read: { guard: 'mayRead', target: 'reading', actions: ['read', 'sendQuery'] },
      },
    },
    writing: {
      on: { Acked: { guard: 'acknowledgesThisWrite', target: 'idle', actions: ['recordAck', 'answerWrite', 'forgetCaller'] } },
      after: { retryTimeout: { guard: 'mayResend', target: 'writing', reenter: true, actions: ['countResend', 'sendUpdate'] } },
    },
    reading: {
      on: { ReadResult: { guard: 'answersThisRead', target: 'idle', actions: ['recordRead', 'answerRead', 'forgetCaller'] } },
      after: { retryTimeout: { guard: 'mayResend', target: 'reading', reenter: true, actions: ['countResend', 'sendQuery'] } },
    },
  },
});
