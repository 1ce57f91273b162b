import { defineModel } from '../../../src/checker/index.ts';
import { paxosCommitLivenessModel } from '../_liveness.ts';

/**
 * Broken on purpose: `eventually-decides` with two acceptors, one of which may crash — 2F
 * acceptors for F = 1, where Paxos Commit needs 2F+1 (Gray and Lamport 2006, §4). Safety still
 * holds, but once an acceptor is down no majority is left: the leader can learn no instance's
 * outcome, and prepared RMs never decide. The lasso ends in a state where no fair step is left.
 */
export default defineModel({
  description: 'BROKEN: Paxos Commit with 2 acceptors and one crash-stop failure: prepared RMs never decide (lasso)',
  parameters: { rms: { description: 'resource managers', default: 1, min: 1, max: 2 } },
  build: ({ rms }) => paxosCommitLivenessModel(rms!, 2, 6),
  expected: () => ({ verdict: 'violation', property: 'PreparedRMsEventuallyDecide' }),
});
