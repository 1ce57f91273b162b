import { describe, expect, it } from 'vitest';
import { always, check, sometimes, type Model, type Trace } from '../../src/checker/index.ts';
import { simulate, type SimulationResult } from '../../src/checker/simulate.ts';
import { canonicalJson } from '../../src/node/index.ts';
import { tmCommitsBeforeAllVote } from '../../src/protocols/two-phase-commit/index.ts';
import { commitProperties, rmStateOf } from '../../models/_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from '../../models/two-phase/_build.ts';
import rmForgetsVote from '../../models/two-phase/broken/rm-forgets-vote.ts';
import tmCommitsEarly from '../../models/two-phase/broken/tm-commits-early.ts';
import faulty from '../../models/two-phase/faulty.ts';
import tla from '../../models/two-phase/tla.ts';
import { pair, received } from './ping-pair.ts';

const defaults = (file: typeof tla) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

/** The RM states of a trace's last state. */
const finalRmStates = (trace: Trace) =>
  trace.final.nodes.filter((node) => node.id !== 'tm').map((node) => rmStateOf({ ...node, value: node.value, context: node.context }));

/**
 * A trace with its messages in flight in a canonical order: the checker lists them by interned id,
 * which depends on the order a run first met them.
 */
const canonicalTrace = (trace: Trace) => {
  const sorted = (state: Trace['final']) => ({ ...state, messages: [...state.messages].sort((x, y) => (canonicalJson(x) < canonicalJson(y) ? -1 : 1)) });
  return { ...trace, initial: sorted(trace.initial), final: sorted(trace.final) };
};

/** What must be equal between two runs with the same seed: everything but the timings. */
const outcome = ({ seconds: _s, stepsPerSecond: _r, ...rest }: SimulationResult) => rest;

describe('simulate: broken variants are found and shrunk to short schedules', () => {
  it('tm-commits-early: TCConsistent, in as few steps as the checker needs', () => {
    const model = tmCommitsEarly.build({ rms: 3 });
    const result = simulate(model, { seed: 42, walks: 200, depth: 100 });
    expect(result.verdict).toBe('violation');
    const { violation } = result;
    expect(violation).toMatchObject({ property: 'TCConsistent', kind: 'always', message: 'TCConsistent does not hold' });
    const shortest = check(model).violation!.trace!.steps.length;
    expect(shortest).toBe(5);
    expect(violation!.trace.steps.length).toBeGreaterThanOrEqual(shortest);
    expect(violation!.trace.steps.length).toBeLessThanOrEqual(6);
    // It ends in the violating state: one RM committed, another aborted.
    expect(finalRmStates(violation!.trace)).toEqual(expect.arrayContaining(['committed', 'aborted']));
    expect(violation!.trace.property).toBe('TCConsistent');
    expect(violation!.choices).toHaveLength(violation!.trace.steps.length);
    expect(violation!.path).toMatch(/^\d+(:\d+)*$/);
    expect(violation!.foundByWalk).toBeLessThanOrEqual(result.walks);
  });

  it('rm-forgets-vote: the crash, restart and abort of an RM that did not persist its vote', () => {
    const result = simulate(rmForgetsVote.build(defaults(rmForgetsVote)), { seed: 42, walks: 1000, depth: 60 });
    expect(result.violation?.property).toBe('TCConsistent');
    const { trace } = result.violation!;
    expect(trace.steps.length).toBeGreaterThanOrEqual(8);
    expect(trace.steps.length).toBeLessThanOrEqual(10);
    const kinds = trace.steps.map((step) => step.action.kind);
    expect(kinds).toContain('crash');
    expect(kinds).toContain('restart');
    expect(trace.steps.at(-1)!.action).toMatchObject({ kind: 'spontaneous', event: { type: 'ChooseToAbort' } });
    expect(finalRmStates(trace)).toEqual(expect.arrayContaining(['committed', 'aborted']));
  });

  it('checks refinement on every step: the early TM fails TCommit at its first early Commit delivered', () => {
    const model = twoPhaseModel({ ...TWO_PHASE_TLA, rms: 3, tmMachine: tmCommitsBeforeAllVote, properties: (ids) => commitProperties(ids) });
    const result = simulate(model, { seed: 7, walks: 200, depth: 100 });
    expect(result.violation).toMatchObject({ property: 'TCommit', kind: 'refines', message: 'this step is not a step of TCommit' });
    const { steps } = result.violation!.trace;
    expect(steps.length).toBe(check(model).violation!.trace!.steps.length);
    expect(steps.at(-1)!.action).toMatchObject({ kind: 'deliver', message: { message: { type: 'Commit' } } });
  });
});

describe('simulate: correct models pass', () => {
  it('two-phase/tla with 6 RMs (50,816 states): 300 walks, every invariant and refinement step checked', () => {
    const result = simulate(tla.build({ rms: 6 }), { seed: 1, walks: 300, depth: 100 });
    expect(result).toMatchObject({ verdict: 'ok', walks: 300 });
    expect(result.violation).toBeUndefined();
    expect(result.steps).toBeGreaterThan(300);
    // TwoPhase.tla with 6 RMs has no behaviour longer than 19 steps.
    expect(result.longest).toBeLessThanOrEqual(19);
    expect(result.distinct).toBeLessThanOrEqual(50816);
    expect(result.goals.map((goal) => goal.name)).toEqual(['SomeRMCommits', 'SomeRMAborts']);
    expect(result.goals[1]!.reached).toBe(true);
  });

  it('two-phase/faulty: loss, duplication and crashes, 300 walks', () => {
    const result = simulate(faulty.build(defaults(faulty)), { seed: 3, walks: 300, depth: 50 });
    expect(result.verdict).toBe('ok');
    expect(result.longest).toBeLessThanOrEqual(50);
    expect(result.goals.every((goal) => goal.reached)).toBe(true);
  });

  it('a goal no walk reaches is reported, not failed', () => {
    const model = tla.build({ rms: 2 });
    const never = sometimes('Never', () => false);
    const result = simulate({ ...model, properties: [...model.properties, never] }, { seed: 1, walks: 20, depth: 20 });
    expect(result.verdict).toBe('ok');
    expect(result.goals.find((goal) => goal.name === 'Never')).toEqual({ name: 'Never', reached: false });
  });
});

describe('simulate: determinism and replay', () => {
  it('the same seed gives the same result; the walks depend on the seed', () => {
    const model = () => rmForgetsVote.build(defaults(rmForgetsVote));
    const a = simulate(model(), { seed: 5, walks: 500, depth: 40 });
    const b = simulate(model(), { seed: 5, walks: 500, depth: 40 });
    expect(a.verdict).toBe('violation');
    expect(outcome(b)).toEqual(outcome(a));
    const ok = () => simulate(tla.build({ rms: 4 }), { seed: 11, walks: 100, depth: 30 });
    expect(outcome(ok())).toEqual(outcome(ok()));
    const other = simulate(tla.build({ rms: 4 }), { seed: 12, walks: 100, depth: 30 });
    expect(other.steps).not.toBe(ok().steps);
  });

  it('the seed and path replay exactly the violation, in a fresh system that met states in another order', () => {
    const model = () => rmForgetsVote.build(defaults(rmForgetsVote));
    const found = simulate(model(), { seed: 9, walks: 1000, depth: 60 });
    expect(found.walks).toBeGreaterThan(1);
    const replayed = simulate(model(), { seed: 9, walks: 1000, depth: 60, path: found.violation!.path });
    expect(replayed.walks).toBeLessThan(found.walks);
    const { trace, ...rest } = found.violation!;
    expect(replayed.violation).toMatchObject(rest);
    expect(canonicalTrace(replayed.violation!.trace)).toEqual(canonicalTrace(trace));
  });
});


describe('simulate: state properties, boundaries and limits', () => {
  it('an invariant over the full state: a multiset network reorders, found in one step', () => {
    const inOrder = always('InOrder', (s) => received(s).every((n, i) => n === i + 1));
    const model: Model = { nodes: pair(3), network: 'multiset', properties: [inOrder] };
    const result = simulate(model, { seed: 1, walks: 100, depth: 10 });
    expect(result.violation).toMatchObject({ property: 'InOrder', kind: 'always' });
    expect(result.violation!.trace.steps).toHaveLength(1);
    expect(result.violation!.trace.steps[0]!.action).toMatchObject({ kind: 'deliver', message: { message: { type: 'Ping' } } });
    expect(result.violation!.trace.steps[0]!.action).not.toMatchObject({ message: { message: { n: 1 } } });
    const fifo = simulate({ ...model, network: 'fifo' }, { seed: 1, walks: 100, depth: 10 });
    expect(fifo.verdict).toBe('ok');
    expect(fifo.longest).toBe(3);
  });

  it('a state outside the boundary is checked but not expanded, as by the checker', () => {
    const model: Model = {
      nodes: pair(1),
      network: 'set',
      boundary: (s) => received(s).length < 3,
      properties: [always('AtMostThree', (s) => received(s).length <= 3), sometimes('Three', (s) => received(s).length === 3)],
    };
    expect(check(model).verdict).toBe('ok');
    const result = simulate(model, { seed: 1, walks: 50, depth: 10 });
    expect(result).toMatchObject({ verdict: 'ok', longest: 3, distinct: 4, goals: [{ name: 'Three', reached: true }] });
    // Without the boundary the set network redelivers for ever.
    const unbounded = simulate({ ...model, boundary: undefined }, { seed: 1, walks: 50, depth: 10 });
    expect(unbounded.violation).toMatchObject({ property: 'AtMostThree' });
    expect(unbounded.violation!.trace.steps).toHaveLength(4);
  });

  it('no walk is longer than the depth', () => {
    const result = simulate({ nodes: pair(1), network: 'set', properties: [] }, { seed: 1, walks: 30, depth: 7 });
    expect(result.longest).toBe(7);
  });

  it('refuses options that make no sense', () => {
    const model: Model = { nodes: pair(1), network: 'set', properties: [] };
    expect(() => simulate(model, { seed: 1, walks: 0, depth: 10 })).toThrow(/walks must be a whole number >= 1/);
    expect(() => simulate(model, { seed: 1, walks: 10, depth: -1 })).toThrow(/depth/);
    expect(() => simulate(model, { seed: 1.5, walks: 10, depth: 10 })).toThrow(/seed/);
    expect(() => simulate(model, { seed: 1, walks: 10, depth: 10, path: 'x' })).toThrow(/path/);
  });
});
