import { defineModel } from '../../../src/checker/index.ts';
import { replicaDecidesWithAll } from '../../../src/protocols/multi-paxos/index.ts';
import { multiPaxosLivenessModel } from '../_liveness.ts';

/**
 * Broken on purpose: a leader that decides a slot only once every replica voted for it. Safe —
 * every safety property still holds — but not live: r1 proposes c1, r2 votes for it, r3 crashes
 * before voting, and nothing is ever decided; the behaviour ends stuttering, with no fair step
 * left. eventually-decided.ts's model and bounds, with this replica.
 */
export default defineModel({
  description: 'BROKEN: Multi-Paxos leaders that wait for every replica\'s vote (safe, not live)',
  build: () => multiPaxosLivenessModel({ ballots: 3, inFlight: 5, machine: replicaDecidesWithAll }),
  expected: () => ({ verdict: 'violation', property: 'ProposedCommandEventuallyDecided' }),
});
