import { defineModel } from '../../src/checker/index.ts';
import { crossShardModel } from './_cross-shard.ts';

/** Distinct states by coordinator crashes, as recorded. */
const DISTINCT_STATES: Readonly<Record<number, number>> = { 1: 11226, 2: 14098 };

/**
 * The key-value service's transactions across shards, with the service's own code: the
 * `crossShardCommit` machine every node runs as coordinator, and shards applying commands to the
 * `ShardState` every replica applies its log to, resolving in-doubt parts through the anchor as the
 * `InDoubtResolver` does. Two transactions put both keys of two shards; commands and answers may be
 * lost, reordered or repeated; coordinators crash-stop.
 *
 * Checked: TCConsistent per transaction, parts follow the anchor's logged decision, committed
 * transactions applied in one order on both shards; at rest, no part is left prepared and every
 * live coordinator answered. Goals: both commit; a transaction commits after its coordinator
 * crashed; a lock conflict aborts one; a resolver's abort is logged at the anchor.
 */
export default defineModel({
  description: "The service's cross-shard commit: 2 coordinators × 2 shards (anchor decision, in-doubt resolution), lossy network, coordinator crashes",
  parameters: {
    crashes: { description: 'coordinator crash-stops', default: 1, min: 1, max: 2 },
  },
  build: (p) => crossShardModel({ crashes: p.crashes! }),
  expected: (p) => ({ verdict: 'ok', distinct: DISTINCT_STATES[p.crashes!] }),
});
