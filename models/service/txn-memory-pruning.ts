import { defineModel } from '../../src/checker/index.ts';
import { txnMemoryPruningModel } from './_txn-memory-pruning.ts';

/** Distinct states of the default configuration, as recorded; the larger ones are too many to exhaust quickly (`unanimous simulate`, or `check --max-states`). */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '1/1': 47991 };

/**
 * Pruning the memory of finished transactions (issue 11), with the service's own code: the
 * cross-shard commit of models/service/cross-shard.ts — the `crossShardCommit` coordinators, shards
 * applying commands to the service's `ShardState`, in-doubt parts resolved through the anchor — and
 * the `txnMemoryPruning` round the service's `TxnMemoryPruner` runs: prune both shards below the
 * watermark, gather their prepared floors, forget the committed decisions below the least. Every
 * message may be lost, late or repeated, so the shards forget at any moment, and a watermark may
 * pass a transaction still at work.
 *
 * Checked on what the shards ever held (a history variable: pruning forgets it): TCConsistent per
 * transaction, parts follow the anchor's decision, SerializableEffects, a part finishes once (a
 * late prepare of a forgotten part is refused, never taken afresh), and every client verdict
 * agrees with the anchor's decision; at rest, no part is left prepared and every live coordinator
 * answered. Goals: every transaction commits; a commit after its coordinator crashed; a resolver's abort; a
 * committed decision forgotten at the anchor; a prepare refused below the watermark; every
 * transaction forgotten everywhere. By default t1 alone, one pruner and a coordinator crash; two
 * transactions or two pruners are too many states to exhaust in a test.
 */
export default defineModel({
  description: "The service's pruning of finished transactions: a coordinator × 2 shards and a pruner (watermark refusals, prepared floors), lossy network, a coordinator crash",
  parameters: {
    transactions: { description: '1: t1 alone (c1); 2: t1 and t2 (c2), both putting both keys', default: 1, min: 1, max: 2 },
    pruners: { description: 'pruners running their round at once (2: the pruning node changing mid-round)', default: 1, min: 1, max: 2 },
  },
  build: (p) => txnMemoryPruningModel({ transactions: p.transactions!, pruners: p.pruners!, crashes: 1, watermark: 3 }),
  expected: (p) => {
    const distinct = DISTINCT_STATES[`${p.transactions}/${p.pruners}`];
    return distinct === undefined ? undefined : { verdict: 'ok', distinct };
  },
});
