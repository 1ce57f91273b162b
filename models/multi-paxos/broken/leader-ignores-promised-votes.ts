import { defineModel } from '../../../src/checker/index.ts';
import { replicaIgnoresPromisedVotes } from '../../../src/protocols/multi-paxos/index.ts';
import { commandNames, multiPaxosModel } from '../_build.ts';

/**
 * Broken on purpose: a new leader that does not adopt the votes its quorum of promises reported.
 * r1 gets c1 chosen in slot 0 in ballot 0 (r1 and r2 vote for it); r2 campaigns in ballot 1, and
 * though r1's promise reports the vote for c1 in slot 0, it proposes its own client's c2 there —
 * and r1, having promised ballot 1, votes for it: c2 is chosen in the slot where c1 was chosen,
 * and SlotAgreement fails. The bounds are faulty.ts's, without crashes (none is needed).
 */
export default defineModel({
  description: 'BROKEN: Multi-Paxos leaders that ignore the votes reported in promises',
  build: () =>
    multiPaxosModel({
      replicas: 3,
      commands: commandNames(2),
      requests: (id) => ({ r1: ['c1'], r2: ['c2'] })[id] ?? [],
      maxBallot: 2,
      maxInFlight: 4,
      network: 'multiset',
      heartbeat: false,
      machine: replicaIgnoresPromisedVotes,
    }),
  expected: () => ({ verdict: 'violation', property: 'SlotAgreement' }),
});
