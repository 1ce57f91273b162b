import { defineModel } from '../../../src/checker/index.ts';
import { voteNotPersisted } from '../../../src/protocols/raft/index.ts';
import { raftModel } from '../_build.ts';

/**
 * Broken on purpose: servers persist currentTerm but not votedFor. A server votes for one
 * candidate, crashes, restarts in the same term having forgotten its vote, and votes for a second
 * candidate: both win a majority of three, two leaders of one term — ElectionSafety fails.
 */
export default defineModel({
  description: 'BROKEN: Raft servers that do not persist votedFor',
  build: () =>
    raftModel({
      servers: 3,
      values: ['v'],
      machine: voteNotPersisted,
      bounds: { maxTerm: 2, maxLog: 1, maxInFlight: 5 },
      faults: { crash: 1 },
      symmetry: true,
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'] },
    }),
  expected: () => ({ verdict: 'violation', property: 'ElectionSafety' }),
});
