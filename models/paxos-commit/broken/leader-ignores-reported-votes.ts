import { defineModel } from '../../../src/checker/index.ts';
import { leaderIgnoresReportedVotes } from '../../../src/protocols/paxos-commit/index.ts';
import { commitProperties } from '../../_shared/commit.ts';
import { paxosCommitModel } from '../_build.ts';

/**
 * Broken on purpose: leaders that, in a ballot of their own, propose `aborted` whatever the phase
 * 1b reports say. PaxosCommit.tla's semantics with two leaders (leader selection is unreliable, so
 * two processes may both act as leader): l1 commits once both RMs' `prepared` is chosen in ballot
 * 0; then a ballot 1 on rm1's instance, whose phase 1 reports the chosen `prepared`, proposes
 * `aborted`; l2 learns that outcome and aborts rm2 while rm1 commits. TCConsistent fails.
 *
 * One acceptor keeps the counterexample short (13 steps, about 60,000 states): the bug lies in the
 * value rule, not in the quorums. With three acceptors it needs some 21 steps, beyond what a
 * test should explore.
 */
export default defineModel({
  description: 'BROKEN: leaders that propose Aborted in their own ballots whatever phase 1 reports (PaxosCommit.tla semantics)',
  build: () =>
    paxosCommitModel({
      rms: 2,
      acceptors: 1,
      leaders: [[1], [2]],
      mode: 'spontaneous',
      network: 'set',
      leaderMachine: leaderIgnoresReportedVotes,
      properties: ({ rms }) => commitProperties(rms, { refinement: false }),
    }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistent' }),
});
