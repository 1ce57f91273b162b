import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import resolverAbortsAlone from '../../models/service/broken/resolver-aborts-alone.ts';
import ignoresReadLocks from '../../models/service/broken/shard-ignores-read-locks.ts';
import crossShard from '../../models/service/cross-shard.ts';

const actionsOf = (result: ReturnType<typeof check>) => result.violation!.trace!.steps.map((step) => [step.action.kind, step.action.node]);

describe("the service's cross-shard commit, checked with the service's own machine and shard state", () => {
  it.each([
    [1, 0, 11226],
    [2, 0, 14098],
    [1, 1, 10525],
    [2, 1, 13227],
  ])('crashes=%i writeSkew=%i: TCConsistent, parts follow the anchor, serializable effects, every part resolved: %i states', (crashes, writeSkew, states) => {
    const parameters = { crashes, writeSkew };
    const result = check(crossShard.build(parameters));
    expect(crossShard.expected(parameters)).toEqual({ verdict: 'ok', distinct: states });
    expect(result).toMatchObject({ verdict: 'ok', distinct: states });
    expect(result.goals.map((goal) => [goal.name, goal.reached])).toEqual([
      ['BothCommit', true],
      ['CommittedAfterItsCoordinatorCrashed', true],
      ['AConflictAborts', true],
      ['AbortedByAResolver', true],
    ]);
  });

  it('catches a shard that aborts an in-doubt part without asking the anchor', () => {
    const result = check(resolverAbortsAlone.build({}));
    expect(result.violation?.property).toBe('TCConsistentPerTransaction');
    // The shortest: s2 prepares t1, the anchor logs t1's commit with its part, s2 gives up alone.
    expect(actionsOf(result)).toEqual([
      ['deliver', 's2'],
      ['deliver', 'c1'],
      ['deliver', 's1'],
      ['spontaneous', 's2'],
    ]);
  });

  it('catches shards that take no read locks: write skew across shards', () => {
    const result = check(ignoresReadLocks.build({}));
    expect(result.violation?.property).toBe('SerializableEffects');
    // t1 checks k2 absent and t2 puts k2, both prepared at s2; t2 reads k1 absent and t1 puts k1 at the anchor.
    expect(actionsOf(result)).toEqual([
      ['deliver', 's2'],
      ['deliver', 's2'],
      ['deliver', 'c1'],
      ['deliver', 'c2'],
      ['deliver', 's1'],
      ['deliver', 's1'],
    ]);
  });
});
