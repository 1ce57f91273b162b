import { defineModel } from '../../../src/checker/index.ts';
import { rmForgetsVote } from '../../../src/protocols/two-phase-commit/index.ts';
import { commitProperties } from '../../_shared/commit.ts';
import { twoPhaseModel } from '../_build.ts';

/**
 * Broken on purpose: an RM votes Prepared without persisting it. It crashes, restarts as working
 * and aborts on its own, while the TM — which had every vote — commits the others: TCConsistent
 * fails.
 */
export default defineModel({
  description: 'BROKEN: an RM that does not persist its Prepared vote before sending it',
  parameters: { rms: { description: 'resource managers', default: 2, min: 2, max: 4 } },
  build: ({ rms }) =>
    twoPhaseModel({
      rms: rms!,
      rmMachine: rmForgetsVote,
      network: 'multiset',
      faults: { crash: 1 },
      boundary: (state) => state.messageCount <= 4,
      properties: (ids) => commitProperties(ids, { refinement: false }),
    }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistent' }),
});
