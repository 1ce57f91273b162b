import { defineModel } from '../../../src/checker/index.ts';
import { crossShardModel } from '../_cross-shard.ts';

/**
 * Broken on purpose: a shard whose part has waited too long aborts it on its own, without asking
 * the anchor — the classic unsafe termination of 2PC. When the coordinator has already logged the
 * commit at the anchor (which applied its part), the other shard aborts its part: the transaction
 * is half committed, and TCConsistentPerTransaction fails.
 */
export default defineModel({
  description: 'BROKEN: an in-doubt part aborted by its shard alone, without asking the anchor',
  build: () => crossShardModel({ crashes: 1, resolve: 'alone' }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistentPerTransaction' }),
});
