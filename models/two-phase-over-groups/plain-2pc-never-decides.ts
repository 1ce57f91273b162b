import { defineModel } from '../../src/checker/index.ts';
import { tmFailureLivenessModel } from './_liveness.ts';

/**
 * The comparison for `failover-decides`: plain 2PC in the same configuration, whose TM crash-stops.
 * Under the same fairness, PreparedRMsEventuallyDecide fails, and the checker shows the lasso: the
 * RMs vote, the TM crashes before deciding, and the behaviour stays there forever — no fair action
 * is enabled (a crashed TM receives nothing; a restart is never fair), so the prepared RMs block.
 * This is 2PC's blocking (Bernstein, Hadzilacos and Goodman 1987, §7.4), as a liveness violation.
 */
export default defineModel({
  description: 'plain 2PC with a crash-stop TM and fair nodes: a prepared RM never decides (lasso)',
  parameters: { rms: { description: 'resource managers', default: 2, min: 1, max: 4 } },
  build: ({ rms }) => tmFailureLivenessModel('plain', rms!),
  expected: () => ({ verdict: 'violation', property: 'PreparedRMsEventuallyDecide' }),
});
