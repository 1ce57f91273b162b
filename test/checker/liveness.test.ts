import { describe, expect, it } from 'vitest';
import { always, check, eventually, leadsTo, ModelError, type Fairness, type GlobalView, type Model, type Property } from '../../src/checker/index.ts';
import { graphNode, valuesAlong, type GraphTable } from './graph-machine.ts';
import { pair, received } from './ping-pair.ts';

const at = (value: string) => (state: GlobalView) => state.node('n').value === value;
const one = (table: GraphTable, fairness: Fairness | undefined, property: Property = eventually('Done', at('done')), extra: Partial<Model> = {}): Model => ({
  nodes: [graphNode('n', table, 's0')],
  network: 'multiset',
  properties: [property],
  ...(fairness ? { fairness } : {}),
  ...extra,
});
const weakPerAction: Fairness = { weak: [{ family: 'spontaneous', per: 'action' }] };
const strongPerAction: Fairness = { strong: [{ family: 'spontaneous', per: 'action' }] };

describe('eventually: fair cycles', () => {
  // s0 → s1 ⇄ s2, and nothing else: the fair behaviour goes round s1 ⇄ s2 forever.
  const spin: GraphTable = { s0: { Step: 's1' }, s1: { Step: 's2' }, s2: { Step: 's1' } };

  it('a fair cycle that never reaches the goal is a violation, shown as a lasso: stem, then the cycle', () => {
    const result = check(one(spin, { weak: ['spontaneous'] }));
    expect(result).toMatchObject({ verdict: 'violation', distinct: 3 });
    expect(result.violation).toMatchObject({ property: 'Done', kind: 'eventually' });
    expect(result.violation!.message).toBe('Done is never reached on a fair behaviour: it repeats steps 2–3 forever, taking every fair action that stays enabled');
    const trace = result.violation!.trace!;
    // Stem: s0 → s1 (step 1); cycle: s1 → s2 → s1 (steps 2 and 3), back to the state after step 1.
    expect(trace.loopsTo).toBe(1);
    expect(valuesAlong(trace, 'n')).toEqual(['s0', 's1', 's2', 's1']);
    expect(trace.steps.map((step) => step.action)).toEqual([
      { kind: 'spontaneous', node: 'n', event: { type: 'Step' } },
      { kind: 'spontaneous', node: 'n', event: { type: 'Step' } },
      { kind: 'spontaneous', node: 'n', event: { type: 'Step' } },
    ]);
    expect(result.liveness).toMatchObject({ edges: 3 });
    expect(result.liveness!.seconds).toBeGreaterThanOrEqual(0);
  });

  // The way out, Finish, is enabled in both states of the cycle.
  const exitEverywhere: GraphTable = { s0: { Step: 's1' }, s1: { Step: 's2', Finish: 'done' }, s2: { Step: 's1', Finish: 'done' }, done: {} };

  it('a cycle on which a weakly fair action stays enabled but is never taken is unfair: not a violation', () => {
    expect(check(one(exitEverywhere, weakPerAction))).toMatchObject({ verdict: 'ok', distinct: 4 });
  });

  it('fairness per node is weaker: taking Step is taking one of the node\'s spontaneous events, so the cycle is fair', () => {
    const result = check(one(exitEverywhere, { weak: ['spontaneous'] }));
    expect(result.violation?.property).toBe('Done');
    expect(result.violation!.trace!.loopsTo).toBe(1);
    expect(valuesAlong(result.violation!.trace!, 'n')).toEqual(['s0', 's1', 's2', 's1']);
  });

  it('without fairness any behaviour may stop at once: the initial state stutters forever', () => {
    const result = check(one(exitEverywhere, undefined));
    expect(result.violation!.message).toBe('Done is never reached on a fair behaviour: it stops after step 0, where no fair action is enabled, and stays there forever');
    expect(result.violation!.trace).toMatchObject({ steps: [], loopsTo: 0 });
  });

  it('holds at once when the initial state satisfies it', () => {
    expect(check(one(spin, undefined, eventually('Started', at('s0'))))).toMatchObject({ verdict: 'ok', distinct: 3 });
  });
});

describe('weak against strong fairness', () => {
  // Finish is enabled in s1 only: on the cycle s1 ⇄ s2 it is enabled infinitely often, never continuously.
  const exitInOne: GraphTable = { s0: { Step: 's1' }, s1: { Step: 's2', Finish: 'done' }, s2: { Step: 's1' }, done: {} };

  it('weak fairness lets the cycle avoid an action enabled only now and then: violation', () => {
    const result = check(one(exitInOne, weakPerAction));
    expect(result.violation?.property).toBe('Done');
    expect(result.violation!.trace!.loopsTo).toBe(1);
    expect(valuesAlong(result.violation!.trace!, 'n')).toEqual(['s0', 's1', 's2', 's1']);
  });

  it('strong fairness does not: Finish is eventually taken', () => {
    expect(check(one(exitInOne, strongPerAction))).toMatchObject({ verdict: 'ok', distinct: 4 });
  });

  it('strong fairness refines a component: the states where an untaken strong action is enabled go, a fair cycle may remain', () => {
    // s1 ⇄ s2 ⇄ s3; in s3 a strongly fair timer leads to done. The component {s1, s2, s3} is not
    // fair (the timer is enabled in s3, never taken inside); without s3, s1 ⇄ s2 is — Detour
    // (weakly fair) is enabled in s2 only.
    const table: GraphTable = { s0: { Go: 's1' }, s1: { Go: 's2' }, s2: { Go: 's1', Detour: 's3' }, s3: { Back: 's2', 'after:finish': 'done' }, done: {} };
    const fairness: Fairness = { weak: [{ family: 'spontaneous', per: 'action' }], strong: ['timer'] };
    const result = check(one(table, fairness));
    expect(result.distinct).toBe(5);
    expect(result.violation?.property).toBe('Done');
    const trace = result.violation!.trace!;
    expect(trace.loopsTo).toBe(1);
    expect(valuesAlong(trace, 'n')).toEqual(['s0', 's1', 's2', 's1']);
    // Were the timer weakly fair, the component would be fair as a whole (the timer is enabled in s3 only).
    const weak = check(one(table, { weak: [{ family: 'spontaneous', per: 'action' }, 'timer'] }));
    expect(weak.violation?.property).toBe('Done');
    // Were Detour strongly fair too, s2 would go, and no cycle is left.
    expect(check(one(table, { strong: [{ family: 'spontaneous', per: 'action' }, 'timer'] }))).toMatchObject({ verdict: 'ok', distinct: 5 });
  });
});

describe('terminal states', () => {
  const stuck: GraphTable = { s0: { Step: 's1' }, s1: {} };

  it('a state with no step at all stutters forever: a lasso with an empty cycle', () => {
    const result = check(one(stuck, { weak: ['spontaneous'] }));
    expect(result.violation!.message).toBe('Done is never reached on a fair behaviour: it stops after step 1, where no fair action is enabled, and stays there forever');
    const trace = result.violation!.trace!;
    expect(trace.loopsTo).toBe(1);
    expect(trace.steps).toHaveLength(1);
    expect(valuesAlong(trace, 'n')).toEqual(['s0', 's1']);
  });

  it('faults are never fair: a state where only a crash is possible stutters too', () => {
    const result = check(one(stuck, { weak: ['spontaneous'] }, undefined, { faults: { crash: 1, restart: false } }));
    // s0, s1, and the crashed node (it persisted nothing, so one crashed state).
    expect(result.distinct).toBe(3);
    expect(result.violation!.trace).toMatchObject({ loopsTo: 1 });
    expect(result.violation!.trace!.steps.map((step) => step.action.kind)).toEqual(['spontaneous']);
  });
});

describe('leadsTo', () => {
  // idle → waiting; waiting → idle (Grant) or → spinning; spinning → waiting.
  const requests: GraphTable = { s0: { Request: 'waiting' }, waiting: { Grant: 's0', Spin: 'spinning' }, spinning: { Spin: 'waiting' } };
  const granted = leadsTo('RequestsGranted', at('waiting'), at('s0'));

  it('fails from a P-state whose fair continuation never reaches Q; the stem goes through that P-state', () => {
    const result = check(one(requests, weakPerAction, granted));
    expect(result.violation).toMatchObject({ property: 'RequestsGranted', kind: 'leadsTo' });
    expect(result.violation!.message).toBe(
      'RequestsGranted fails: P holds after step 1, and Q never after, on a fair behaviour that repeats steps 2–3 forever, taking every fair action that stays enabled',
    );
    expect(result.violation!.trace!.loopsTo).toBe(1);
    expect(valuesAlong(result.violation!.trace!, 'n')).toEqual(['s0', 'waiting', 'spinning', 'waiting']);
  });

  it('holds under strong fairness, and trivially where P never holds', () => {
    expect(check(one(requests, strongPerAction, granted))).toMatchObject({ verdict: 'ok', distinct: 3 });
    expect(check(one(requests, undefined, leadsTo('Never', at('nowhere'), at('s0'))))).toMatchObject({ verdict: 'ok' });
  });

  it('over an abstraction, as the other properties', () => {
    const over = { project: (node: { value?: unknown }) => String(node.value), combine: (parts: Readonly<Record<string, unknown>>) => String(parts.n) };
    const property = leadsTo('RequestsGrantedAbstract', over as never, (value: string) => value === 'waiting', (value: string) => value === 's0');
    expect(check(one(requests, strongPerAction, property)).verdict).toBe('ok');
    expect(check(one(requests, weakPerAction, property)).violation?.property).toBe('RequestsGrantedAbstract');
  });
});

describe('deliveries and nodes', () => {
  const arrives = eventually('Arrives', (s) => received(s).length === 1);

  it('a message is eventually delivered only if deliveries to its receiver are fair', () => {
    expect(check({ nodes: pair(1), network: 'multiset', properties: [arrives], fairness: { weak: ['deliver'] } })).toMatchObject({ verdict: 'ok', distinct: 2 });
    const onlyA = check({ nodes: pair(1), network: 'multiset', properties: [arrives], fairness: { weak: [{ family: 'deliver', nodes: ['a'] }] } });
    expect(onlyA.violation?.trace).toMatchObject({ steps: [], loopsTo: 0 });
  });
});

describe('boundaries and bounds', () => {
  // Under `set` semantics b takes the same Ping again and again: an infinite state space.
  const many = eventually('FiveArrive', (s) => received(s).length >= 5);
  const unbounded: Model = { nodes: pair(1), network: 'set', properties: [many], fairness: { weak: ['deliver'] } };

  it('a state whose successors lie outside the boundary is not taken for stuck', () => {
    // States with 0, 1, 2 Pings received are stored; the one with 3 is outside. In state 2 the
    // delivery is enabled (it leaves the boundary): that is not a stuttering end.
    const result = check({ ...unbounded, boundary: (s) => received(s).length < 3 });
    expect(result).toMatchObject({ verdict: 'ok', distinct: 3 });
    expect(result.liveness).toMatchObject({ edges: 3 });
  });

  it('states a depth or state bound left unexpanded are in no lasso: the run is incomplete, not a violation', () => {
    expect(check(unbounded, { maxDepth: 4 })).toMatchObject({ verdict: 'incomplete', limitHit: 'maxDepth' });
    expect(check(unbounded, { maxStates: 3 })).toMatchObject({ verdict: 'incomplete', limitHit: 'maxStates', distinct: 3 });
  });

  it('a real violation inside the bounds is still found', () => {
    const result = check({ ...unbounded, fairness: { weak: [{ family: 'deliver', nodes: ['a'] }] } }, { maxStates: 3 });
    expect(result.violation).toMatchObject({ property: 'FiveArrive', trace: { steps: [], loopsTo: 0 } });
  });
});

describe('declarations', () => {
  const spin: GraphTable = { s0: { Step: 's0x' }, s0x: {} };

  it('rejects fairness for faults, unknown nodes, and a family declared twice at a node', () => {
    expect(() => check(one(spin, { weak: ['crash' as never] }))).toThrow(/"crash" is not an action family that can be fair/);
    expect(() => check(one(spin, { weak: [{ family: 'deliver', nodes: ['nobody'] }] }))).toThrow(/node "nobody" is not a node of the model/);
    expect(() => check(one(spin, { weak: ['timer'], strong: ['timer'] }))).toThrow(/timer at n is declared fair twice/);
    expect(() => check(one(spin, { weak: [{ family: 'timer', per: 'message' as never }] }))).toThrow(ModelError);
  });

  it('refuses liveness under symmetry, where the quotient does not keep per-node fairness', () => {
    const x = graphNode('x', spin, 's0');
    const nodes = [x, { ...x, id: 'y' }];
    expect(() => check({ nodes, network: 'multiset', symmetry: [['x', 'y']], properties: [eventually('E', () => true)] })).toThrow(/liveness properties cannot be checked under symmetry/);
  });

  it('a model without liveness properties records no graph', () => {
    const result = check(one(spin, undefined, always('True', () => true)));
    expect(result.verdict).toBe('ok');
    expect(result.liveness).toBeUndefined();
  });
});
