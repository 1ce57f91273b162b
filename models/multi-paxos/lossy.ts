import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import faulty from './faulty.ts';

/**
 * multi-paxos/faulty with every fault at once, exhaustive in CI: a lost message, a duplicated one,
 * reordering and a crash with restart, two leader changes. To stay within seconds it explores at
 * most three messages in flight instead of four (with four: 1.2 million states with the loss
 * alone).
 */
export default defineModel({
  description: 'Multi-Paxos: two leader changes, 1 loss, 1 duplication, 1 crash, ≤ 3 in flight',
  parameters: {
    ...faulty.parameters,
    ...faultParameters({ loss: 1, duplication: 1, crashes: 1 }, 'replica'),
    inFlight: { ...faulty.parameters.inFlight!, default: 3 },
  },
  build: faulty.build,
  expected: (p) =>
    p.ballots === 2 && p.crashes === 1 && p.loss === 1 && p.duplication === 1 && p.inFlight === 3 ? { verdict: 'ok', distinct: 306285 } : { verdict: 'ok' },
});
