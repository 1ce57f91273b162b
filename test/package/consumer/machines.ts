import { assign, enqueueActions, setup } from 'xstate';

// The consumer project's own protocol, as small as a protocol gets: on boot `a` sends Ping 1 and
// Ping 2 to `b`, which records them in the order they arrive and is `full` once it has both.

export type PingMessage = { readonly type: 'Ping'; readonly n: number };

/** What a node sends it emits as a `send` effect: the checker delivers it, the runtime puts it on the wire. */
type Send = { readonly type: 'send'; readonly to: string; readonly message: PingMessage };

interface Input {
  readonly peers: readonly string[];
}

export const pinger = setup({
  types: { input: {} as Input, context: {} as { readonly peer: string }, emitted: {} as Send },
  actions: {
    pingTwice: enqueueActions(({ context, enqueue }) => {
      for (const n of [1, 2]) enqueue.emit({ type: 'send', to: context.peer, message: { type: 'Ping', n } });
    }),
  },
}).createMachine({
  id: 'pinger',
  context: ({ input }) => ({ peer: input.peers[0]! }),
  entry: 'pingTwice',
});

export const recorder = setup({
  types: {
    context: {} as { readonly received: readonly number[] },
    events: {} as PingMessage & { readonly from: string },
  },
  actions: { record: assign({ received: ({ context, event }) => [...context.received, event.n] }) },
  guards: { hasBoth: ({ context }) => context.received.length === 2 },
}).createMachine({
  id: 'recorder',
  context: { received: [] },
  initial: 'listening',
  states: {
    listening: {
      on: { Ping: { actions: 'record' } },
      always: { guard: 'hasBoth', target: 'full' },
    },
    full: {},
  },
});
