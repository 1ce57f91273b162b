import { defineModel } from '../../../src/checker/index.ts';
import { commitsOnlyWhenAllStore } from '../../../src/protocols/raft/index.ts';
import { raftLivenessModel } from '../_liveness.ts';

/**
 * Broken on purpose: `eventually-commits` with a leader that commits only what every server
 * stores (`commitsOnlyWhenAllStore`). Every safety property still holds — the rule is stricter
 * than the majority's — but s1 leads, takes the client's entry, s2 acknowledges it, s3 crashes,
 * and nothing commits: the checker prints the behaviour (11 steps), which then stutters for
 * ever with no fair action enabled.
 */
export default defineModel({
  description: 'BROKEN: a Raft leader that commits only what every server stores (not live with one crashed)',
  build: () => raftLivenessModel({ terms: 3, inFlight: 5, machine: commitsOnlyWhenAllStore }),
  expected: () => ({ verdict: 'violation', property: 'LeaderEntryEventuallyCommitted' }),
});
