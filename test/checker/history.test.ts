import { describe, expect, it } from 'vitest';
import { abstraction, always, check, history, type Model } from '../../src/checker/index.ts';
import { pair, received } from './ping-pair.ts';

/** Whether b has ever received a Ping: b's state forgets it when b crashes (it persists nothing). */
const everReceived = history<boolean, number>({
  name: 'everReceived',
  over: abstraction(
    (node) => (node.id === 'b' && !node.crashed ? (node.context.received as number[]).length : undefined),
    (parts) => (parts.b as number | undefined) ?? 0,
  ),
  initial: (count) => count > 0,
  next: (ever, count) => ever || count > 0,
});

const model = (withHistory: boolean): Model => ({
  nodes: pair(1),
  network: 'multiset',
  faults: { crash: 1, crashable: ['b'] },
  ...(withHistory ? { history: everReceived } : {}),
  properties: withHistory
    ? [always('NothingForgotten', (s) => !s.history || s.node('b').crashed || received(s).length > 0)]
    : [always('Received', (s) => s.history === undefined)],
});

describe('history variables', () => {
  it('let a property speak of the past, which the state has forgotten', () => {
    const result = check(model(true));
    expect(result.violation).toMatchObject({ property: 'NothingForgotten', kind: 'always' });
    const trace = result.violation!.trace!;
    expect(trace.steps.map((step) => step.action.kind)).toEqual(['deliver', 'crash', 'restart']);
    expect(trace.initial.history).toBe(false);
    expect(trace.final.history).toBe(true);
  });

  it('are undefined in models without one', () => {
    expect(check(model(false))).toMatchObject({ verdict: 'ok', distinct: 7 });
  });

  it('are part of the state: the same nodes and network with another history is another state', () => {
    // With the set network the Ping stays in flight. "deliver, crash" and "crash" both end with b
    // down and the Ping in flight, and after a restart both with a b that has received nothing;
    // only the first has ever received it. Each pair is one state without the history, two with it.
    const set = (withHistory: boolean): Model => ({ ...model(withHistory), network: 'set', boundary: (s) => s.node('b').crashed || received(s).length < 2, properties: [] });
    const without = check(set(false));
    const withHistory = check(set(true));
    expect(without).toMatchObject({ verdict: 'ok', distinct: 5 });
    expect(withHistory).toMatchObject({ verdict: 'ok', distinct: 7 });
  });
});
