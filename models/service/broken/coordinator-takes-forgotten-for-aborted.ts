import { defineModel } from '../../../src/checker/index.ts';
import { crossShardCommit } from '../../../src/service/index.ts';
import { txnMemoryPruningModel } from '../_txn-memory-pruning.ts';

/** A coordinator that reads an anchor's "forgotten" as the abort it is presumed to be. */
const coordinatorIgnoringForgotten = crossShardCommit.provide({ guards: { forgottenAtAnchor: () => false } });

/**
 * Broken on purpose: a coordinator whose decide is answered after the anchor forgot the decision
 * (its first answer lost, a late copy of its decide applied after the prune) tells its client the
 * transaction aborted. It committed — the anchor applied its part, and the resolver finished the
 * other — so the client is told wrong and may run it again: VerdictsFollowTheAnchor fails. The
 * anchor cannot tell which way a forgotten transaction went, and the coordinator must say so.
 */
export default defineModel({
  description: 'BROKEN: a coordinator that takes a forgotten decision for an abort',
  build: () => txnMemoryPruningModel({ transactions: 1, crashes: 1, pruners: 1, watermark: 3, coordinator: coordinatorIgnoringForgotten }),
  expected: () => ({ verdict: 'violation', property: 'VerdictsFollowTheAnchor' }),
});
