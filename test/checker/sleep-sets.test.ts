import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assign, enqueueActions, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  abstraction,
  always,
  check,
  checkParallel,
  eventually,
  history,
  refines,
  whenQuiescent,
  type CheckResult,
  type GlobalView,
  type Model,
  type ModelFile,
  type NetworkSemantics,
} from '../../src/checker/index.ts';
import { send, type NodeInput } from '../../src/node/index.ts';
import { graphNode, type GraphTable } from './graph-machine.ts';

/** What partial-order reduction must leave as it is (src/checker/sleep-sets.ts). */
const essentials = (result: CheckResult) => ({
  verdict: result.verdict,
  distinct: result.distinct,
  depth: result.depth,
  goals: result.goals,
  property: result.violation?.property,
  kind: result.violation?.kind,
  steps: result.violation?.trace?.steps.length,
});

function bothWays(model: Model): { without: CheckResult; withIt: CheckResult } {
  return { without: check(model, { partialOrderReduction: false }), withIt: check(model) };
}

/** A chain s0 → s1 → … → s<length>, each step the spontaneous event Step, or with `timer` the timer `tick`. */
const chain = (length: number, timer = false): GraphTable =>
  Object.fromEntries(Array.from({ length: length + 1 }, (_, i) => [`s${i}`, i < length ? { [timer ? 'after:tick' : 'Step']: `s${i + 1}` } : {}]));

/** `nodes` independent nodes, each a chain of `length` steps: a grid of (length + 1)^nodes states. */
const grid = (nodes: number, length: number, properties: Model['properties'] = []): Model => ({
  nodes: Array.from({ length: nodes }, (_, k) => graphNode(`n${k}`, chain(length, k % 2 === 1), 's0', `chain${k % 2}`)),
  network: 'multiset',
  properties,
});

describe('sleep sets on a hand-made model', () => {
  it('a grid of independent nodes is explored along a spanning tree: every state once, one edge into each', () => {
    // 2 nodes of 2 steps: 9 states, 12 edges (each state has a step per node not at its end: 2·2·3).
    // With sleep sets, from s, the second node's step puts the first's to sleep, so the first
    // node never moves after the second has: 8 edges, one into each state but the initial one.
    const { without, withIt } = bothWays(grid(2, 2));
    expect(without).toMatchObject({ verdict: 'ok', distinct: 9, generated: 12, depth: 5 });
    expect(withIt).toMatchObject({ verdict: 'ok', distinct: 9, generated: 8, depth: 5, partialOrderReduction: { applied: true, pruned: 4 } });
    // 3 nodes of 3 steps (timers and spontaneous events): 64 states, 3·3·16 = 144 edges, 63 of them explored.
    const three = bothWays(grid(3, 3));
    expect(three.without).toMatchObject({ distinct: 64, generated: 144, depth: 10 });
    expect(three.withIt).toMatchObject({ distinct: 64, generated: 63, depth: 10, partialOrderReduction: { applied: true, pruned: 81 } });
  });

  it('a state whose only steps are asleep is not quiescent: quiescence is judged from every enabled step', () => {
    // In the grid, (n0 at s0, n1 at s1) is reached by n1's step with n0's asleep: nothing is
    // generated from it, yet n0 can still move. Judged from generated steps, it would be quiescent.
    const done = (state: GlobalView) => state.node('n0').value === 's2' && state.node('n1').value === 's2';
    const { without, withIt } = bothWays(grid(2, 2, [whenQuiescent('EndsDone', done)]));
    expect(without.verdict).toBe('ok');
    expect(withIt).toMatchObject({ verdict: 'ok', partialOrderReduction: { applied: true, pruned: 4 } });
  });

  it('a refinement is checked on the steps left asleep too', () => {
    // The abstract spec lets n0 move only while n1 has not. Every such step of n0 after n1's is
    // asleep in the grid (see above), so only checking asleep steps finds the violation.
    const spec = setup({ types: { context: {} as { n0: number; n1: number }, events: {} as { type: 'Move0' } | { type: 'Move1' } } }).createMachine({
      context: { n0: 0, n1: 0 },
      on: {
        Move0: { guard: ({ context }) => context.n1 === 0, actions: assign({ n0: ({ context }) => context.n0 + 1 }) },
        Move1: { actions: assign({ n1: ({ context }) => context.n1 + 1 }) },
      },
    });
    const positions = abstraction<{ n0: number; n1: number }>(
      (node) => Number(String(node.value).slice(1)),
      (parts) => ({ n0: parts.n0 as number, n1: parts.n1 as number }),
    );
    const model = grid(2, 2, [refines({ name: 'FirstNodeFirst', over: positions, spec, specInput: {}, events: () => [{ type: 'Move0' }, { type: 'Move1' }] })]);
    const { without, withIt } = bothWays(model);
    expect(essentials(without)).toMatchObject({ verdict: 'violation', property: 'FirstNodeFirst', kind: 'refines', steps: 2 });
    expect(essentials(withIt)).toEqual(essentials(without));
    expect(withIt.partialOrderReduction.applied).toBe(true);
  });

  /**
   * a sends Ping 1..count to b and to c on boot; each of b and c records what it gets and
   * answers a Ping with a Pong to the other, so deliveries to b and c interleave with sends
   * between them.
   */
  const fanOut = setup({
    types: { input: {} as NodeInput<{ count: number }>, context: {} as { peers: readonly string[]; count: number } },
    actions: {
      sendAll: enqueueActions(({ context, enqueue }) => {
        for (let n = 1; n <= context.count; n++) for (const peer of context.peers) enqueue.emit(send(peer, { type: 'Ping', n }));
      }),
    },
  }).createMachine({ context: ({ input }) => ({ peers: input.peers, count: input.config.count }), entry: 'sendAll' });
  const relay = setup({
    types: { input: {} as NodeInput, context: {} as { peer: string; got: string[] }, events: {} as { type: 'Ping' | 'Pong'; n: number; from: string } },
  }).createMachine({
    context: ({ input }) => ({ peer: input.peers[0]!, got: [] }),
    on: {
      Ping: { actions: [assign({ got: ({ context, event }) => [...context.got, `ping${event.n}`] }), enqueueActions(({ context, event, enqueue }) => enqueue.emit(send(context.peer, { type: 'Pong', n: event.n })))] },
      Pong: { actions: assign({ got: ({ context, event }) => [...context.got, `pong${event.n}`] }) },
    },
  });
  const relays = (network: NetworkSemantics): Model => ({
    nodes: [
      { id: 'a', machine: fanOut as never, peers: ['b', 'c'], config: { count: 2 } },
      { id: 'b', machine: relay as never, peers: ['c'], config: {} },
      { id: 'c', machine: relay as never, peers: ['b'], config: {} },
    ],
    network,
    properties: [always('FewerThanSix', (state) => (state.node('b').context as { got: string[] }).got.length + (state.node('c').context as { got: string[] }).got.length < 6)],
  });

  it.each<NetworkSemantics>(['set', 'multiset', 'fifo'])('messages between nodes (%s): the same states, depth and shortest counterexample, fewer transitions', (network) => {
    const { without, withIt } = bothWays(relays(network));
    expect(essentials(withIt)).toEqual(essentials(without));
    expect(withIt.generated).toBeLessThan(without.generated);
  });
});

describe('where sleep sets do not apply, the run goes without and says why', () => {
  const model = grid(2, 2);
  it.each<[string, Model, RegExp]>([
    ['a boundary', { ...model, boundary: () => true }, /boundary/],
    ['a history variable', { ...model, history: history({ name: 'Moves', over: abstraction(() => 0, () => 0), initial: () => 0, next: (h) => h }) }, /history variable Moves/],
    ['symmetry sets', { ...model, nodes: model.nodes.map((node) => ({ ...node, machine: model.nodes[0]!.machine })), symmetry: [['n0', 'n1']] }, /symmetry/],
    ['liveness properties', { ...model, properties: [eventually('Moves', () => true)] }, /liveness/],
  ])('%s', (_title, off, reason) => {
    const result = check(off);
    expect(result.partialOrderReduction.applied).toBe(false);
    expect(result.partialOrderReduction.offBecause).toMatch(reason);
    expect(result.partialOrderReduction.pruned).toBe(0);
  });

  it('turned off by the caller (--no-por)', () => {
    expect(check(model, { partialOrderReduction: false }).partialOrderReduction).toEqual({ applied: false, pruned: 0, offBecause: 'turned off (--no-por)' });
  });

  it('on several workers', async () => {
    const result = await checkParallel({ file: modelFile('two-phase/tla'), parameters: { rms: 5 }, symmetry: true }, { workers: 2, parallelAfterStates: 0 });
    expect(result.workers).toBe(2);
    expect(result.partialOrderReduction).toMatchObject({ applied: false, offBecause: expect.stringMatching(/workers/) });
  }, 30_000);
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const modelFile = (name: string) => join(root, 'models', `${name}.ts`);

describe('every model in models/ that sleep sets apply to: the same states, verdicts and counterexample lengths, fewer transitions', () => {
  // Every one, with its default parameters (and two-phase/tla at 5 RMs, three-phase/crash-stop
  // smaller too), without its symmetry sets where they alone keep the reduction off (bench/por.ts
  // runs the same list from the CLI, with times).
  it.each<[string, Record<string, number>, boolean]>([
    ['paxos/tla', {}, true],
    ['paxos/broken/acceptor-forgets-promise', {}, true],
    ['paxos-commit/tla', {}, true],
    ['paxos-commit/broken/acceptor-forgets-promise', {}, true],
    ['paxos-commit/broken/leader-ignores-reported-votes', {}, true],
    ['service/cross-shard', {}, true],
    ['service/broken/resolver-aborts-alone', {}, true],
    ['service/broken/shard-ignores-read-locks', {}, true],
    ['three-phase/crash-stop', {}, true],
    ['three-phase/crash-stop', { participants: 3, crashes: 1 }, true],
    ['three-phase/broken/no-termination-protocol', {}, true],
    ['three-phase/broken/obeys-stale-precommit', {}, true],
    ['three-phase/partition', {}, true],
    ['two-phase/tla', { rms: 5 }, true],
    ['two-phase/broken/tm-commits-early', {}, true],
    ['paxos/faulty', {}, false],
    ['two-phase/tla-symmetric', {}, false],
    ['two-phase-over-groups/abstract', {}, false],
    ['two-phase-over-groups/plain-2pc-blocks', {}, false],
  ])('%s %o', async (name, given, symmetry) => {
    const file = ((await import(modelFile(name))) as { default: ModelFile }).default;
    const parameters = Object.fromEntries(Object.entries(file.parameters).map(([key, definition]) => [key, given[key] ?? definition.default]));
    const built = file.build(parameters);
    const model = symmetry ? built : { ...built, symmetry: [] };
    const { without, withIt } = bothWays(model);
    expect(withIt.partialOrderReduction.applied).toBe(true);
    expect(essentials(withIt)).toEqual(essentials(without));
    const recorded = file.expected(parameters);
    if (recorded?.verdict === 'violation') expect(withIt.violation?.property).toBe(recorded.property);
    else if (symmetry && recorded?.distinct !== undefined) expect(withIt.distinct).toBe(recorded.distinct);
    expect(withIt.generated).toBeLessThan(without.generated);
    // Explored completely, both expand every state, and each step is either generated or pruned.
    if (without.verdict === 'ok') expect(withIt.generated + withIt.partialOrderReduction.pruned).toBe(without.generated);
  }, 60_000);

  it('tcommit/tla has one node: nothing commutes, nothing is pruned', async () => {
    const file = ((await import(modelFile('tcommit/tla'))) as { default: ModelFile }).default;
    const { without, withIt } = bothWays(file.build({}));
    expect(essentials(withIt)).toEqual(essentials(without));
    expect(withIt).toMatchObject({ generated: without.generated, partialOrderReduction: { applied: true, pruned: 0 } });
  });
});
