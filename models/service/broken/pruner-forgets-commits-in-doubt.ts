import { enqueueActions } from 'xstate';
import { defineModel } from '../../../src/checker/index.ts';
import { send } from '../../../src/node/index.ts';
import { txnMemoryPruning, type TxnMemoryPruningConfig } from '../../../src/service/index.ts';
import { txnMemoryPruningModel } from '../_txn-memory-pruning.ts';

/** A pruner that has the committed decisions forgotten below its own watermark, without waiting for the shards' prepared floors. */
const prunerIgnoringFloors = txnMemoryPruning.provide({
  actions: {
    pruneFinished: enqueueActions(({ context, enqueue }) => {
      const { shards, below } = (context as { config: TxnMemoryPruningConfig }).config;
      for (const shard of shards) enqueue.emit(send(shard, { type: 'Command', command: { kind: 'prune', below, committedBelow: below } }));
    }),
  },
});

/**
 * Broken on purpose: the anchor forgets a committed decision while a participant is still in doubt
 * about it — the watermark alone, as if every part stamped before it had finished. s2 holds t1
 * prepared when the anchor, having committed t1 and applied its own part, forgets the commit; s2's
 * resolver asks, gets presumed abort, and aborts its part: TCConsistentPerTransaction fails.
 */
export default defineModel({
  description: 'BROKEN: committed decisions forgotten below the watermark while a participant may still be in doubt',
  build: () => txnMemoryPruningModel({ transactions: 1, crashes: 1, pruners: 1, watermark: 3, pruner: prunerIgnoringFloors }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistentPerTransaction' }),
});
