import { defineModel } from '../../src/checker/index.ts';
import { lockTableModel } from './_lock-table.ts';

/** Distinct states by (transactions, participants, crashes), as recorded. */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '2/2/1/0': 151584, '2/2/0/0': 18577, '2/2/1/1': 492924 };

/**
 * The participant of the key-value service, serving many transactions at once: two transactions,
 * each with its own coordinator, both writing both keys (k1 at p1, k2 at p2), so they conflict on
 * every key; one crash of any node, restarting from its durable state. Checked: TCConsistent for
 * each transaction, NoConflictingLocks (no two prepared transactions hold one key; the lock table is
 * what the prepare records imply) and SameCommitOrder (over a history variable: conflicting
 * transactions commit in one order at every participant — conflict serializability). Goals: both
 * transactions commit (one after the other), a conflict is refused, one commits while the other
 * aborts. With `--param replicated=1` every node is an abstract replicated actor, as in the
 * service: a crash is its group failing over.
 */
export default defineModel({
  description: 'The multi-transaction participant: lock table, prepare records, 2 conflicting transactions × 2 keys, 1 crash',
  parameters: {
    transactions: { description: 'transactions (each with its own coordinator)', default: 2, min: 1, max: 3 },
    participants: { description: 'participants, one key each', default: 2, min: 1, max: 3 },
    crashes: { description: 'node crashes (each restarts from its durable state)', default: 1, min: 0, max: 2 },
    replicated: { description: '1: every node an abstract replicated actor (a crash is a failover)', default: 0, min: 0, max: 1 },
  },
  build: (p) => lockTableModel({ transactions: p.transactions!, participants: p.participants!, crashes: p.crashes!, arrangement: p.replicated === 1 ? 'replicated' : 'plain' }),
  expected: (p) => ({ verdict: 'ok', distinct: DISTINCT_STATES[`${p.transactions}/${p.participants}/${p.crashes}/${p.replicated}`] }),
});
