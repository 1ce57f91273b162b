import { defineModel } from '../../../src/checker/index.ts';
import { leaderReadsWithoutConfirmation } from '../../../src/protocols/raft/index.ts';
import { raftReadModel } from '../_reads.ts';

/**
 * Broken on purpose: leaders answer ReadIndex reads without the heartbeat round that confirms
 * their leadership (thesis §6.4 step 2). A leader of term 1 commits an entry; a new leader of term
 * 2, elected by the other two, commits one of its own; the old leader, whose messages of term 2
 * are lost (two losses: a partition), still believes it leads and answers a read with readIndex 1 — the read misses the entry at
 * index 2, committed before it was issued. LinearizableReads fails. The same model with the
 * correct server is models/raft/read-index.ts.
 */
export default defineModel({
  description: 'BROKEN: Raft leaders that answer reads without confirming their leadership',
  build: () =>
    // models/raft/read-index.ts's defaults, with the broken server.
    raftReadModel({
      servers: 3,
      values: ['v'],
      reads: 1,
      machine: leaderReadsWithoutConfirmation,
      bounds: { maxTerm: 2, maxLog: 2, maxInFlight: 3 },
      faults: { loss: 2 },
      symmetry: true,
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'] },
    }),
  expected: () => ({ verdict: 'violation', property: 'LinearizableReads' }),
});
