import { defineModel } from '../../../src/checker/index.ts';
import type { LockKeys } from '../../../src/protocols/two-phase-commit/index.ts';
import { conflictOf } from '../../../src/protocols/two-phase-commit/index.ts';
import { ShardState } from '../../../src/service/index.ts';
import { crossShardModel } from '../_cross-shard.ts';

/** A shard that lets a writer in beside the readers of a key: only write locks conflict. */
class ShardIgnoringReadLocks extends ShardState {
  protected override conflictWith(id: string, keys: LockKeys) {
    return conflictOf(this.lockTable, id, keys, false);
  }
}

/**
 * Broken on purpose: shards whose prepared parts take no shared locks for what they compare or
 * get. In the write-skew shape t1 checks that k2 is absent while t2 puts it, and t2 reads k1 while
 * t1 puts it; both commit, and no serial order gives what they saw: SerializableEffects fails.
 */
export default defineModel({
  description: 'BROKEN: shards that take no read locks (write skew across shards)',
  build: () => crossShardModel({ crashes: 1, shape: 'write-skew', shardState: ShardIgnoringReadLocks }),
  expected: () => ({ verdict: 'violation', property: 'SerializableEffects' }),
});
