import { describe, expect, it } from 'vitest';
import { check, type CheckResult, type Trace } from '../../src/checker/index.ts';
import { tmCommitsBeforeAllVote } from '../../src/protocols/two-phase-commit/index.ts';
import { commitProperties } from '../../models/_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from '../../models/two-phase/_build.ts';
import tmCommitsEarly from '../../models/two-phase/broken/tm-commits-early.ts';
import rmForgetsVote from '../../models/two-phase/broken/rm-forgets-vote.ts';
import faulty from '../../models/two-phase/faulty.ts';
import tla from '../../models/two-phase/tla.ts';
import tlaSymmetric from '../../models/two-phase/tla-symmetric.ts';
import tcommit from '../../models/tcommit/tla.ts';

const defaults = (file: typeof tla) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

function expectAllGoalsReached(result: CheckResult) {
  expect(result.goals.length).toBeGreaterThan(0);
  for (const goal of result.goals) expect(goal, goal.name).toMatchObject({ reached: true });
}

describe('TCommit.tla', () => {
  it('has the 34 distinct states TLC finds for 3 RMs', () => {
    const result = check(tcommit.build({ rms: 3 }));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 34, depth: 7 });
  });
});

describe('two-phase/tla: the semantics of TwoPhase.tla', () => {
  it.each([
    [3, 288],
    [4, 1568],
    [5, 8832],
  ])('%i RMs: %i distinct states, TCConsistent holds and 2PC refines TCommit', (rms, distinct) => {
    const result = check(tla.build({ rms }));
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(distinct);
    expect(result.depth).toBe(3 * rms + 2);
    expect(tla.expected({ rms })).toEqual({ verdict: 'ok', distinct });
    expectAllGoalsReached(result);
  });
});

describe('two-phase/tla-symmetric: one state per class of RM renamings', () => {
  it.each([
    [3, 80],
    [6, 553],
    [9, 2_232],
  ])('%i RMs: %i classes — 9 RMs in about a second, where trying all 9! permutations would not end', (rms, distinct) => {
    const result = check(tlaSymmetric.build({ rms }));
    expect([result.verdict, result.distinct]).toEqual(['ok', distinct]);
    expect(tlaSymmetric.expected({ rms })).toEqual({ verdict: 'ok', distinct });
    expectAllGoalsReached(result);
  });
});

describe('two-phase/faulty: loss, duplication, crashes and retransmission', () => {
  it('keeps TCConsistent and refines TCommit; both commit and abort are reachable', () => {
    const parameters = defaults(faulty);
    const result = check(faulty.build(parameters));
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(24451);
    expect(faulty.expected(parameters)).toEqual({ verdict: 'ok', distinct: 24451, distinctWithoutSymmetry: 48537 });
    expectAllGoalsReached(result);
    // The RMs are a symmetry set; without it, every permutation of a state is a state of its own.
    expect(check({ ...faulty.build(parameters), symmetry: [] })).toMatchObject({ verdict: 'ok', distinct: 48537 });
  });

  it('shows the blocking of 2PC: the TM can crash while every RM sits prepared', () => {
    const model = faulty.build(defaults(faulty));
    const blocked = check({
      ...model,
      properties: [
        ...model.properties,
        // Reachable, and from such a state no RM may decide until the TM is back.
        { kind: 'sometimes', name: 'PreparedRMsWithCrashedTM', over: 'state', holds: (s) => s.node('tm').crashed && s.nodes.filter((n) => n.id !== 'tm').every((n) => n.value === 'prepared') },
      ],
    });
    expect(blocked.verdict).toBe('ok');
    expect(blocked.goals.find((g) => g.name === 'PreparedRMsWithCrashedTM')?.reached).toBe(true);
  });
});

function stepsOf(trace: Trace | undefined) {
  expect(trace).toBeDefined();
  return trace!.steps.map((step) => step.action);
}

describe('broken variants are caught', () => {
  it('a TM that commits before every RM voted breaks TCConsistent', () => {
    const result = check(tmCommitsEarly.build(defaults(tmCommitsEarly)));
    expect(result.verdict).toBe('violation');
    expect(result.violation?.property).toBe('TCConsistent');
    const actions = stepsOf(result.violation?.trace);
    // The shortest counterexample: one vote, an early commit, one RM commits, another aborts.
    expect(actions).toHaveLength(5);
    expect(actions).toContainEqual({ kind: 'spontaneous', node: 'tm', event: { type: 'DecideCommit' } });
    const final = result.violation!.trace!.final.nodes;
    expect(final.map((n) => n.value)).toEqual(expect.arrayContaining(['committed', 'aborted']));
  });

  it('the TCommit refinement catches the early commit one step sooner, at the first commit', () => {
    const result = check(twoPhaseModel({ ...TWO_PHASE_TLA, rms: 3, tmMachine: tmCommitsBeforeAllVote, properties: (ids) => commitProperties(ids) }));
    expect(result.violation).toMatchObject({ property: 'TCommit', kind: 'refines' });
    const actions = stepsOf(result.violation?.trace);
    expect(actions).toHaveLength(4);
    expect(actions.at(-1)).toMatchObject({ kind: 'deliver', message: { message: { type: 'Commit' } } });
  });

  it('an RM that does not persist its vote aborts after a crash what the TM committed', () => {
    const result = check(rmForgetsVote.build(defaults(rmForgetsVote)));
    expect(result.violation?.property).toBe('TCConsistent');
    const actions = stepsOf(result.violation?.trace);
    const crash = actions.findIndex((a) => a.kind === 'crash');
    expect(crash).toBeGreaterThan(0);
    const victim = actions[crash]!.node;
    expect(actions.slice(crash + 1)).toEqual([
      { kind: 'restart', node: victim },
      { kind: 'spontaneous', node: victim, event: { type: 'ChooseToAbort' } },
    ]);
    // The victim had voted: its Prepared reached the TM, which committed.
    expect(actions).toContainEqual({ kind: 'deliver', node: 'tm', message: { from: victim, to: 'tm', message: { type: 'Prepared' } } });
  });

  it('the same crash schedule is harmless for the correct RM', () => {
    const parameters = defaults(rmForgetsVote);
    const broken = rmForgetsVote.build(parameters);
    const correct = { ...broken, nodes: twoPhaseModel({ rms: parameters.rms!, network: 'multiset', properties: () => [] }).nodes, properties: commitProperties(broken.nodes.slice(1).map((n) => n.id)) };
    const result = check(correct);
    expect(result.verdict).toBe('ok');
    expectAllGoalsReached(result);
  });
});
