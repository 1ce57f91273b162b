import { defineModel } from '../../src/checker/index.ts';
import { zabModel } from './_build.ts';

const TIMERS = [['electionTimeout'], ['electionTimeout', 'quorumTimeout'], ['electionTimeout', 'leaderTimeout', 'establishTimeout', 'quorumTimeout']];

/**
 * Zab for `unanimous simulate`: five peers by default, every timer (peers stand as candidates,
 * followers give up on their leader, leaders give up establishing or step down), two client
 * values, three epochs, four broadcasts, two crashes, a multiset network. Far too large to
 * exhaust (`unanimous check` with no model named skips it); random walks check every property of
 * spec/zab.ts on every state they visit.
 */
export default defineModel({
  description: 'Zab for simulation: 5 peers, every timeout, 3 epochs, 4 broadcasts, 2 crashes',
  simulationOnly: true,
  parameters: {
    peers: { description: 'peers in the ensemble; a quorum is a majority', default: 5, min: 3, max: 7 },
    crashes: { description: 'peer crashes', default: 2, min: 0, max: 5 },
    epochs: { description: 'states beyond this epoch are checked, not stored', default: 3, min: 1, max: 6 },
    broadcasts: { description: 'transactions broadcast in all, at most', default: 4, min: 0, max: 8 },
    timeouts: { description: '0: electionTimeout only; 1: and quorumTimeout (leaders step down); 2: every timeout', default: 2, min: 0, max: 2 },
  },
  build: ({ peers, crashes, epochs, broadcasts, timeouts }) =>
    zabModel({
      peers: peers!,
      values: ['x', 'y'],
      maxEpoch: epochs!,
      maxBroadcasts: broadcasts!,
      network: 'multiset',
      faults: { crash: crashes! },
      timers: TIMERS[timeouts!]!,
    }),
});
