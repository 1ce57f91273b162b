import { defineModel } from '../../src/checker/index.ts';
import { crossShardModel } from './_cross-shard.ts';

/** Distinct states by (coordinator crashes, write skew), as recorded. */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '1/0': 11226, '2/0': 14098, '1/1': 10525, '2/1': 13227 };

/**
 * The key-value service's transactions across shards, with the service's own code: the
 * `crossShardCommit` machine every node runs as coordinator, and shards applying commands to the
 * `ShardState` every replica applies its log to, resolving in-doubt parts through the anchor as the
 * `InDoubtResolver` does. Two transactions over keys k1 (shard s1, the anchor) and k2 (shard s2):
 * both put both keys, or (`writeSkew=1`) each reads the key the other writes. Commands and answers
 * may be lost, reordered or repeated; coordinators crash-stop.
 *
 * Checked: TCConsistent per transaction, parts follow the anchor's logged decision, and
 * SerializableEffects (some serial order of the committed transactions, run by the service's
 * single-shard `KvState`, passes their compares, gives every get what it read and leaves the same
 * values and versions); at rest, no part is left prepared and every live coordinator answered.
 * Goals: both commit; a transaction commits after its coordinator crashed; a lock conflict aborts
 * one; a resolver's abort is logged at the anchor.
 */
export default defineModel({
  description: "The service's cross-shard commit: 2 coordinators × 2 shards (anchor decision, in-doubt resolution), lossy network, coordinator crashes",
  parameters: {
    crashes: { description: 'coordinator crash-stops', default: 1, min: 1, max: 2 },
    writeSkew: { description: '1: each transaction reads the key the other writes (compare, get) instead of both putting both', default: 0, min: 0, max: 1 },
  },
  build: (p) => crossShardModel({ crashes: p.crashes!, shape: p.writeSkew === 1 ? 'write-skew' : 'writes' }),
  expected: (p) => ({ verdict: 'ok', distinct: DISTINCT_STATES[`${p.crashes}/${p.writeSkew}`] }),
});
