import { always, defineModel, sometimes } from 'unanimous';
import { pinger, recorder } from './machines.ts';

// Five states, by hand: both Pings in flight; Ping 1 or Ping 2 delivered first (two states);
// then the other, which leaves b full with [1, 2] or [2, 1] (two more). On a multiset network a
// delivered message is consumed, so nothing arrives twice.
export const DISTINCT_STATES = 5;

export default defineModel({
  description: 'a pings b twice; b records each Ping once, in either order',
  build: () => ({
    nodes: [
      { id: 'a', machine: pinger, peers: ['b'], config: {} },
      { id: 'b', machine: recorder, peers: [], config: {} },
    ],
    network: 'multiset',
    properties: [
      always('EachPingOnce', (state) => {
        const received: readonly number[] = state.node('b').context.received;
        return new Set(received).size === received.length && received.every((n) => n === 1 || n === 2);
      }),
      sometimes('BothArrived', (state) => state.node('b').value === 'full'),
    ],
  }),
  expected: () => ({ verdict: 'ok', distinct: DISTINCT_STATES }),
});
