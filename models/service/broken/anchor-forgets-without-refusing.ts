import { defineModel } from '../../../src/checker/index.ts';
import { ShardState } from '../../../src/service/index.ts';
import { txnMemoryPruningModel } from '../_txn-memory-pruning.ts';

/** An anchor that prunes its aborted decisions but then takes a late decide for one as the first: only prepares and finishes heed its watermark. */
class AnchorForgettingWithoutRefusing extends ShardState {
  protected override olderThan(watermark: number, id: string, command: 'prepare' | 'finish' | 'decide'): boolean {
    return command !== 'decide' && super.olderThan(watermark, id, command);
  }
}

/**
 * Broken on purpose: an anchor that forgets an aborted decision and then decides afresh. s2's
 * resolver has t1 aborted at the anchor while its coordinator's decide is on the way; the anchor
 * prunes the abort, and the late `decide committed` commits t1 and applies the anchor's part: the
 * decision logged first was abort, so PartsFollowTheAnchor fails.
 */
export default defineModel({
  description: 'BROKEN: an anchor that prunes below a watermark without answering late decides below it aborted',
  build: () => txnMemoryPruningModel({ transactions: 1, crashes: 1, pruners: 1, watermark: 3, shardState: AnchorForgettingWithoutRefusing }),
  expected: () => ({ verdict: 'violation', property: 'PartsFollowTheAnchor' }),
});
