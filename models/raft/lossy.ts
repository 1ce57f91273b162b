import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { ALL_PROPERTIES, raftModel } from './_build.ts';

/**
 * Raft, three servers, with every fault at once, checked exhaustively in CI: a lost message, a
 * duplicated one, reordering (the multiset network) and a crash with restart. To stay within
 * seconds the other bounds are tighter than three-servers': terms ≤ 2 and logs ≤ 1 (states beyond
 * them are still generated and checked, as with TLC's CONSTRAINT, so a leader of term 2 committing
 * a term-1 entry behind one of its own is seen). Every property of three-servers, the history ones
 * included. With terms ≤ 3 or logs ≤ 2 and the same faults it is 0.5–2.8 million states.
 */
export default defineModel({
  description: 'Raft, 3 servers, 1 loss, 1 duplication, 1 crash, terms ≤ 2, logs ≤ 1, ≤ 3 in flight',
  parameters: {
    terms: { description: 'highest term explored', default: 2, min: 1, max: 6 },
    log: { description: 'longest log explored', default: 1, min: 0, max: 4 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 3, min: 1, max: 12 },
    ...faultParameters({ loss: 1, duplication: 1, crashes: 1 }, 'server'),
  },
  build: (p) =>
    raftModel({
      servers: 3,
      values: ['v'],
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      symmetry: true,
      properties: { ...ALL_PROPERTIES, goals: ['EntryCommitted', 'LaterLeaderHoldsEarlierEntry', 'CommittedIndirectly'] },
    }),
  expected: (p) =>
    p.terms === 2 && p.log === 1 && p.inFlight === 3 && p.loss === 1 && p.duplication === 1 && p.crashes === 1
      ? { verdict: 'ok', distinct: 176744 }
      : { verdict: 'ok' },
});
