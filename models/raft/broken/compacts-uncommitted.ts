import { defineModel } from '../../../src/checker/index.ts';
import { compactsUncommitted } from '../../../src/protocols/raft/index.ts';
import { raftModel } from '../_build.ts';

/**
 * Broken on purpose: servers that compact entries they have not committed (thesis §5.1 compacts
 * only what the state machine applied, hence committed), as a follower would that snapshots its
 * log as it arrives. A snapshot stands for committed entries, so the server's commitIndex moves up
 * to it. The shortest schedule the checker finds (22 steps): s1 leads term 1; s2 leads term 2
 * with s3's vote; s1, not yet told of term 2, appends a client's entry at index 1, then follows s2
 * and compacts that entry; s2 appends its own entry at index 1 and compacts it at once — State
 * Machine Safety fails: s1 and s2
 * have applied different entries at index 1. LeaderCompleteness, which fails earlier (s1's
 * "committed" entry is missing from s2's log), is left out so that the search goes on to the state
 * machines' disagreement, as in figure-8.
 */
export default defineModel({
  description: 'BROKEN: a Raft server that compacts entries beyond its commitIndex',
  build: () =>
    raftModel({
      servers: 3,
      values: ['v'],
      machine: compactsUncommitted,
      bounds: { maxTerm: 2, maxLog: 1, maxInFlight: 4 },
      compaction: true,
      symmetry: true,
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'StateMachineSafety'] },
    }),
  expected: () => ({ verdict: 'violation', property: 'StateMachineSafety' }),
});
