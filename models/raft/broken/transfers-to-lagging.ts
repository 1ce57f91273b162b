import { defineModel } from '../../../src/checker/index.ts';
import { transfersToLaggingFollower } from '../../../src/protocols/raft/index.ts';
import { raftTransferModel } from '../_transfers.ts';

/**
 * Broken on purpose: a leader that sends TimeoutNow as soon as it takes on a leadership transfer,
 * without waiting until the target's matchIndex is its last log index (thesis §3.10 step 1). The
 * shortest schedule the checker finds (9 steps, four of them draining messages to stay within
 * three in flight): s1 is elected in term 1, appends a client's entry, and is asked to transfer to
 * s2 while the AppendEntries carrying the entry is still on its way — TimeoutNow goes out to a
 * target whose log lacks it, and TimeoutNowOnlyToUpToDate fails. The election it forces is one the
 * target can lose (the voters holding the entry refuse it, §5.4.1), so safety itself holds; the
 * transfer fails, after refusing clients for its whole timeout. The same model with the correct
 * server is models/raft/transfer.ts at its defaults.
 */
export default defineModel({
  description: 'BROKEN: a Raft leader that sends TimeoutNow before the transfer target has caught up',
  build: () =>
    // models/raft/transfer.ts's defaults, with the broken server.
    raftTransferModel({
      servers: 3,
      values: ['v'],
      transfers: 1,
      machine: transfersToLaggingFollower,
      bounds: { maxTerm: 3, maxLog: 2, maxInFlight: 3 },
      faults: { crash: 1 },
      symmetry: true,
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'] },
    }),
  expected: () => ({ verdict: 'violation', property: 'TimeoutNowOnlyToUpToDate' }),
});
