import { defineModel } from '../../../src/checker/index.ts';
import { ShardState } from '../../../src/service/index.ts';
import { txnMemoryPruningModel } from '../_txn-memory-pruning.ts';

/** A shard that prunes its records below the watermark but then treats what comes late as new: nothing is older than its watermark. */
class ShardForgettingWithoutRefusing extends ShardState {
  protected override olderThan(): boolean {
    return false;
  }
}

/**
 * Broken on purpose: shards that forget the transactions finished below the watermark without
 * refusing, from then on, what arrives late for them. A part aborted at s2 (its coordinator timed
 * out) is forgotten, and the late copy of its prepare locks it afresh: APartFinishesOnce fails.
 * (Left at that, the part would be resolved through the anchor — or, its commit forgotten too, a
 * late decide would apply the anchor's part again.)
 */
export default defineModel({
  description: 'BROKEN: shards that prune below a watermark without refusing late prepares and decides below it',
  build: () => txnMemoryPruningModel({ transactions: 1, crashes: 1, pruners: 1, watermark: 3, shardState: ShardForgettingWithoutRefusing }),
  expected: () => ({ verdict: 'violation', property: 'APartFinishesOnce' }),
});
