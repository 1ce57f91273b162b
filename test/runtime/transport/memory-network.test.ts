import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/node/index.ts';
import { ManualClock } from '../../../src/runtime/manual-clock.ts';
import { MemoryNetwork, type NetworkFaults } from '../../../src/runtime/transport/memory-network.ts';

/** Three endpoints a, b, c that record what they receive. */
function networkOf(faults: NetworkFaults = {}, seed = 1) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ seed, clock, faults });
  const received: Record<string, [string, Message][]> = { a: [], b: [], c: [] };
  const endpoints = Object.fromEntries(
    ['a', 'b', 'c'].map((id) => {
      const endpoint = network.endpoint(id);
      endpoint.onMessage((from, message) => received[id]!.push([from, message]));
      return [id, endpoint];
    }),
  );
  return { clock, network, received, endpoints };
}

describe('MemoryNetwork', () => {
  it('delivers a copy of each message after its delay, naming the sender', () => {
    const { clock, received, endpoints } = networkOf({ delayMs: 10 });
    const message = { type: 'Ping', n: 1 };
    endpoints.a!.send('b', message);
    clock.advance(9);
    expect(received.b).toEqual([]);
    clock.advance(1);
    expect(received.b).toEqual([['a', { type: 'Ping', n: 1 }]]);
    expect(received.b![0]![1]).not.toBe(message);
  });

  it('cuts partitioned links both ways, losing messages already in flight, until healed', () => {
    const { clock, network, received, endpoints } = networkOf({ delayMs: 5 });
    endpoints.a!.send('b', { type: 'InFlight' });
    network.partition('a', ['b', 'c']);
    endpoints.b!.send('a', { type: 'Cut' });
    endpoints.b!.send('c', { type: 'Kept' });
    clock.advance(5);
    expect(received).toEqual({ a: [], b: [], c: [['b', { type: 'Kept' }]] });
    network.heal();
    endpoints.b!.send('a', { type: 'Healed' });
    clock.advance(5);
    expect(received.a).toEqual([['b', { type: 'Healed' }]]);
    expect(network.stats).toEqual({ sent: 4, delivered: 2, dropped: 2, duplicated: 0 });
  });

  it('drops by an explicit rule until the rule is removed', () => {
    const { clock, network, received, endpoints } = networkOf();
    const stop = network.drop((_from, to, message) => to === 'c' && message.type === 'Vote');
    endpoints.a!.send('c', { type: 'Vote' });
    endpoints.a!.send('c', { type: 'Other' });
    stop();
    endpoints.a!.send('c', { type: 'Vote' });
    clock.advance(0);
    expect(received.c!.map(([, m]) => m.type)).toEqual(['Other', 'Vote']);
  });

  it('injects loss, duplication and reordering at the configured rates, the same for the same seed', () => {
    const run = (seed: number) => {
      const { clock, network, received, endpoints } = networkOf({ dropProbability: 0.2, duplicateProbability: 0.2, delayMs: { min: 0, max: 50 } }, seed);
      for (let n = 0; n < 1000; n++) endpoints.a!.send('b', { type: 'M', n });
      clock.advance(50);
      return { stats: network.stats, order: received.b!.map(([, m]) => m.n as number) };
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    expect(run(8)).not.toEqual(first);
    const { stats, order } = first;
    // Binomial(1000, 0.2): 200 ± 4 standard deviations.
    expect(stats.dropped).toBeGreaterThan(150);
    expect(stats.dropped).toBeLessThan(250);
    expect(stats.duplicated).toBeGreaterThan(110);
    expect(stats.duplicated).toBeLessThan(210);
    expect(stats.delivered).toBe(1000 - stats.dropped + stats.duplicated);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it('loses messages to a closed endpoint, and lets a restarted node take its id again', async () => {
    const { clock, network, received, endpoints } = networkOf({ delayMs: 1 });
    await endpoints.b!.close();
    endpoints.a!.send('b', { type: 'Lost' });
    clock.advance(1);
    expect(network.stats.dropped).toBe(1);
    expect(() => network.endpoint('a')).toThrow(/a already has an open endpoint/);
    const b = network.endpoint('b');
    const again: string[] = [];
    b.onMessage((_from, message) => again.push(message.type));
    endpoints.a!.send('b', { type: 'Back' });
    clock.advance(1);
    expect(again).toEqual(['Back']);
    expect(received.b).toEqual([]);
  });

  it('refuses a fault setting out of range', () => {
    expect(() => new MemoryNetwork({ seed: 1, faults: { dropProbability: 1.5 } })).toThrow('dropProbability must lie in [0, 1], not 1.5');
    expect(() => new MemoryNetwork({ seed: 1, faults: { delayMs: { min: 5, max: 1 } } })).toThrow(/delayMs must be/);
    expect(() => new MemoryNetwork({ seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
