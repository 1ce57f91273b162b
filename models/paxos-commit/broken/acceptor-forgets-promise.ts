import { defineModel } from '../../../src/checker/index.ts';
import { acceptorForgetsPromise } from '../../../src/protocols/paxos-commit/index.ts';
import { commitProperties } from '../../_shared/commit.ts';
import { paxosCommitModel } from '../_build.ts';

/**
 * Broken on purpose: the acceptor persists its votes but not its promises (as the broken Paxos
 * acceptor of paxos/broken/acceptor-forgets-promise). PaxosCommit.tla's semantics with two
 * leaders and one acceptor crash: l1 starts ballot 1 of rm2's instance, the acceptor promises it
 * and reports no vote, so l1 proposes `aborted`; the acceptor crashes, comes back without the
 * promise and votes rm2's `prepared` in ballot 0; l1, with both RMs' `prepared` chosen, commits;
 * then the acceptor votes `aborted` in ballot 1 and l2, learning it, aborts. 15 steps.
 */
export default defineModel({
  description: 'BROKEN: an acceptor that forgets its phase 1b promises on restart (PaxosCommit.tla semantics, two leaders, 1 crash)',
  build: () =>
    paxosCommitModel({
      rms: 2,
      acceptors: 1,
      leaders: [[1], [2]],
      mode: 'spontaneous',
      network: 'set',
      faults: { crash: 1, crashable: ['a1'] },
      acceptorMachine: acceptorForgetsPromise,
      properties: ({ rms }) => commitProperties(rms, { refinement: false }),
    }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistent' }),
});
