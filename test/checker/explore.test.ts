import { assign, emit, enqueueActions, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { abstraction, always, check, ModelError, refines, sometimes, type Model } from '../../src/checker/index.ts';
import { persist, send, type NodeInput } from '../../src/node/index.ts';
import { pair, received, receiver, sender } from './ping-pair.ts';


describe('network semantics', () => {
  it('fifo delivers a channel in order; multiset in any order', () => {
    const outOfOrder = sometimes('OutOfOrder', (s) => received(s)[0] === 2);
    const fifo = check({ nodes: pair(2), network: 'fifo', properties: [outOfOrder] });
    expect(fifo.violation).toMatchObject({ property: 'OutOfOrder', kind: 'sometimes' });
    const multiset = check({ nodes: pair(2), network: 'multiset', properties: [outOfOrder] });
    expect(multiset.verdict).toBe('ok');
    // multiset: received [], [1], [2], [1,2], [2,1]
    expect(multiset.distinct).toBe(5);
    expect(fifo.distinct).toBe(3);
  });

  it('set never consumes, so one message is delivered again and again (bounded here)', () => {
    const model: Model = {
      nodes: pair(1),
      network: 'set',
      boundary: (s) => received(s).length < 3,
      properties: [sometimes('ThreeDeliveries', (s) => received(s).length === 3)],
    };
    const result = check(model);
    expect(result.verdict).toBe('ok');
    // 0, 1 and 2 deliveries are stored; the state with 3 is outside the boundary: checked (it
    // reaches the goal) but, as with TLC's CONSTRAINT, neither stored nor counted.
    expect(result.distinct).toBe(3);
  });

  it('checks the states outside the boundary, and gives the trace to one that fails', () => {
    const result = check({
      nodes: pair(1),
      network: 'set',
      boundary: (s) => received(s).length < 3,
      properties: [always('AtMostTwice', (s) => received(s).length <= 2)],
    });
    expect(result.violation).toMatchObject({ property: 'AtMostTwice', kind: 'always' });
    expect(result.violation!.trace!.steps.map((step) => step.action.kind)).toEqual(['deliver', 'deliver', 'deliver']);
  });

  it('multiset consumes: without faults a message arrives once', () => {
    const result = check({ nodes: pair(1), network: 'multiset', properties: [always('AtMostOnce', (s) => received(s).length <= 1)] });
    expect(result).toMatchObject({ verdict: 'ok', distinct: 2 });
  });
});

describe('fault budgets', () => {
  it('loss: a message may vanish, once per unit of budget', () => {
    const lost = sometimes('OneLost', (s) => s.messages.length === 0 && received(s).length === 1);
    expect(check({ nodes: pair(2), network: 'multiset', properties: [lost] }).violation?.property).toBe('OneLost');
    // Every message sent is in flight, received, or one of the losses the budget allowed.
    const conservation = always('Conservation', (s) => s.messages.length + received(s).length + (1 - s.budgets.loss) === 2);
    const result = check({ nodes: pair(2), network: 'multiset', faults: { loss: 1 }, properties: [lost, conservation] });
    expect(result.verdict).toBe('ok');
  });

  it('duplication: a message arrives twice at most once per unit of budget', () => {
    const twice = sometimes('Twice', (s) => received(s).length === 2);
    const result = check({ nodes: pair(1), network: 'multiset', faults: { duplication: 1 }, properties: [twice, always('NotThrice', (s) => received(s).length <= 2)] });
    expect(result.verdict).toBe('ok');
    const fifo = check({ nodes: pair(1), network: 'fifo', faults: { duplication: 2 }, properties: [always('AtMostThrice', (s) => received(s).length <= 3)] });
    expect(fifo.verdict).toBe('ok');
  });
});

/** Counts Ticks; persists the count only when `durableEvery` says so. */
const counter = setup({
  types: {
    input: {} as NodeInput<{ persistEven: boolean }>,
    context: {} as { count: number; persistEven: boolean },
    events: {} as { type: 'Tick' },
  },
  actions: {
    tick: assign({ count: ({ context }) => context.count + 1 }),
    save: enqueueActions(({ context, enqueue }) => {
      if (!context.persistEven || context.count % 2 === 0) enqueue.emit(persist({ set: { count: context.count } }));
    }),
  },
}).createMachine({
  context: ({ input }) => ({ count: (input.durable.count as number | undefined) ?? 0, persistEven: input.config.persistEven }),
  on: { Tick: { guard: ({ context }) => context.count < 3, actions: ['tick', 'save'] } },
});

describe('crash and restart', () => {
  const counterModel = (persistEven: boolean, properties: Model['properties']): Model => ({
    nodes: [{ id: 'c', machine: counter, peers: [], config: { persistEven }, spontaneous: [{ type: 'Tick' }] }],
    network: 'multiset',
    faults: { crash: 1 },
    properties,
  });
  const count = (s: { nodes: readonly { context: any }[] }) => s.nodes[0]!.context.count as number;
  const durableCount = (s: { nodes: readonly { durable: any }[] }) => (s.nodes[0]!.durable.count as number | undefined) ?? 0;
  const up = (s: { nodes: readonly { crashed: boolean }[] }) => !s.nodes[0]!.crashed;

  it('a restarted node resumes from exactly what it persisted', () => {
    const persistsAll = check(
      counterModel(false, [
        always('CountIsDurable', (s) => !up(s) || count(s) === durableCount(s)),
        sometimes('BackAfterCrashAtThree', (s) => s.budgets.crash === 0 && up(s) && count(s) === 3),
      ]),
    );
    expect(persistsAll).toMatchObject({ verdict: 'ok', distinct: 12 });
    // Persisting only even counts: after a crash at 1 or 3, the node is back at 0 or 2.
    const forgetsOdd = check(counterModel(true, [always('CountIsDurable', (s) => !up(s) || count(s) === durableCount(s))]));
    expect(forgetsOdd.violation?.trace?.steps.map((step) => step.action.kind)).toEqual(['spontaneous']);
  });

  it('a crash is shown in the trace as crash then restart, with the durable image', () => {
    const result = check(counterModel(true, [always('NeverRestarted', (s) => !(s.budgets.crash === 0 && up(s) && count(s) === 2))]));
    expect(result.violation?.trace?.steps.map((step) => step.action.kind)).toEqual(['spontaneous', 'spontaneous', 'crash', 'restart']);
    const [, , crash, restart] = result.violation!.trace!.steps;
    expect(crash!.changed[0]!.after).toMatchObject({ crashed: true, durable: { count: 2 } });
    expect(restart!.changed[0]!.after).toMatchObject({ crashed: false, context: { count: 2 } });
  });
});

const ticker = setup({
  types: { context: {} as { fired: number } },
  delays: { tick: 100 },
}).createMachine({
  context: { fired: 0 },
  initial: 'waiting',
  states: {
    waiting: { after: { tick: { target: 'waiting', reenter: true, guard: ({ context }) => context.fired < 2, actions: assign({ fired: ({ context }) => context.fired + 1 }) } } },
  },
});

describe('timers', () => {
  it('an armed timer may fire; a fired timer whose guard fails is disarmed', () => {
    const result = check({ nodes: [{ id: 't', machine: ticker, peers: [], config: {} }], network: 'multiset', properties: [sometimes('FiredTwice', (s) => s.nodes[0]!.context.fired === 2)] });
    expect(result.verdict).toBe('ok');
    // fired 0 armed, 1 armed, 2 armed, 2 disarmed
    expect(result.distinct).toBe(4);
    expect(check({ nodes: [{ id: 't', machine: ticker, peers: [], config: {} }], network: 'multiset', properties: [always('Armed', (s) => s.nodes[0]!.timers.includes('tick'))] }).violation?.trace?.steps.length).toBe(3);
  });
});

describe('limits and counterexamples', () => {
  const unbounded: Model = { nodes: pair(1), network: 'set', properties: [] };

  it('stops at --max-states and --max-depth with an incomplete result', () => {
    expect(check(unbounded, { maxStates: 10 })).toMatchObject({ verdict: 'incomplete', limitHit: 'maxStates', distinct: 10 });
    const deep = check(unbounded, { maxDepth: 5 });
    expect(deep).toMatchObject({ verdict: 'incomplete', limitHit: 'maxDepth', depth: 5 });
    expect(check(unbounded, { maxSeconds: 0.05 })).toMatchObject({ verdict: 'incomplete', limitHit: 'maxSeconds' });
  });

  it('a bound the exploration does not pass leaves it complete', () => {
    const bounded: Model = { nodes: pair(2), network: 'multiset', properties: [] };
    const { distinct, depth } = check(bounded);
    expect(check(bounded, { maxStates: distinct, maxDepth: depth })).toMatchObject({ verdict: 'ok', distinct });
    expect(check(bounded, { maxStates: distinct - 1 })).toMatchObject({ verdict: 'incomplete', distinct: distinct - 1 });
    expect(check(bounded, { maxDepth: depth - 1 })).toMatchObject({ verdict: 'incomplete', limitHit: 'maxDepth', depth: depth - 1 });
  });

  it('reports the shortest counterexample (breadth-first)', () => {
    const result = check({ ...unbounded, properties: [always('FewerThanFour', (s) => received(s).length < 4)] });
    expect(result.violation?.trace?.steps).toHaveLength(4);
    expect(result.violation?.trace?.final.nodes[1]!.context).toEqual({ received: [1, 1, 1, 1] });
  });

  it('is deterministic: the same model gives the same counts', () => {
    const model: Model = { nodes: pair(3), network: 'multiset', faults: { loss: 1, duplication: 1 }, properties: [] };
    const first = check(model);
    expect(check(model)).toMatchObject({ distinct: first.distinct, generated: first.generated, depth: first.depth });
  });
});

describe('refinement', () => {
  /** The abstract spec: a count that only ever grows by one. */
  const stepsOfOne = setup({ types: { context: {} as { count: number }, events: {} as { type: 'Inc' } } }).createMachine({
    context: { count: 0 },
    on: { Inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
  });
  const countOf = abstraction<{ count: number }>(
    (node) => node.context?.count,
    (parts) => ({ count: (parts.c as number | undefined) ?? 0 }),
  );
  const jumper = (by: number) =>
    setup({ types: { context: {} as { count: number }, events: {} as { type: 'Go' } } }).createMachine({
      context: { count: 0 },
      on: { Go: { guard: ({ context }) => context.count < 4, actions: assign({ count: ({ context }) => context.count + by }) } },
    });
  const model = (by: number): Model => ({
    nodes: [{ id: 'c', machine: jumper(by), peers: [], config: {}, spontaneous: [{ type: 'Go' }] }],
    network: 'multiset',
    properties: [refines({ name: 'StepsOfOne', over: countOf, spec: stepsOfOne, specInput: {}, events: () => [{ type: 'Inc' }] })],
  });

  it('accepts steps that are abstract steps', () => {
    expect(check(model(1))).toMatchObject({ verdict: 'ok', distinct: 5 });
  });

  it('catches a step that is not, at the first such step', () => {
    const result = check(model(2));
    expect(result.violation).toMatchObject({ property: 'StepsOfOne', kind: 'refines' });
    expect(result.violation?.trace?.steps).toHaveLength(1);
  });

  it('catches an initial state that does not map to the abstract initial state', () => {
    const shifted = abstraction<{ count: number }>((node) => node.context?.count, (parts) => ({ count: ((parts.c as number | undefined) ?? 0) + 1 }));
    const bad = check({ ...model(1), properties: [refines({ name: 'Shifted', over: shifted, spec: stepsOfOne, specInput: {}, events: () => [{ type: 'Inc' }] })] });
    expect(bad.violation).toMatchObject({ property: 'Shifted', kind: 'refines' });
    expect(bad.violation?.trace?.steps).toHaveLength(0);
  });
});

describe('bad models get clear errors', () => {
  const machine = receiver;
  it.each<[string, Model, RegExp]>([
    ['no nodes', { nodes: [], network: 'set', properties: [] }, /at least one node/],
    ['duplicate ids', { nodes: [{ id: 'a', machine, peers: [], config: {} }, { id: 'a', machine, peers: [], config: {} }], network: 'set', properties: [] }, /two nodes are named "a"/],
    ['unknown peer', { nodes: [{ id: 'a', machine, peers: ['z'], config: {} }], network: 'set', properties: [] }, /peer "z"/],
    ['unknown semantics', { nodes: [{ id: 'a', machine, peers: [], config: {} }], network: 'bag' as never, properties: [] }, /unknown network semantics "bag"/],
    ['loss on a set', { nodes: pair(1), network: 'set', faults: { loss: 1 }, properties: [] }, /set network already/],
    ['negative budget', { nodes: pair(1), network: 'multiset', faults: { crash: -1 }, properties: [] }, /"crash" must be a whole number/],
    ['unknown crashable', { nodes: pair(1), network: 'multiset', faults: { crash: 1, crashable: ['q'] }, properties: [] }, /crashable node "q"/],
    ['duplicate property', { nodes: pair(1), network: 'set', properties: [always('P', () => true), always('P', () => true)] }, /two properties are named "P"/],
  ])('%s', (_name, model, message) => {
    expect(() => check(model)).toThrow(ModelError);
    expect(() => check(model)).toThrow(message);
  });

  it('a send without a receiver, or to a node outside the model, says so', () => {
    expect(() => check({ nodes: [{ id: 'a', machine: sender, peers: [], config: { count: 1 } }], network: 'set', properties: [] })).toThrow(/a send effect needs a peer id/);
    const stray = setup({}).createMachine({ entry: emit(send('nobody', { type: 'Hello' })) });
    expect(() => check({ nodes: [{ id: 'a', machine: stray, peers: [], config: {} }], network: 'set', properties: [] })).toThrow('a sent Hello to "nobody", which is not a node of the model');
  });

  it('a machine or a property that throws is reported with where it happened', () => {
    const fragile = setup({ types: { events: {} as { type: 'Ping'; n: number; from: string } } }).createMachine({
      on: { Ping: { actions: () => { throw new Error('boom'); } } },
    });
    const model: Model = { nodes: [pair(1)[0]!, { id: 'b', machine: fragile, peers: [], config: {} }], network: 'set', properties: [] };
    expect(() => check(model)).toThrow(ModelError);
    expect(() => check(model)).toThrow(/b failed on Ping in state \{\}: .*boom/);
    const property = always('Fragile', () => { throw new Error('bad property'); });
    expect(() => check({ nodes: pair(1), network: 'set', properties: [property] })).toThrow('property Fragile threw: bad property');
  });

  it('a machine that emits something other than an effect is refused', () => {
    const bad = setup({}).createMachine({ entry: emit({ type: 'log' } as never) });
    expect(() => check({ nodes: [{ id: 'x', machine: bad, peers: [], config: {} }], network: 'set', properties: [] })).toThrow(/emits only send, persist and reply/);
  });
});

describe('large networks', () => {
  it('a boot that sends hundreds of messages, in every semantics', () => {
    for (const network of ['set', 'multiset', 'fifo'] as const) {
      const result = check({ nodes: pair(300), network, properties: [], boundary: (s) => received(s).length < 2 });
      expect(result.verdict, network).toBe('ok');
      expect(result.distinct, network).toBe(network === 'fifo' ? 2 : 301);
    }
  });
});
