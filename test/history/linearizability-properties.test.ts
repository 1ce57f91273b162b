import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizability, describeLinearizability, register, type Op } from '../../src/history/index.ts';
import { simulateRegister, type Choice } from './register-histories.ts';

const choice: fc.Arbitrary<Choice> = fc.record({ action: fc.nat(), f: fc.nat(), key: fc.nat(), value: fc.nat() });

/**
 * Linearizability by definition, with no cleverness: try every order of the operations that
 * respects real time (an operation may come next only if no `ok` operation still to place
 * completed before it was invoked), placing every `ok` operation and any subset of the `info` ones,
 * on a register of all keys at once. Pairing and the register are written again here, on purpose.
 */
function bruteForceLinearizable(history: readonly Op[]): boolean {
  interface Interval {
    readonly f: string;
    readonly key: string;
    readonly value: unknown;
    readonly ok: boolean;
    readonly start: number;
    end: number;
  }
  const ops: Interval[] = [];
  const open = new Map<unknown, Interval>();
  history.forEach((event, position) => {
    const [key, value] = event.value as [string, unknown];
    if (event.type === 'invoke') {
      const op = { f: event.f, key, value, ok: false, start: position, end: Infinity };
      open.set(event.process, op);
      ops.push(op);
      return;
    }
    const op = open.get(event.process)!;
    open.delete(event.process);
    if (event.type === 'ok') Object.assign(op, { ok: true, end: position, value });
    if (event.type === 'fail') ops.splice(ops.indexOf(op), 1);
  });
  const placed = new Array<boolean>(ops.length).fill(false);
  const search = (state: Record<string, unknown>): boolean => {
    if (ops.every((op, i) => placed[i] || !op.ok)) return true;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (placed[i] || ops.some((other, j) => !placed[j] && other.ok && other.end < op.start)) continue;
      const current = state[op.key] ?? null;
      let next = state;
      if (op.f === 'read') {
        if (op.ok && JSON.stringify(op.value) !== JSON.stringify(current)) continue;
      } else if (op.f === 'write') {
        next = { ...state, [op.key]: op.value };
      } else {
        const [expected, replacement] = op.value as [unknown, unknown];
        if (JSON.stringify(expected) !== JSON.stringify(current)) continue;
        next = { ...state, [op.key]: replacement };
      }
      placed[i] = true;
      const found = search(next);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search({});
}

describe('linearizability properties', () => {
  it('the brute force itself knows a stale read from a fresh one', () => {
    const history = (seen: unknown): Op[] =>
      [
        { process: 0, type: 'invoke', f: 'write', value: ['x', 1] },
        { process: 0, type: 'ok', f: 'write', value: ['x', 1] },
        { process: 1, type: 'invoke', f: 'read', value: ['x', null] },
        { process: 1, type: 'ok', f: 'read', value: ['x', seen] },
      ].map((op, time) => ({ ...op, time }) as Op);
    expect(bruteForceLinearizable(history(1))).toBe(true);
    expect(bruteForceLinearizable(history(null))).toBe(false);
  });

  it('accepts every history of a real register under random concurrency, crashes and late effects (400 runs)', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(choice, { minLength: 100, maxLength: 400 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), (choices, processes, keys) => {
        const history = simulateRegister(choices, { processes, keys, values: 4 });
        const result = checkLinearizability(history, register);
        if (result.valid !== true) throw new Error(describeLinearizability(result));
        checked += history.length;
      }),
      { numRuns: 400 },
    );
    console.log(`${checked} events in 400 generated register histories, all linearizable`);
    expect(checked).toBeGreaterThan(400 * 50);
  });

  /**
   * Random small histories from the simulation, then 1–3 mutations (an ok completion made info or
   * fail, a fail or info made ok, a read's or write's value changed, a cas's expected value
   * changed), each compared with the brute force.
   */
  const compareWithBruteForce = (
    runs: number,
    simulate: { processes: number; keys: number; values: number; crashPerMille: number; maxOps: number },
    atLeast = runs / 5,
  ) => {
    const verdicts = { valid: 0, invalid: 0, ops: 0, info: 0 };
    const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: -1, max: simulate.values - 1 }), type: fc.nat(5) });
    fc.assert(
      fc.property(
        fc.array(choice, { minLength: 8, maxLength: 40 }),
        fc.integer({ min: 1, max: simulate.processes }),
        fc.integer({ min: 1, max: simulate.keys }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (choices, processes, keys, mutations) => {
          const history = simulateRegister(choices, { ...simulate, processes, keys });
          const completions = history.flatMap((op, i) => (op.type === 'invoke' ? [] : [i]));
          const mutated = [...history];
          for (const m of mutations) {
            if (completions.length === 0) break;
            const i = completions[m.at % completions.length]!;
            const op = mutated[i]!;
            const [key, value] = op.value as [string, unknown];
            const changed = m.value === -1 ? null : m.value;
            if (m.type === 0 && op.type === 'ok') mutated[i] = { ...op, type: 'info' };
            else if (m.type === 1 && op.type === 'ok') mutated[i] = { ...op, type: 'fail' };
            else if (m.type === 2 && op.type !== 'ok') mutated[i] = { ...op, type: 'ok', value: op.f === 'read' ? [key, changed] : op.value };
            else if (op.f === 'read' || op.f === 'write') mutated[i] = { ...op, value: [key, changed] };
            else mutated[i] = { ...op, value: [key, [changed, (value as [unknown, unknown])[1]]] };
          }
          const expected = bruteForceLinearizable(mutated);
          const result = checkLinearizability(mutated, register);
          if (result.valid !== expected) {
            throw new Error(`brute force says ${expected}, the checker ${result.valid}: ${JSON.stringify(mutated)}\n${describeLinearizability(result)}`);
          }
          verdicts[expected ? 'valid' : 'invalid']++;
          const invoked = mutated.filter((op) => op.type === 'invoke').length;
          verdicts.ops += invoked;
          verdicts.info += invoked - mutated.filter((op) => op.type === 'ok' || op.type === 'fail').length;
        },
      ),
      { numRuns: runs },
    );
    console.log(
      `brute force vs checker: ${verdicts.valid} linearizable, ${verdicts.invalid} not, all agreeing ` +
        `(${(verdicts.ops / runs).toFixed(1)} operations, ${(verdicts.info / runs).toFixed(1)} of them info, on average)`,
    );
    // Both answers must be common, and histories not trivial, or the comparison proves little.
    expect(verdicts.valid).toBeGreaterThan(atLeast);
    expect(verdicts.invalid).toBeGreaterThan(atLeast);
    expect(verdicts.ops / runs).toBeGreaterThan(5);
    return verdicts;
  };

  it('agrees with a brute-force search on small histories with mutated values (10000 runs)', () => {
    compareWithBruteForce(10_000, { processes: 4, keys: 2, values: 3, maxOps: 8, crashPerMille: 120 });
  });

  it('agrees with a brute-force search on small histories full of info operations with repeated values (10000 runs)', () => {
    const verdicts = compareWithBruteForce(10_000, { processes: 5, keys: 1, values: 2, maxOps: 8, crashPerMille: 350 }, 1000);
    expect(verdicts.info / 10_000).toBeGreaterThan(1.5);
  });
});
