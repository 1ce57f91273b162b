import { defineModel } from '../../src/checker/index.ts';
import { commitProperties } from '../_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from './_build.ts';

/**
 * TwoPhase.tla's model with its RMs as one symmetry set (TLC's SYMMETRY Permutations(RM)): one
 * state per class of states equal up to renaming the RMs. The counts are those of trying every
 * permutation (the two agree for 1 to 7 RMs, and test/checker/symmetry.test.ts checks 5 against
 * the independent reference); the checker reaches them without trying the n! permutations, which
 * is what makes 8 RMs and more feasible at all (src/checker/symmetry.ts).
 */
const DISTINCT_STATES: Readonly<Record<number, number>> = {
  1: 12,
  2: 34,
  3: 80,
  4: 166,
  5: 314,
  6: 553,
  7: 920,
  8: 1_461,
  9: 2_232,
  10: 3_300,
};

export default defineModel({
  description: "TwoPhase.tla's semantics with the RMs symmetric: one state per class up to renaming RMs",
  parameters: { rms: { description: 'resource managers', default: 6, min: 1, max: 12 } },
  build: ({ rms }) =>
    twoPhaseModel({
      ...TWO_PHASE_TLA,
      rms: rms!,
      symmetricRMs: true,
      properties: (ids) => commitProperties(ids),
    }),
  expected: ({ rms }) => {
    const distinct = DISTINCT_STATES[rms!];
    return distinct === undefined ? undefined : { verdict: 'ok', distinct };
  },
});
