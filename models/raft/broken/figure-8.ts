import { defineModel } from '../../../src/checker/index.ts';
import { leaderCommitsOldTerm } from '../../../src/protocols/raft/index.ts';
import { raftModel } from '../_build.ts';

/**
 * Broken on purpose: Figure 8 of the paper (§5.4.2), on three servers. A leader commits an entry
 * of an earlier term as soon as a majority stores it. The shortest schedule: s1 leads term 1 and
 * appends e1 alone; s2 leads term 2 and appends e2 alone; s1 leads term 3 (s3's vote), copies e1
 * to s3 and commits it by counting; s2 leads term 4 (s3's vote again: its last entry, of term 2,
 * is newer than e1) and overwrites e1 on s3, which had applied it — StateMachineSafety fails.
 *
 * That takes four elections and some thirty steps, out of reach of exhaustive search in seconds
 * (four million states do not reach depth 27). This model is for `unanimous simulate`, narrowed so
 * that random walks find the schedule: only s1 and s2 campaign and take client requests (s3 only
 * votes and follows); no heartbeats; no bound on messages in flight. Found by `unanimous simulate
 * raft/broken/figure-8 --seed 7 --walks 100000 --depth 150` at walk 83,198, shrunk to 26 steps
 * (some ten minutes here); test/models/raft.test.ts replays it from its path. LeaderCompleteness,
 * which fails a step earlier in that walk, is left out so the walk goes on to the state machines'
 * disagreement.
 */
export default defineModel({
  description: 'BROKEN: a Raft leader that commits entries of earlier terms by counting replicas (Figure 8); for unanimous simulate',
  simulationOnly: true,
  build: () =>
    raftModel({
      servers: 3,
      values: ['v'],
      machine: leaderCommitsOldTerm,
      bounds: { maxTerm: 10, maxLog: 4 },
      candidates: ['s1', 's2'],
      clientsAt: ['s1', 's2'],
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'StateMachineSafety'] },
    }),
  expected: () => ({ verdict: 'violation', property: 'StateMachineSafety' }),
});
