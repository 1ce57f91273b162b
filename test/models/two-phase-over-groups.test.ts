import { describe, expect, it } from 'vitest';
import { always, check, sometimes, type CheckResult, type Trace } from '../../src/checker/index.ts';
import { traceToText } from '../../src/inspect/trace-text.ts';
import type { ReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import abstract from '../../models/two-phase-over-groups/abstract.ts';
import appliesUncommitted, { FAILOVER_AFTER_UNCOMMITTED_VOTE } from '../../models/two-phase-over-groups/broken/applies-uncommitted.ts';
import failoverDecides from '../../models/two-phase-over-groups/failover-decides.ts';
import full from '../../models/two-phase-over-groups/full.ts';
import plainNeverDecides from '../../models/two-phase-over-groups/plain-2pc-never-decides.ts';
import plainBlocks from '../../models/two-phase-over-groups/plain-2pc-blocks.ts';
import { groupsModel } from '../../models/two-phase-over-groups/_build.ts';
import { sameCommitOrder } from '../../models/two-phase-over-groups/_lock-table.ts';
import ignoresLocks from '../../models/two-phase-over-groups/broken/participant-ignores-locks.ts';
import lockTable from '../../models/two-phase-over-groups/lock-table.ts';
import crossShard from '../../models/two-phase-over-groups/cross-shard-txn.ts';
import ignoresReadLocks from '../../models/two-phase-over-groups/broken/participant-ignores-read-locks.ts';

const LOCK_TABLE_NO_CRASH = 18577;

const defaults = (file: typeof full) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

function expectAllGoalsReached(result: CheckResult) {
  expect(result.goals.length).toBeGreaterThan(0);
  for (const goal of result.goals) expect(goal, goal.name).toMatchObject({ reached: true });
}

const actionsOf = (trace: Trace | undefined) => {
  expect(trace).toBeDefined();
  return trace!.steps.map((step) => step.action);
};

describe('blocking: plain 2PC against 2PC over replicated nodes, one TM failure', () => {
  it('plain 2PC with a crash-stop TM leaves prepared RMs blocked: PreparedRMsDecide fails', () => {
    const result = check(plainBlocks.build(defaults(plainBlocks)));
    expect(result.verdict).toBe('violation');
    expect(result.violation).toMatchObject({ property: 'PreparedRMsDecide', kind: 'quiescent' });
    // The shortest blocking behaviour: both RMs vote, the TM crashes before deciding.
    expect(actionsOf(result.violation?.trace)).toEqual([
      { kind: 'deliver', node: 'rm1', message: { from: 'tm', to: 'rm1', message: { type: 'Prepare' } } },
      { kind: 'deliver', node: 'rm2', message: { from: 'tm', to: 'rm2', message: { type: 'Prepare' } } },
      { kind: 'crash', node: 'tm' },
    ]);
    const final = result.violation!.trace!.final.nodes;
    expect(final.map((node) => [node.id, node.crashed ? 'crashed' : node.value])).toEqual([
      ['tm', 'crashed'],
      ['rm1', 'prepared'],
      ['rm2', 'prepared'],
    ]);
  });

  it('over abstract replicated nodes the TM fails over and every prepared RM decides; TCConsistent and the TCommit refinement hold', () => {
    const parameters = defaults(abstract);
    const model = abstract.build(parameters);
    const result = check(model);
    expect(result).toMatchObject({ verdict: 'ok', distinct: 491 });
    expect(abstract.expected(parameters)).toEqual({ verdict: 'ok', distinct: 491, distinctWithoutSymmetry: 918 });
    expect(model.properties.map((p) => p.name)).toEqual(['TCTypeOK', 'TCConsistent', 'TCommit', 'SomeRMCommits', 'SomeRMAborts', 'PreparedRMsDecide']);
    expectAllGoalsReached(result);
    expect(check({ ...model, symmetry: [] })).toMatchObject({ verdict: 'ok', distinct: 918 });
  });

  it('the two models differ only in the machines and in whether the failed TM is taken over', () => {
    const plain = plainBlocks.build({ rms: 2 });
    const replicated = abstract.build({ rms: 2 });
    expect(plain.faults).toEqual({ crash: 1, crashable: ['tm'], restart: false });
    expect(replicated.faults).toEqual({ crash: 1, crashable: ['tm'], restart: true });
    expect(plain.nodes.map((n) => [n.id, n.config, n.peers])).toEqual(replicated.nodes.map((n) => [n.id, n.config, n.peers]));
  });

  it('3 RMs over abstract replicated nodes: 2,818 states', () => {
    expect(check(abstract.build({ rms: 3 }))).toMatchObject({ verdict: 'ok', distinct: 2818 });
  });
});

describe('two-phase-over-groups/full: 2PC over Raft groups', () => {
  it('keeps TCConsistent and DecisionConsistent; a TM replica crash-stops where plain 2PC blocks, and every RM still decides', () => {
    const parameters = defaults(full);
    const result = check(full.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 101626 });
    expect(full.expected(parameters)).toEqual({ verdict: 'ok', distinct: 101626 });
    expect(result.goals).toEqual([
      { name: 'SomeRMCommits', reached: true },
      { name: 'SomeRMAborts', reached: true },
      { name: 'BlockedRMsDecide', reached: true },
    ]);
  });

  it('a TM group of one replica cannot fail over: BlockedRMsDecide is unreachable, as in plain 2PC', () => {
    const model = groupsModel({
      rms: 2,
      tmReplicas: 1,
      rmReplicas: 1,
      crashes: 1,
      maxTerm: 2,
      maxLog: 3,
      inFlight: 4,
      voteTimeout: true,
      rmsMayAbort: true,
      failoverOnly: true,
    });
    const result = check(model);
    expect(result.violation).toMatchObject({ property: 'BlockedRMsDecide', kind: 'sometimes' });
    expect(result.distinct).toBe(1120);
  });
});

describe('broken: TM replicas that act on uncommitted entries', () => {
  it('announce a commit their group then aborts: DecisionConsistent fails', () => {
    const result = check(appliesUncommitted.build({}));
    expect(result.violation).toMatchObject({ property: 'DecisionConsistent', kind: 'always' });
    const actions = actionsOf(result.violation?.trace);
    expect(actions).toHaveLength(17);
    // tm/1 releases Commit on a vote only it stores, crash-stops; tm/2 leads and aborts on its vote timeout.
    const commitDelivered = actions.findIndex((a) => a.kind === 'deliver' && (a as { message: { message: { type: string } } }).message.message.type === 'Commit');
    const crash = actions.findIndex((a) => a.kind === 'crash');
    expect(commitDelivered).toBeGreaterThan(0);
    expect(actions[crash]).toEqual({ kind: 'crash', node: 'tm/1' });
    expect(actions.at(-1)).toMatchObject({ kind: 'timer', node: 'tm/2' });
    const final = result.violation!.trace!.final.nodes;
    const actorValue = (id: string) => (final.find((n) => n.id === id)?.context as ReplicaContext).actor.value;
    expect(actorValue('rm1/1')).toBe('committed');
    expect(actorValue('tm/2')).toEqual({ aborted: 'announced' });
  });

  it('the same configuration is safe for replicas that apply only committed entries', () => {
    const broken = appliesUncommitted.build({});
    const correct = groupsModel(FAILOVER_AFTER_UNCOMMITTED_VOTE);
    expect(correct.nodes.map((n) => [n.id, n.config])).toEqual(broken.nodes.map((n) => [n.id, n.config]));
    const result = check({ ...correct, properties: correct.properties.filter((p) => p.name !== 'SomeRMAborts') });
    expect(result.verdict).toBe('ok');
  });
});

describe('two-phase-over-groups/lock-table: the multi-transaction participant', () => {
  it('2 conflicting transactions × 2 keys, 1 crash: TCConsistent per transaction, NoConflictingLocks, SameCommitOrder; every goal reached', () => {
    const parameters = defaults(lockTable);
    const result = check(lockTable.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 151584 });
    expect(lockTable.expected(parameters)).toEqual({ verdict: 'ok', distinct: 151584 });
    expect(result.goals).toEqual([
      { name: 'EveryTransactionCommits', reached: true },
      { name: 'ConflictRefused', reached: true },
      { name: 'OneCommitsOneAborts', reached: true },
    ]);
  });

  it('without crashes: 18,577 states', () => {
    expect(check(lockTable.build({ ...defaults(lockTable), crashes: 0 }))).toMatchObject({ verdict: 'ok', distinct: LOCK_TABLE_NO_CRASH });
  });

  it('every node an abstract replicated actor, one failover: the same properties over 492,924 states', () => {
    const parameters = { ...defaults(lockTable), replicated: 1 };
    const result = check(lockTable.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 492924 });
    expect(lockTable.expected(parameters)).toEqual({ verdict: 'ok', distinct: 492924 });
    expectAllGoalsReached(result);
  });

  it('a participant that ignores its locks lets two prepared transactions hold one key', () => {
    const result = check(ignoresLocks.build({}));
    expect(result.violation).toMatchObject({ property: 'NoConflictingLocks' });
    expect(actionsOf(result.violation?.trace)).toEqual([
      { kind: 'deliver', node: 'p1', message: { from: 'c1', to: 'p1', message: { type: 'Prepare', txn: 't1', writes: { k1: 't1' } } } },
      { kind: 'deliver', node: 'p1', message: { from: 'c2', to: 'p1', message: { type: 'Prepare', txn: 't2', writes: { k1: 't2' } } } },
    ]);
  });

  it('…and then conflicting transactions commit in different orders at the two participants: SameCommitOrder fails', () => {
    const model = ignoresLocks.build({});
    const result = check({ ...model, properties: model.properties.filter((p) => p.name !== 'NoConflictingLocks') });
    expect(result.violation).toMatchObject({ property: 'SameCommitOrder' });
    const final = result.violation!.trace!.final;
    expect(sameCommitOrder(final.history as Record<string, string[]>)).toBe(false);
  });
});

describe('two-phase-over-groups/cross-shard-txn: compares and ops over the participant, write-skew shape', () => {
  const goals = [
    { name: 'BothCommit', reached: true },
    { name: 'CompareRefused', reached: true },
    { name: 'ConflictRefused', reached: true },
  ];

  it('t1 (compare k2 absent, put k1) and t2 (get k1, put k2), 1 crash: TCConsistent per transaction, NoConflictingLocks with modes, SerializableEffects over 151,963 states', () => {
    const parameters = defaults(crossShard);
    const result = check(crossShard.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 151963 });
    expect(crossShard.expected(parameters)).toEqual({ verdict: 'ok', distinct: 151963 });
    expect(result.goals).toEqual(goals);
  });

  it('without crashes: 18,610 states; every node an abstract replicated actor, one failover: 533,083 states', () => {
    const still = { ...defaults(crossShard), crashes: 0 };
    expect(check(crossShard.build(still))).toMatchObject({ verdict: 'ok', distinct: 18610, goals });
    expect(crossShard.expected(still)).toEqual({ verdict: 'ok', distinct: 18610 });
    const replicatedActors = { ...defaults(crossShard), replicated: 1 };
    expect(check(crossShard.build(replicatedActors))).toMatchObject({ verdict: 'ok', distinct: 533083, goals });
    expect(crossShard.expected(replicatedActors)).toEqual({ verdict: 'ok', distinct: 533083 });
  });

  const prepare = (from: string, to: string, txn: string, compare: unknown[], ops: unknown[]) => ({
    kind: 'deliver',
    node: to,
    message: { from, to, message: { type: 'Prepare', txn, writes: {}, compare, ops } },
  });
  const t1AtP2 = prepare('c1', 'p2', 't1', [{ key: 'k2', target: 'exists', exists: false }], []);

  it('a participant that ignores read locks lets t2 write k2 while t1 reads it: NoConflictingLocks fails in 2 steps', () => {
    const result = check(ignoresReadLocks.build({}));
    expect(result.violation).toMatchObject({ property: 'NoConflictingLocks' });
    expect(actionsOf(result.violation?.trace)).toEqual([t1AtP2, prepare('c2', 'p2', 't2', [], [{ op: 'put', key: 'k2', value: 't2' }])]);
  });

  it('…and then both commit, each having missed the other\'s write (write skew): SerializableEffects fails', () => {
    const model = ignoresReadLocks.build({});
    const result = check({ ...model, properties: model.properties.filter((p) => p.name !== 'NoConflictingLocks') });
    expect(result.violation).toMatchObject({ property: 'SerializableEffects' });
    const steps = actionsOf(result.violation?.trace);
    // t1's compare finds k2 absent and t2's get finds k1 absent, then both commit at p1.
    expect(steps.slice(0, 4)).toEqual([
      t1AtP2,
      prepare('c2', 'p1', 't2', [], [{ op: 'get', key: 'k1' }]),
      prepare('c1', 'p1', 't1', [], [{ op: 'put', key: 'k1', value: 't1' }]),
      prepare('c2', 'p2', 't2', [], [{ op: 'put', key: 'k2', value: 't2' }]),
    ]);
    expect(steps).toContainEqual({ kind: 'deliver', node: 'c2', message: { from: 'p1', to: 'c2', message: { type: 'Prepared', txn: 't2', reads: [{ key: 'k1', found: false }] } } });
    expect(steps.slice(-2)).toEqual([
      { kind: 'deliver', node: 'p1', message: { from: 'c1', to: 'p1', message: { type: 'Commit', txn: 't1' } } },
      { kind: 'deliver', node: 'p1', message: { from: 'c2', to: 'p1', message: { type: 'Commit', txn: 't2' } } },
    ]);
  });
});

describe('liveness: every prepared RM eventually decides (fair deliveries and timers, one TM failure)', () => {
  it('over abstract replicated nodes whose group fails over, it holds on every fair behaviour', () => {
    const result = check(failoverDecides.build({ rms: 2 }));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 773 });
    expect(failoverDecides.expected({ rms: 2 })).toEqual({ verdict: 'ok', distinct: 773 });
    expectAllGoalsReached(result);
    expect(check(failoverDecides.build({ rms: 3 }))).toMatchObject({ verdict: 'ok', distinct: 12571 });
  });

  it('plain 2PC with a crash-stop TM fails it: the lasso votes, crashes the TM and stays there forever', () => {
    const result = check(plainNeverDecides.build({ rms: 2 }));
    expect(result).toMatchObject({ verdict: 'violation', distinct: 216 });
    expect(result.violation).toMatchObject({ property: 'PreparedRMsEventuallyDecide', kind: 'leadsTo' });
    expect(result.violation!.message).toBe(
      'PreparedRMsEventuallyDecide fails: P holds after step 1, and Q never after, on a fair behaviour that stops after step 3, where no fair action is enabled, and stays there forever',
    );
    const trace = result.violation!.trace!;
    expect(actionsOf(trace)).toEqual([
      { kind: 'deliver', node: 'rm1', message: { from: 'tm', to: 'rm1', message: { type: 'Prepare' } } },
      { kind: 'deliver', node: 'rm2', message: { from: 'tm', to: 'rm2', message: { type: 'Prepare' } } },
      { kind: 'crash', node: 'tm' },
    ]);
    // The stem is the whole trace; the cycle is the stutter in its last state.
    expect(trace.loopsTo).toBe(3);
    expect(plainNeverDecides.expected({ rms: 2 })).toEqual({ verdict: 'violation', property: 'PreparedRMsEventuallyDecide' });
  });

  it('the same plain 2PC without the TM failure decides, and the replicated one without fairness does not', () => {
    const plain = plainNeverDecides.build({ rms: 2 });
    expect(check({ ...plain, faults: { crash: 0, crashable: ['tm'], restart: false } })).toMatchObject({ verdict: 'ok' });
    const { fairness: _fairness, ...unfair } = failoverDecides.build({ rms: 2 });
    expect(check(unfair).violation).toMatchObject({ property: 'PreparedRMsEventuallyDecide', kind: 'leadsTo' });
  });

  it('a failover is one step: the TM is never seen down, and it re-sends its outbox', () => {
    const model = failoverDecides.build({ rms: 1 });
    const result = check({ ...model, properties: [...model.properties, sometimes('TMDown', (s) => s.node('tm').crashed)] });
    expect(result.violation).toMatchObject({ property: 'TMDown', kind: 'sometimes' });
    expect(result.distinct).toBe(49);
    const failover = check({ ...model, properties: [always('NoFailover', (s) => s.budgets.crash === 1)] }).violation!.trace!;
    expect(failover.steps.map((step) => step.action)).toEqual([{ kind: 'crash', node: 'tm' }]);
    // The abstract replica comes back exactly as it was: no node changed, only the budget.
    expect(failover.steps[0]!.changed).toEqual([]);
    expect(traceToText(failover)).toContain('1. tm: crashes and fails over (restarts from its durable state at once)');
    expect(failover.steps[0]!.sent.map((m) => m.message.type)).toEqual(['Prepare']);
  });
});
