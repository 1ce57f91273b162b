import { defineModel } from '../../src/checker/index.ts';
import { zabModel } from './_build.ts';

/**
 * Zab with three peers (a symmetry set) on a multiset network, one crash of any peer, epochs up
 * to 2, two broadcasts in all of one client value "x" (a leader that does not hold x in its
 * history may broadcast it: a client resubmitting). Peers leave an epoch only by crashing: of the
 * timers only `electionTimeout` (standing as candidate) fires. Every property of spec/zab.ts
 * holds; a value is delivered by all three peers, and a second epoch's primary delivers one of
 * its own. Defaults: 14,675 distinct states (87,547 without symmetry), about 1 s here.
 *
 * `--param timeouts=1` also lets followers give up on their leader and leaders step down
 * (`leaderTimeout`, `establishTimeout`, `quorumTimeout`): millions of states, for simulation or
 * patient exhaustion; `--param fifo=1` gives the FIFO channels the paper assumes (6,224 states; 36,961 without symmetry).
 */
export default defineModel({
  description: 'Zab: 3 peers, crash of any peer, 2 epochs, 2 broadcasts',
  parameters: {
    crashes: { description: 'peer crashes (each restarts from its durable image)', default: 1, min: 0, max: 3 },
    epochs: { description: 'states beyond this epoch are checked, not stored', default: 2, min: 1, max: 4 },
    broadcasts: { description: 'transactions broadcast in all, at most', default: 2, min: 0, max: 4 },
    timeouts: { description: '1: followers and leaders may also time out and return to election', default: 0, min: 0, max: 1 },
    fifo: { description: '1: FIFO channels (as the paper assumes) instead of a multiset', default: 0, min: 0, max: 1 },
  },
  build: ({ crashes, epochs, broadcasts, timeouts, fifo }) =>
    zabModel({
      peers: 3,
      values: ['x'],
      maxEpoch: epochs!,
      maxBroadcasts: broadcasts!,
      network: fifo ? 'fifo' : 'multiset',
      faults: { crash: crashes! },
      timers: timeouts ? ['electionTimeout', 'leaderTimeout', 'establishTimeout', 'quorumTimeout'] : ['electionTimeout'],
      symmetric: true,
    }),
  expected: (p) =>
    p.crashes === 1 && p.epochs === 2 && p.broadcasts === 2 && p.timeouts === 0 && p.fifo === 0
      ? { verdict: 'ok', distinct: 14675, distinctWithoutSymmetry: 87547 }
      : p.crashes === 1 && p.epochs === 2 && p.broadcasts === 2 && p.timeouts === 0 && p.fifo === 1
        ? { verdict: 'ok', distinct: 6224, distinctWithoutSymmetry: 36961 }
        : { verdict: 'ok' },
});
