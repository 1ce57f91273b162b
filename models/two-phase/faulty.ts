import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { commitProperties } from '../_shared/commit.ts';
import { twoPhaseModel } from './_build.ts';

/**
 * Two-Phase Commit as deployed: a network that loses, duplicates and reorders messages, a TM and
 * RMs that crash and restart from their durable state, a vote timeout, and a TM that resends its
 * decision until every RM has acknowledged it. The RMs are a symmetry set.
 *
 * What 2PC cannot do, and this model does not ask of it: if the TM crashes after RMs voted
 * Prepared and before they learn the decision, those RMs are blocked — they may neither commit nor
 * abort — until the TM restarts. Safety holds throughout; progress needs the TM back.
 */
export default defineModel({
  description: '2PC with message loss, duplication, crashes and restarts, timeouts and retransmission',
  parameters: {
    rms: { description: 'resource managers', default: 2, min: 1, max: 4 },
    ...faultParameters({ loss: 1, duplication: 1, crashes: 1 }, 'node'),
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 4, min: 1, max: 12 },
  },
  build: ({ rms, loss, duplication, crashes, inFlight }) =>
    twoPhaseModel({
      rms: rms!,
      network: 'multiset',
      faults: { loss: loss!, duplication: duplication!, crash: crashes! },
      boundary: (state) => state.messageCount <= inFlight!,
      symmetricRMs: true,
      properties: (ids) => commitProperties(ids),
    }),
  expected: (p) =>
    p.rms === 2 && p.loss === 1 && p.duplication === 1 && p.crashes === 1 && p.inFlight === 4
      ? { verdict: 'ok', distinct: 24451, distinctWithoutSymmetry: 48537 }
      : { verdict: 'ok' },
});
