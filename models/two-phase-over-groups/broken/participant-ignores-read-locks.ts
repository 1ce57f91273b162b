import { defineModel } from '../../../src/checker/index.ts';
import { participantIgnoresReadLocks } from '../../../src/protocols/two-phase-commit/index.ts';
import { crossShardModel } from '../_cross-shard-txn.ts';

/**
 * Broken on purpose: participants take shared locks for reads but let a writer in beside them.
 * A reader and a writer then hold one key: NoConflictingLocks fails — and, further on, t1 and t2
 * each miss the other's write and both commit (write skew), which no serial order gives.
 */
export default defineModel({
  description: 'BROKEN: a participant that ignores read locks (write skew across shards)',
  build: () => crossShardModel({ crashes: 0, participantMachine: participantIgnoresReadLocks }),
  expected: () => ({ verdict: 'violation', property: 'NoConflictingLocks' }),
});
