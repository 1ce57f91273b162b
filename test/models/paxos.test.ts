import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { simulate } from '../../src/checker/simulate.ts';
import { forcedValue, safeValues } from '../../src/protocols/paxos/index.ts';
import { Agreement, chosenValues, Validity } from '../../spec/consensus.ts';
import forgetsPromise from '../../models/paxos/broken/acceptor-forgets-promise.ts';
import faulty from '../../models/paxos/faulty.ts';
import tla from '../../models/paxos/tla.ts';

describe('the voting rule (Paxos.tla Phase2a)', () => {
  const none = { votedBallot: -1, votedValue: null };
  it('allows any candidate when no quorum member has voted', () => {
    expect(safeValues({ a1: none, a2: none }, 3, ['v1', 'v2'])).toEqual(['v1', 'v2']);
  });
  it('forces the value voted in the highest ballot within a quorum', () => {
    const promises = { a1: { votedBallot: 0, votedValue: 'v1' }, a2: { votedBallot: 2, votedValue: 'v2' }, a3: none };
    // {a1,a3} forces v1, {a2,a3} and {a1,a2} and all three force v2: some quorum allows each.
    expect(safeValues(promises, 3, ['v1', 'v2', 'v3'])).toEqual(['v1', 'v2']);
    expect(forcedValue(promises, 'v3')).toBe('v2');
  });
  it('allows nothing without a quorum of promises', () => {
    expect(safeValues({ a1: none }, 3, ['v1'])).toEqual([]);
  });
});

describe('consensus spec', () => {
  it('chosen needs a majority in one ballot', () => {
    const votes = [
      { acceptor: 'a1', ballot: 0, value: 'v1' },
      { acceptor: 'a2', ballot: 1, value: 'v1' },
      { acceptor: 'a3', ballot: 1, value: 'v2' },
    ];
    expect(chosenValues(votes, 3)).toEqual([]);
    expect(chosenValues([...votes, { acceptor: 'a1', ballot: 1, value: 'v1' }], 3)).toEqual(['v1']);
    expect(Agreement(['v1', 'v2'])).toBe(false);
    expect(Validity(['v3'], ['v1', 'v2'])).toBe(false);
  });
});

describe('paxos/tla: the semantics of Paxos.tla', () => {
  it("MCPaxos.cfg's constants (1 acceptor, 1 value, ballots 0..1): 36 distinct states", () => {
    const result = check(tla.build({ acceptors: 1, values: 1, ballots: 2 }));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 36, depth: 11 });
    expect(result.goals).toEqual([{ name: 'ValueChosen', reached: true }]);
  });

  it('3 acceptors, 2 values, ballots 0..1: Agreement and Validity hold over 15,120 states', () => {
    const result = check(tla.build({ acceptors: 3, values: 2, ballots: 2 }));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 15120 });
  });
});

describe('paxos/faulty: competing proposers, crashes, loss', () => {
  it('an acceptor crash: Agreement holds, a value is chosen', () => {
    const parameters = { loss: 0, duplication: 0, crashes: 1, retries: 0 };
    const result = check(faulty.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 134404 });
    expect(faulty.expected(parameters)).toEqual({ verdict: 'ok', distinct: 134404, distinctWithoutSymmetry: 789655 });
    expect(result.goals.every((goal) => goal.reached)).toBe(true);
  });

  it('a lost message: Agreement holds', () => {
    const result = check({ ...faulty.build({ loss: 1, duplication: 0, crashes: 0, retries: 0 }), symmetry: [] });
    expect(result).toMatchObject({ verdict: 'ok', distinct: 716583 });
  });
});

describe('broken: an acceptor that forgets its promise', () => {
  it('lets two values be chosen after a crash', () => {
    const result = check(forgetsPromise.build({}));
    expect(result.violation?.property).toBe('Agreement');
    const steps = result.violation!.trace!.steps;
    const crash = steps.findIndex((step) => step.action.kind === 'crash');
    const victim = steps[crash]!.action.node;
    // Before the crash it promised ballot 1 ...
    expect(steps.slice(0, crash).some((s) => s.action.kind === 'deliver' && s.action.node === victim && s.action.message.message.type === 'Prepare' && s.action.message.message.ballot === 1)).toBe(true);
    // ... after it, having forgotten, it votes in ballot 0.
    expect(steps[crash + 1]!.action).toEqual({ kind: 'restart', node: victim });
    expect(steps.slice(crash + 2).some((s) => s.action.kind === 'deliver' && s.action.node === victim && s.action.message.message.type === 'Accept' && s.action.message.message.ballot === 0)).toBe(true);
    const learner = result.violation!.trace!.final.nodes.find((n) => n.id === 'l1')!;
    expect(Object.keys((learner.context as { votes: object }).votes).sort()).toEqual(['0:v1', '1:v2']);
  });
});

describe('paxos/faulty beyond exhaustive bounds', () => {
  it('random walks with every fault and a retrying proposer keep Agreement (fixed seed)', () => {
    const model = faulty.build({ loss: 2, duplication: 2, crashes: 2, retries: 2 });
    const result = simulate(model, { seed: 2026, walks: 300, depth: 60 });
    expect(result.verdict).toBe('ok');
    expect(result.walks).toBe(300);
    expect(result.goals).toEqual([{ name: 'ValueChosen', reached: true }]);
  });
});
