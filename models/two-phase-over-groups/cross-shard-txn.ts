import { defineModel } from '../../src/checker/index.ts';
import { crossShardModel } from './_cross-shard-txn.ts';

/** Distinct states by (crashes, replicated), as recorded. */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '1/0': 151963, '0/0': 18610, '1/1': 533083 };

/**
 * Cross-shard transactions with compares and ops over the participant of the key-value service:
 * t1 (compare "k2" does not exist, put k1) and t2 (get k1, put k2), each with its own coordinator,
 * k1 at p1 and k2 at p2 — each reads the key the other writes. Checked: TCConsistent for each
 * transaction, NoConflictingLocks with read and write modes (one writer and no reader beside it;
 * the lock tables are what the prepare records imply) and SerializableEffects (some serial order of
 * the committed transactions, run by the service's own single-shard `KvState`, passes their
 * compares, gives every get the result its participant voted and leaves the same values and
 * versions). Goals: both commit (t1 then t2), a compare is refused, a conflict is refused.
 */
export default defineModel({
  description: 'Cross-shard transactions with compares, gets and puts: 2 transactions × 2 keys (write-skew shape), 1 crash',
  parameters: {
    crashes: { description: 'node crashes (each restarts from its durable state)', default: 1, min: 0, max: 2 },
    replicated: { description: '1: every node an abstract replicated actor (a crash is a failover)', default: 0, min: 0, max: 1 },
  },
  build: (p) => crossShardModel({ crashes: p.crashes!, arrangement: p.replicated === 1 ? 'replicated' : 'plain' }),
  expected: (p) => ({ verdict: 'ok', distinct: DISTINCT_STATES[`${p.crashes}/${p.replicated}`] }),
});
