import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import resolverAbortsAlone from '../../models/service/broken/resolver-aborts-alone.ts';
import crossShard from '../../models/service/cross-shard.ts';

describe("the service's cross-shard commit, checked with the service's own machine and shard state", () => {
  it('holds TCConsistent, follows the anchor, keeps one commit order and resolves every part, with one or two coordinator crashes', () => {
    for (const crashes of [1, 2]) {
      const result = check(crossShard.build({ crashes }));
      expect(result).toMatchObject({ verdict: 'ok', distinct: crossShard.expected({ crashes })!.distinct });
      expect(result.goals.map((goal) => [goal.name, goal.reached])).toEqual([
        ['BothCommit', true],
        ['CommittedAfterItsCoordinatorCrashed', true],
        ['AConflictAborts', true],
        ['AbortedByAResolver', true],
      ]);
    }
    expect(crossShard.expected({ crashes: 1 })!.distinct).toBe(11226);
  });

  it('catches a shard that aborts an in-doubt part without asking the anchor', () => {
    const result = check(resolverAbortsAlone.build({}));
    expect(result.verdict).toBe('violation');
    expect(result.violation?.property).toBe('TCConsistentPerTransaction');
    // The shortest: s2 prepares t1, the anchor logs t1's commit with its part, s2 gives up alone.
    expect(result.violation!.trace!.steps.map((step) => [step.action.kind, step.action.node])).toEqual([
      ['deliver', 's2'],
      ['deliver', 'c1'],
      ['deliver', 's1'],
      ['spontaneous', 's2'],
    ]);
  });
});
