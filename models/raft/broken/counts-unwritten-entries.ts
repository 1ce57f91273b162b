import { defineModel } from '../../../src/checker/index.ts';
import { countsUnwrittenEntries } from '../../../src/protocols/raft/index.ts';
import { raftModel } from '../_build.ts';

/**
 * Broken on purpose: a leader writing its log in parallel with replicating it (thesis §10.2.1)
 * that counts its own copy of an entry toward a majority before its WriteLog has made it durable.
 * The checker finds (21 steps): s1 leads term 1 and appends a client's entry; s2 stores and
 * acknowledges it; s1 counts itself and s2, commits the entry and tells s2 so; s1 crashes before
 * its write and restarts with an empty log (its WriteLog, taken after the restart, is ignored: s1
 * no longer leads); s1 then wins term 2 with the vote of s3, which never had the entry — a leader
 * without a committed entry, LeaderCompleteness fails. The bounds are those of
 * raft/parallel-write, whose servers, counting only what they have written, pass.
The properties are those of raft/parallel-write, which the same servers
 * counting only what they have written pass.
 */
export default defineModel({
  description: 'BROKEN: a Raft leader that counts entries it has not yet written toward a majority',
  build: () =>
    raftModel({
      servers: 3,
      values: ['v'],
      machine: countsUnwrittenEntries,
      config: { parallelLogWrite: true },
      bounds: { maxTerm: 2, maxLog: 1, maxInFlight: 4 },
      faults: { crash: 1 },
      symmetry: true,
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'] },
    }),
  expected: () => ({ verdict: 'violation', property: 'LeaderCompleteness' }),
});
