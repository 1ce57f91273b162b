import { describe, expect, it } from 'vitest';
import { check, ModelError } from '../../src/checker/index.ts';
import { tmCommitsBeforeAllVote } from '../../src/protocols/two-phase-commit/index.ts';
import { commitProperties } from '../../models/_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from '../../models/two-phase/_build.ts';
import rmForgetsVote from '../../models/two-phase/broken/rm-forgets-vote.ts';
import forgetsPromise from '../../models/paxos/broken/acceptor-forgets-promise.ts';
import { exploreTwoPhase } from '../reference/two-phase-tla.ts';

const symmetricTla = (rms: number, tmMachine = twoPhaseModel({ ...TWO_PHASE_TLA, rms, properties: () => [] }).nodes[0]!.machine) =>
  twoPhaseModel({ ...TWO_PHASE_TLA, rms, tmMachine, symmetricRMs: true, properties: (ids) => commitProperties(ids) });

describe('symmetry reduction', () => {
  it.each([1, 2, 3, 4, 5])('TwoPhase.tla with %i symmetric RMs: one state per orbit, as the independent reference counts them', (rms) => {
    const result = check(symmetricTla(rms));
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(exploreTwoPhase(rms, true).distinct);
    expect(result.depth).toBe(exploreTwoPhase(rms, true).depth);
  });

  it('keeps the refinement: every step of a representative still maps to a TCommit step', () => {
    const result = check(symmetricTla(3));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 80 });
    expect(result.goals.every((goal) => goal.reached)).toBe(true);
  });

  it('a counterexample found among representatives replays as an actual behaviour', () => {
    const broken = check(symmetricTla(3, tmCommitsBeforeAllVote));
    expect(broken.violation).toMatchObject({ property: 'TCommit', kind: 'refines' });
    expect(broken.violation!.trace!.steps).toHaveLength(4);
    const forgets = check({ ...rmForgetsVote.build({ rms: 2 }), symmetry: [['rm1', 'rm2']] });
    expect(forgets.violation?.property).toBe('TCConsistent');
    expect(forgets.violation!.trace!.steps.map((step) => step.action.kind).slice(-3)).toEqual(['crash', 'restart', 'spontaneous']);
    const paxos = check({ ...forgetsPromise.build({}), symmetry: [['a1', 'a2', 'a3']] });
    expect(paxos.violation?.property).toBe('Agreement');
    // The trace's final learner record shows both values chosen, whatever names the acceptors got.
    const learner = paxos.violation!.trace!.final.nodes.find((node) => node.id === 'l1')!;
    expect(Object.keys((learner.context as { votes: object }).votes).sort()).toEqual(['0:v1', '1:v2']);
  });

  it.each<[string, (string[])[], RegExp]>([
    ['an unknown node', [['rm1', 'rm9']], /symmetry set member "rm9"/],
    ['a node in two sets', [['rm1', 'rm2'], ['rm2', 'rm3']], /"rm2" is in more than one symmetry set/],
    ['nodes running different machines', [['tm', 'rm1']], /must run the same machine/],
  ])('refuses %s', (_name, symmetry, message) => {
    const model = { ...twoPhaseModel({ ...TWO_PHASE_TLA, rms: 3, properties: () => [] }), symmetry };
    expect(() => check(model)).toThrow(ModelError);
    expect(() => check(model)).toThrow(message);
  });
});
