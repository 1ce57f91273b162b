import { defineModel } from '../../../src/checker/index.ts';
import { tmCommitsBeforeAllVote } from '../../../src/protocols/two-phase-commit/index.ts';
import { commitProperties } from '../../_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from '../_build.ts';

/**
 * Broken on purpose: the TM commits once one RM has voted Prepared. Another RM may meanwhile
 * abort on its own, so one RM commits while another aborts: TCConsistent fails. (Checked without
 * the TCommit refinement, which catches the bug one step earlier: see the tests.)
 */
export default defineModel({
  description: 'BROKEN: a TM that commits before every RM voted Prepared (TwoPhase.tla semantics)',
  parameters: { rms: { description: 'resource managers', default: 3, min: 2, max: 8 } },
  build: ({ rms }) =>
    twoPhaseModel({
      ...TWO_PHASE_TLA,
      rms: rms!,
      tmMachine: tmCommitsBeforeAllVote,
      properties: (ids) => commitProperties(ids, { refinement: false }),
    }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistent' }),
});
