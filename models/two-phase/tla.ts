import { defineModel } from '../../src/checker/index.ts';
import { commitProperties } from '../_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from './_build.ts';

/** Distinct states TLC finds for TwoPhase.tla with N RMs (3: tlaplus/Examples' manifest; 9: issue #2). */
const TLC_DISTINCT_STATES: Readonly<Record<number, number>> = { 3: 288, 6: 50816, 9: 10340352 };

export default defineModel({
  description: "Two-Phase Commit with exactly the semantics of Lamport's TwoPhase.tla; refines TCommit",
  parameters: { rms: { description: 'resource managers', default: 3, min: 1, max: 12 } },
  build: ({ rms }) =>
    twoPhaseModel({
      ...TWO_PHASE_TLA,
      rms: rms!,
      properties: (ids) => commitProperties(ids),
    }),
  expected: ({ rms }) => ({ verdict: 'ok', distinct: TLC_DISTINCT_STATES[rms!] }),
});
