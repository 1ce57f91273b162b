import { assign, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { always, check, sometimes, whenQuiescent, type Model } from '../../src/checker/index.ts';
import type { NodeInput } from '../../src/node/index.ts';
import { pair, received, sender } from './ping-pair.ts';

/** Watches its peers through the perfect failure detector: records who it was told crashed. */
const watcher = setup({
  types: {
    input: {} as NodeInput,
    context: {} as { suspected: string[] },
    events: {} as { type: 'PeerCrashed'; from: string },
  },
}).createMachine({
  context: { suspected: [] },
  on: { PeerCrashed: { actions: assign({ suspected: ({ context, event }) => [...context.suspected, event.from].sort() }) } },
});

describe('crash-stop failures (faults.restart false)', () => {
  const model = (restart: boolean): Model => ({
    nodes: pair(1),
    network: 'multiset',
    faults: { crash: 1, crashable: ['b'], restart },
    properties: [sometimes('BCrashed', (s) => s.node('b').crashed)],
  });

  it('never restarts a crashed node, so fewer states are reachable', () => {
    // Crash-stop: the Ping in flight or delivered, with b up (crash budget 1) or crashed (0).
    // With restarts, three more: a restarted b, which persists nothing, before and after the Ping
    // arrives, and (if it arrived before the crash) again with the budget spent.
    expect(check(model(false))).toMatchObject({ verdict: 'ok', distinct: 4 });
    expect(check(model(true))).toMatchObject({ verdict: 'ok', distinct: 7 });
  });
});

describe('the perfect failure detector (faults.notifyCrashes)', () => {
  const model = (notifyCrashes: boolean): Model => ({
    nodes: [
      { id: 'a', machine: sender, peers: ['w'], config: { count: 0 } },
      { id: 'b', machine: sender, peers: ['w'], config: { count: 0 } },
      { id: 'w', machine: watcher, peers: ['a', 'b'], config: {} },
    ],
    network: 'multiset',
    faults: { crash: 2, crashable: ['a', 'b'], restart: false, notifyCrashes },
    properties: [
      // Strong accuracy: no node is suspected before it crashed.
      always('StrongAccuracy', (s) => (s.node('w').context.suspected as string[]).every((id) => s.node(id).crashed)),
      sometimes('BothSuspected', (s) => s.node('w').context.suspected.length === 2),
    ],
  });

  it('tells the nodes that list a crashed node as a peer, only after the crash', () => {
    const result = check(model(true));
    expect(result.verdict).toBe('ok');
    // a and b each up, crashed with its notice in flight, or crashed and suspected: 3 × 3.
    expect(result.distinct).toBe(9);
    expect(result.goals).toEqual([{ name: 'BothSuspected', reached: true }]);
  });

  it('sends nothing unless the model asks for it', () => {
    const result = check(model(false));
    expect(result.violation).toMatchObject({ property: 'BothSuspected', kind: 'sometimes' });
  });

  it('shows the notices a crash sends in the trace', () => {
    const result = check({ ...model(true), properties: [always('NobodySuspected', (s) => s.node('w').context.suspected.length === 0)] });
    const steps = result.violation!.trace!.steps;
    expect(steps.map((step) => step.action.kind)).toEqual(['crash', 'deliver']);
    expect(steps[0]!.sent).toEqual([{ from: 'a', to: 'w', message: { type: 'PeerCrashed' } }]);
  });
});

describe('whenQuiescent: properties of the states where nothing but faults can happen', () => {
  const model = (loss: number): Model => ({
    nodes: pair(2),
    network: 'multiset',
    faults: { loss, crash: 1, crashable: ['a'], restart: false },
    properties: [whenQuiescent('AllReceived', (s) => received(s).length === 2)],
  });

  it('holds when every message is eventually delivered, even though a crash is still possible', () => {
    const result = check(model(0));
    expect(result).toMatchObject({ verdict: 'ok' });
  });

  it('fails with the shortest trace to a quiescent state that breaks it', () => {
    const result = check(model(1));
    expect(result.violation).toMatchObject({ property: 'AllReceived', kind: 'quiescent' });
    const steps = result.violation!.trace!.steps;
    expect(steps.map((step) => step.action.kind).sort()).toEqual(['deliver', 'drop']);
  });

  it('is checked by simulation too', async () => {
    const { simulate } = await import('../../src/checker/simulate.ts');
    const result = simulate(model(1), { seed: 1, walks: 200, depth: 10 });
    expect(result.violation).toMatchObject({ property: 'AllReceived', kind: 'quiescent' });
  });
});
