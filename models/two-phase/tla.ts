import { defineModel } from '../../src/checker/index.ts';
import { commitProperties } from '../_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from './_build.ts';

/**
 * Distinct states of TwoPhase.tla with N RMs. TLC's own figures: 288 for 3 RMs (tlaplus/Examples'
 * manifest.json), 50,816 for 6 (TwoPhase.tla's closing comment), 10,340,352 for 9. The rest come
 * from test/reference/two-phase-tla.ts, an independent transcription of the spec without XState,
 * which agrees with all three.
 */
const DISTINCT_STATES: Readonly<Record<number, number>> = {
  1: 12,
  2: 56,
  3: 288,
  4: 1568,
  5: 8832,
  6: 50816,
  7: 296448,
  8: 1745408,
  9: 10340352,
};

export default defineModel({
  description: "Two-Phase Commit with exactly the semantics of Lamport's TwoPhase.tla; refines TCommit",
  parameters: { rms: { description: 'resource managers', default: 3, min: 1, max: 12 } },
  build: ({ rms }) =>
    twoPhaseModel({
      ...TWO_PHASE_TLA,
      rms: rms!,
      properties: (ids) => commitProperties(ids),
    }),
  expected: ({ rms }) => ({ verdict: 'ok', distinct: DISTINCT_STATES[rms!] }),
});
