import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check, sometimes, type CheckResult, type Trace, type TraceAction } from '../../src/checker/index.ts';
import { traceToText } from '../../src/inspect/trace-text.ts';
import { backupOrder, nextCoordinator, terminationRule } from '../../src/protocols/three-phase-commit/index.ts';
import { COORDINATOR, threePhaseModel } from '../../models/three-phase/_build.ts';
import { commitProperties } from '../../models/three-phase/_properties.ts';
import noTermination from '../../models/three-phase/broken/no-termination-protocol.ts';
import obeysStalePreCommit from '../../models/three-phase/broken/obeys-stale-precommit.ts';
import crashStop from '../../models/three-phase/crash-stop.ts';
import crashStopTerminates from '../../models/three-phase/crash-stop-terminates.ts';
import noTerminationNeverDecides from '../../models/three-phase/broken/no-termination-protocol-never-decides.ts';
import partition from '../../models/three-phase/partition.ts';

const defaults = (file: typeof crashStop) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

function expectAllGoalsReached(result: CheckResult) {
  expect(result.goals.length).toBeGreaterThan(0);
  for (const goal of result.goals) expect(goal, goal.name).toMatchObject({ reached: true });
}

function traceOf(result: CheckResult): Trace {
  expect(result.violation?.trace).toBeDefined();
  return result.violation!.trace!;
}

const finalValue = (trace: Trace, id: string) => trace.final.nodes.find((n) => n.id === id);
const isTimer = (action: TraceAction, node: string, delay: string) => action.kind === 'timer' && action.node === node && action.timer.includes(`.${delay}.`);
const delivers = (action: TraceAction, type: string, from: string, to: string) =>
  action.kind === 'deliver' && action.message.message.type === type && action.message.from === from && action.message.to === to;

describe('the termination rule and the backup order (BHG §7.5)', () => {
  it('TR1 abort if any aborted (or never voted), TR2 commit if any committed, TR3 abort if all uncertain, TR4 precommit if any committable', () => {
    expect(terminationRule(['committable', 'aborted'])).toBe('abort');
    expect(terminationRule(['uncertain', 'working'])).toBe('abort');
    expect(terminationRule(['committable', 'committed'])).toBe('commit');
    expect(terminationRule(['uncertain', 'uncertain'])).toBe('abort');
    expect(terminationRule(['uncertain', 'committable'])).toBe('precommit');
  });

  it('takes over in order, skipping suspected nodes, and leads alone when no one after is left', () => {
    const order = backupOrder('coordinator', ['p3', 'p1', 'p2']);
    expect(order).toEqual(['coordinator', 'p1', 'p2', 'p3']);
    expect(nextCoordinator(order, 'coordinator', ['coordinator'], 'p3')).toBe('p1');
    expect(nextCoordinator(order, 'coordinator', ['coordinator', 'p1'], 'p3')).toBe('p2');
    expect(nextCoordinator(order, 'p1', ['coordinator', 'p1', 'p2'], 'p3')).toBe('p3');
    // Given up on the last one after it (a later backup that asked it, then was suspected): itself.
    expect(nextCoordinator(order, 'p3', ['p3'], 'p2')).toBe('p2');
  });
});

describe('three-phase/crash-stop: 3PC under its own assumptions', () => {
  it.each([
    [3, 1, 55602],
    [2, 2, 6321],
  ])('%i participants, %i crashes: %i distinct states; TCConsistent, TCommit refinement and NonBlocking hold', (participants, crashes, distinct) => {
    const result = check(crashStop.build({ participants, crashes }));
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(distinct);
    expect(crashStop.expected({ participants, crashes })).toEqual({ verdict: 'ok', distinct });
    // Commit and abort both reached after the coordinator crashed undecided (and, with two
    // crashes, after the first backup crashed too).
    expectAllGoalsReached(result);
    expect(result.goals.map((g) => g.name)).toContain('CommitWithoutCoordinator');
    if (crashes >= 2) expect(result.goals.map((g) => g.name)).toContain('CommitAfterFirstBackupCrashed');
  });

  it('nodes that restart ask for the decision and never contradict it', () => {
    const model = threePhaseModel({
      participants: 2,
      network: 'multiset',
      detection: 'perfect',
      restarts: true,
      faults: { crash: 1 },
      // A restarted undecided node retries its DecisionReq: bound the messages in flight.
      boundary: (state) => state.messageCount <= 6,
      properties: (ids) => [
        ...commitProperties(ids),
        sometimes('ParticipantRecovers', (s) => ids.some((id) => s.node(id).value === 'recovering')),
        sometimes('CoordinatorRecovers', (s) => s.node(COORDINATOR).value === 'recovering'),
      ],
    });
    const result = check(model);
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(36440);
    expectAllGoalsReached(result);
  });
});

describe('three-phase/partition: timeouts in an asynchronous network split the decision', () => {
  const result = check(partition.build(defaults(partition)));
  const trace = traceOf(result);
  const actions = trace.steps.map((s) => s.action);

  it('breaks TCConsistent without any crash or loss: one participant commits, the other aborts', () => {
    expect(result.violation).toMatchObject({ property: 'TCConsistent', kind: 'always' });
    expect(partition.expected(defaults(partition))).toEqual({ verdict: 'violation', property: 'TCConsistent' });
    expect(actions).toHaveLength(9);
    expect(actions.some((a) => a.kind === 'crash' || a.kind === 'drop')).toBe(false);
    expect(finalValue(trace, 'p1')?.value).toBe('committed');
    expect(finalValue(trace, 'p2')?.value).toBe('aborted');
    // The coordinator is alive and undecided throughout: the participants decided without it.
    expect(finalValue(trace, COORDINATOR)).toMatchObject({ crashed: false, value: 'precommitting' });
  });

  it('the PreCommit reaches p1 only; each side times out on a live peer and terminates alone', () => {
    const preCommitToP1 = actions.findIndex((a) => delivers(a, 'PreCommit', COORDINATOR, 'p1'));
    expect(preCommitToP1).toBeGreaterThan(0);
    expect(actions.some((a) => delivers(a, 'PreCommit', COORDINATOR, 'p2'))).toBe(false);
    expect(trace.final.messages).toContainEqual({ from: COORDINATOR, to: 'p2', message: { type: 'PreCommit' } });
    // p1, committable, gives up on the coordinator and becomes the backup; its report timeout
    // fires while p2's report is still in flight, so it applies TR4 alone and commits.
    const p1GivesUp = actions.findIndex((a) => isTimer(a, 'p1', 'coordinatorTimeout'));
    const p1Decides = actions.findIndex((a) => isTimer(a, 'p1', 'reportTimeout'));
    expect(p1GivesUp).toBeGreaterThan(preCommitToP1);
    expect(p1Decides).toBeGreaterThan(p1GivesUp);
    expect(trace.final.messages).toContainEqual({ from: 'p2', to: 'p1', message: { type: 'StateReport', state: 'uncertain' } });
    // p2, uncertain, gives up on p1 (its backup) and, alone, applies TR3: abort.
    expect(actions.at(-1)).toSatisfy((a: TraceAction) => isTimer(a, 'p2', 'coordinatorTimeout'));
  });

  it('is the trace in docs/traces/three-phase-partition.txt', () => {
    const saved = readFileSync(fileURLToPath(new URL('../../docs/traces/three-phase-partition.txt', import.meta.url)), 'utf8');
    expect(`${traceToText(trace)}\n`).toBe(saved);
  });

  it('the same network with a perfect failure detector instead of timeouts is safe', () => {
    const safe = check(threePhaseModel({ participants: 2, network: 'multiset', detection: 'perfect', properties: (ids) => commitProperties(ids) }));
    expect(safe.verdict).toBe('ok');
    expect(safe.distinct).toBe(80);
    expectAllGoalsReached(safe);
  });
});

describe('broken variants are caught', () => {
  it('without the termination protocol, participants block when the coordinator crashes: NonBlocking fails', () => {
    const result = check(noTermination.build(defaults(noTermination)));
    expect(result.violation).toMatchObject({ property: 'NonBlocking', kind: 'quiescent' });
    const trace = traceOf(result);
    expect(trace.steps.map((s) => s.action)).toContainEqual({ kind: 'crash', node: COORDINATOR });
    for (const id of ['p1', 'p2']) expect(finalValue(trace, id)?.value).toEqual({ uncertain: 'following' });
  });

  it('obeying a PreCommit from a replaced coordinator commits what a backup aborted: TCConsistent fails', () => {
    const result = check(obeysStalePreCommit.build(defaults(obeysStalePreCommit)));
    expect(result.violation).toMatchObject({ property: 'TCConsistent', kind: 'always' });
    const actions = traceOf(result).steps.map((s) => s.action);
    expect(actions).toHaveLength(11);
    const coordinatorCrash = actions.findIndex((a) => a.kind === 'crash' && a.node === COORDINATOR);
    const stateRequest = actions.findIndex((a) => delivers(a, 'StateReq', 'p1', 'p2'));
    const stalePreCommit = actions.findIndex((a) => delivers(a, 'PreCommit', COORDINATOR, 'p2'));
    const backupCrash = actions.findIndex((a) => a.kind === 'crash' && a.node === 'p1');
    // The coordinator crashes with PreCommits in flight; p2 reports uncertain to the backup p1,
    // then obeys the old coordinator's PreCommit; p1 aborts and crashes; p2, the next backup, commits.
    expect(coordinatorCrash).toBeGreaterThan(0);
    expect(stalePreCommit).toBeGreaterThan(stateRequest);
    expect(stateRequest).toBeGreaterThan(coordinatorCrash);
    expect(backupCrash).toBeGreaterThan(stalePreCommit);
    const final = traceOf(result).final.nodes;
    expect(final.find((n) => n.id === 'p1')).toMatchObject({ crashed: true, durable: { state: 'aborted' } });
    expect(final.find((n) => n.id === 'p2')?.value).toBe('committed');
  });

  it('the same crashes are harmless for the correct participant', () => {
    const correct = check(crashStop.build({ participants: 2, crashes: 2 }));
    expect(correct.verdict).toBe('ok');
  });
});

describe('liveness: every live participant eventually decides (fair deliveries, crash-stop)', () => {
  it.each([
    [2, 1, 1478],
    [2, 2, 6321],
    [3, 1, 55602],
  ])('%i participants, %i crashes: %i distinct states (those of crash-stop), LiveParticipantsDecide holds on every fair behaviour', (participants, crashes, distinct) => {
    const result = check(crashStopTerminates.build({ participants, crashes }));
    expect(result).toMatchObject({ verdict: 'ok', distinct });
    expect(crashStopTerminates.expected({ participants, crashes })).toEqual({ verdict: 'ok', distinct });
    expect(check(crashStop.build({ participants, crashes }))).toMatchObject({ distinct });
    expect(result.liveness!.edges).toBeGreaterThan(distinct);
  });

  it('without the termination protocol the participants never decide: a lasso that stutters once the coordinator is gone', () => {
    const result = check(noTerminationNeverDecides.build({ participants: 2 }));
    expect(result).toMatchObject({ verdict: 'violation', distinct: 1184 });
    expect(result.violation).toMatchObject({ property: 'LiveParticipantsDecide', kind: 'eventually' });
    const trace = result.violation!.trace!;
    expect(trace.loopsTo).toBe(trace.steps.length);
    const actions = trace.steps.map((step) => step.action);
    expect(actions).toContainEqual({ kind: 'crash', node: COORDINATOR });
    // Both voted Yes and heard of the crash; neither decides.
    expect(trace.final.nodes.filter((n) => n.id !== COORDINATOR).map((n) => n.value)).toEqual([{ uncertain: 'following' }, { uncertain: 'following' }]);
    expect(noTerminationNeverDecides.expected({ participants: 2 })).toEqual({ verdict: 'violation', property: 'LiveParticipantsDecide' });
  });

  it('the fairness is what makes it hold: without it the first state may stutter forever', () => {
    const model = crashStopTerminates.build({ participants: 2, crashes: 1 });
    const { fairness: _fairness, ...unfair } = model;
    expect(check(unfair).violation).toMatchObject({ property: 'LiveParticipantsDecide', trace: { steps: [], loopsTo: 0 } });
  });
});
