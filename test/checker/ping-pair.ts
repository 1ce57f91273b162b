import { assign, enqueueActions, setup } from 'xstate';
import type { NodeDefinition } from '../../src/checker/index.ts';
import { send, type NodeInput } from '../../src/node/index.ts';

/** A fixture for checker tests: node a sends Pings numbered 1..count to node b on boot. */
export const sender = setup({
  types: { input: {} as NodeInput<{ count: number }>, context: {} as { peer: string; count: number } },
  actions: {
    sendAll: enqueueActions(({ context, enqueue }) => {
      for (let n = 1; n <= context.count; n++) enqueue.emit(send(context.peer, { type: 'Ping', n }));
    }),
  },
}).createMachine({
  context: ({ input }) => ({ peer: input.peers[0]!, count: input.config.count }),
  entry: 'sendAll',
});

/** Records the numbers of the Pings it receives, in order. */
export const receiver = setup({
  types: { context: {} as { received: number[] }, events: {} as { type: 'Ping'; n: number; from: string } },
}).createMachine({
  context: { received: [] },
  on: { Ping: { actions: assign({ received: ({ context, event }) => [...context.received, event.n] }) } },
});


export const pair = (count: number): NodeDefinition[] => [
  { id: 'a', machine: sender, peers: ['b'], config: { count } },
  { id: 'b', machine: receiver, peers: [], config: {} },
];

/** What b has received, in order. */
export const received = (state: { node(id: string): { context: any } }) => state.node('b').context.received as number[];
