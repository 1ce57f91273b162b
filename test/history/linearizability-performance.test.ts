import { describe, expect, it } from 'vitest';
import { checkLinearizability, describeLinearizability, pairOps, register, type Op } from '../../src/history/index.ts';
import { randomChoices, simulateRegister } from './register-histories.ts';

/**
 * 10,000 operations of 10 clients over 20 keys, about 13% of them info (timed out, or still
 * pending at the end) and as many failed.
 */
function bigHistory(seed: number): Op[] {
  const history = simulateRegister(randomChoices(seed, 60_000), { processes: 10, keys: 20, values: 50, maxOps: 10_000, crashPerMille: 60 });
  expect(history.filter((op) => op.type === 'invoke')).toHaveLength(10_000);
  const info = pairOps(history).filter((op) => op.type === 'info').length;
  expect(info).toBeGreaterThan(1000);
  return history;
}

describe('linearizability checker performance', () => {
  it('checks a 10,000-operation register history over 20 keys in well under 10 s', () => {
    const history = bigHistory(1);
    const started = performance.now();
    const result = checkLinearizability(history, register);
    const ms = performance.now() - started;
    console.log(`${describeLinearizability(result)} — checked in ${ms.toFixed(0)} ms`);
    expect(result.valid).toBe(true);
    expect(result.stats).toMatchObject({ keys: 20, ops: 10_000 });
    expect(ms).toBeLessThan(10_000);
  });

  it('finds one stale read among 10,000 operations as fast', () => {
    const history = bigHistory(3);
    // Make one read in the middle return a value no client ever wrote.
    const at = history.findIndex((op, i) => i > history.length / 2 && op.type === 'ok' && op.f === 'read');
    const [key] = history[at]!.value as [string, unknown];
    history[at] = { ...history[at]!, value: [key, 1000] };
    const started = performance.now();
    const result = checkLinearizability(history, register);
    const ms = performance.now() - started;
    console.log(`violation found in ${ms.toFixed(0)} ms:\n${describeLinearizability(result)}`);
    expect(result).toMatchObject({ valid: false, key, failure: { op: { end: at } } });
    expect(ms).toBeLessThan(10_000);
  });
});
