import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import resolverAbortsAlone from '../../models/service/broken/resolver-aborts-alone.ts';
import ignoresReadLocks from '../../models/service/broken/shard-ignores-read-locks.ts';
import crossShard from '../../models/service/cross-shard.ts';
import anchorForgetsWithoutRefusing from '../../models/service/broken/anchor-forgets-without-refusing.ts';
import coordinatorTakesForgottenForAborted from '../../models/service/broken/coordinator-takes-forgotten-for-aborted.ts';
import prunerForgetsCommitsInDoubt from '../../models/service/broken/pruner-forgets-commits-in-doubt.ts';
import shardForgetsWithoutRefusing from '../../models/service/broken/shard-forgets-without-refusing.ts';
import txnMemoryPruning from '../../models/service/txn-memory-pruning.ts';

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

describe("pruning the memory of finished transactions below a watermark, checked with the service's own machines and shard state", () => {
  /** Each step as [kind, node, what it delivers]: the command's kind, or the answer's. */
  const stepsOf = (result: ReturnType<typeof check>) =>
    result.violation!.trace!.steps.map((step) => {
      const message = (step.action as { message?: { message: { type: string; command: { kind: string } } } }).message?.message;
      return [step.action.kind, step.action.node, message === undefined ? '' : `${message.type} ${message.command.kind}`];
    });

  it('shards that prune at any moment keep TCConsistent, parts following the anchor, serializable effects, parts finishing once and true verdicts', () => {
    const parameters = { transactions: 1, pruners: 1 };
    const result = check(txnMemoryPruning.build(parameters));
    expect(txnMemoryPruning.expected(parameters)).toEqual({ verdict: 'ok', distinct: 47991 });
    expect(result).toMatchObject({ verdict: 'ok', distinct: 47991 });
    expect(result.goals.map((goal) => [goal.name, goal.reached])).toEqual([
      ['EveryTransactionCommits', true],
      ['CommittedAfterItsCoordinatorCrashed', true],
      ['AbortedByAResolver', true],
      ['ACommitForgottenAtTheAnchor', true],
      ['ALatePrepareRefusedBelowTheWatermark', true],
      ['ALateDecideToldItWasForgotten', true],
      ['EveryTransactionForgottenEverywhere', true],
    ]);
  });

  it('catches a shard that forgets without refusing: a late prepare locks a part aborted and forgotten', () => {
    const result = check(shardForgetsWithoutRefusing.build({}));
    expect(result.violation?.property).toBe('APartFinishesOnce');
    // c1 times out and aborts; s2 records the abort, prunes it, and the late prepare is taken afresh.
    expect(stepsOf(result)).toEqual([
      ['timer', 'c1', ''],
      ['deliver', 's2', 'Command finish'],
      ['deliver', 's2', 'Command prune'],
      ['deliver', 's2', 'Command prepare'],
    ]);
  });

  it('catches an anchor that forgets without refusing: a late decide commits what a resolver aborted', () => {
    const result = check(anchorForgetsWithoutRefusing.build({}));
    expect(result.violation?.property).toBe('PartsFollowTheAnchor');
    // s2's resolver has t1 aborted at the anchor, which prunes the abort; the coordinator's late decide then commits it.
    expect(stepsOf(result)).toEqual([
      ['deliver', 's2', 'Command prepare'],
      ['deliver', 'c1', 'Result prepare'],
      ['spontaneous', 's2', ''],
      ['deliver', 's1', 'Command decide'],
      ['deliver', 's1', 'Command prune'],
      ['deliver', 's1', 'Command decide'],
    ]);
  });

  it('catches a pruner that has commits forgotten below its watermark alone, while a participant is in doubt', () => {
    const result = check(prunerForgetsCommitsInDoubt.build({}));
    expect(result.violation?.property).toBe('TCConsistentPerTransaction');
    // s2 prepared t1 and the anchor committed it; the anchor forgets the commit, and s2's resolver is told abort.
    expect(stepsOf(result)).toEqual([
      ['deliver', 's2', 'Command prepare'],
      ['deliver', 'c1', 'Result prepare'],
      ['deliver', 's1', 'Command decide'],
      ['deliver', 's1', 'Command prune'],
      ['spontaneous', 's2', ''],
      ['deliver', 's1', 'Command decide'],
      ['deliver', 's2', 'Result decide'],
    ]);
  });

  it('catches a coordinator that takes a forgotten decision for an abort: its client is told a committed transaction aborted', () => {
    const result = check(coordinatorTakesForgottenForAborted.build({}));
    expect(result.violation?.property).toBe('VerdictsFollowTheAnchor');
    expect(result.violation!.trace!.steps).toHaveLength(13);
    expect(stepsOf(result).at(-1)).toEqual(['deliver', 'c1', 'Result decide']);
  });
});
