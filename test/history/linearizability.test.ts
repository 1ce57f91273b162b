import { describe, expect, it } from 'vitest';
import {
  checkLinearizability,
  describeLinearizability,
  MalformedHistoryError,
  register,
  registerModel,
  type LinearizabilityResult,
  type Op,
} from '../../src/history/index.ts';
import { events } from './register-histories.ts';

const check = (history: readonly Op[], options = {}) => checkLinearizability(history, register, options);
const failureOf = (result: LinearizabilityResult) => {
  if (result.valid !== false) throw new Error(`expected a violation, got ${describeLinearizability(result)}`);
  return result;
};

describe('linearizability of register histories built by hand', () => {
  it('accepts a sequential history and reads of a missing key as null', () => {
    const history = events(
      [0, 'invoke', 'read', ['x', null]],
      [0, 'ok', 'read', ['x', null]],
      [0, 'invoke', 'write', ['x', 1]],
      [0, 'ok', 'write', ['x', 1]],
      [1, 'invoke', 'read', ['x', null]],
      [1, 'ok', 'read', ['x', 1]],
    );
    expect(check(history)).toMatchObject({ valid: true, stats: { ops: 3, keys: 1 } });
  });

  it('rejects a read of null after a completed write', () => {
    const history = events(
      [0, 'invoke', 'write', ['x', 1]],
      [0, 'ok', 'write', ['x', 1]],
      [1, 'invoke', 'read', ['x', null]],
      [1, 'ok', 'read', ['x', null]],
    );
    expect(check(history)).toMatchObject({ valid: false, key: 'x' });
  });

  it('rejects a stale read after a completed write, naming the read, the prefix and the state', () => {
    const history = events(
      [0, 'invoke', 'write', ['x', 1]],
      [0, 'ok', 'write', ['x', 1]],
      [0, 'invoke', 'write', ['x', 2]],
      [0, 'ok', 'write', ['x', 2]],
      [1, 'invoke', 'read', ['x', null]],
      [1, 'ok', 'read', ['x', 1]],
    );
    const result = failureOf(check(history));
    expect(result.key).toBe('x');
    expect(result.failure.op).toMatchObject({ f: 'read', value: ['x', 1], start: 4, end: 5 });
    expect(result.failure.linearized.map((step) => [step.op.start, step.state])).toEqual([
      [0, 1],
      [2, 2],
    ]);
    expect(result.failure.states).toEqual([2]);
    expect(result.failure.reasons).toEqual(['read 1, but the register holds 2']);
    const text = describeLinearizability(result);
    expect(text).toContain('NOT linearizable (register model) on key x');
    expect(text).toContain('p1 read [x 1] → ok (#4–#5, 4–5 ms)');
    expect(text).toContain('2: read 1, but the register holds 2');
    expect(text).toContain('Longest linearizable prefix found: 2 of the key');
    expect(text).toContain('p0 write [x 2] → ok (#2–#3, 2–3 ms)  ⇒ 2');
  });

  it('lets a read concurrent with a write see either value', () => {
    for (const seen of [null, 1]) {
      const history = events(
        [0, 'invoke', 'write', ['x', 1]],
        [1, 'invoke', 'read', ['x', null]],
        [1, 'ok', 'read', ['x', seen]],
        [0, 'ok', 'write', ['x', 1]],
      );
      expect(check(history).valid).toBe(true);
    }
  });

  it('rejects a read that un-sees a write another read concurrent with it already saw', () => {
    // p1 sees 1, then (later, p1 again) null: the write cannot be undone.
    const history = events(
      [0, 'invoke', 'write', ['x', 1]],
      [1, 'invoke', 'read', ['x', null]],
      [1, 'ok', 'read', ['x', 1]],
      [1, 'invoke', 'read', ['x', null]],
      [1, 'ok', 'read', ['x', null]],
      [0, 'ok', 'write', ['x', 1]],
    );
    expect(check(history)).toMatchObject({ valid: false, failure: { op: { start: 3, end: 4 } } });
  });

  /** Two concurrent writes of 1 and 2, and two readers, each reading twice while both are pending. */
  const twoWriters = (first: readonly [number, number], second: readonly [number, number]) =>
    events(
      [0, 'invoke', 'write', ['x', 1]],
      [1, 'invoke', 'write', ['x', 2]],
      [2, 'invoke', 'read', ['x', null]],
      [2, 'ok', 'read', ['x', first[0]]],
      [3, 'invoke', 'read', ['x', null]],
      [3, 'ok', 'read', ['x', second[0]]],
      [2, 'invoke', 'read', ['x', null]],
      [2, 'ok', 'read', ['x', first[1]]],
      [3, 'invoke', 'read', ['x', null]],
      [3, 'ok', 'read', ['x', second[1]]],
      [0, 'ok', 'write', ['x', 1]],
      [1, 'ok', 'write', ['x', 2]],
    );

  it('accepts concurrent writes when every reader sees them in the same order', () => {
    expect(check(twoWriters([1, 2], [1, 2])).valid).toBe(true);
    expect(check(twoWriters([2, 1], [2, 1])).valid).toBe(true);
    expect(check(twoWriters([1, 2], [2, 2])).valid).toBe(true);
  });

  it('rejects concurrent writes that two readers see in opposite orders', () => {
    const result = failureOf(check(twoWriters([1, 2], [2, 1])));
    expect(result.failure.op).toMatchObject({ f: 'read', process: 3, value: ['x', 1] });
    expect(result.failure.states).toEqual([2]);
  });

  it('lists the operations pending when the bad one completed that the prefix leaves out', () => {
    const history = events([0, 'invoke', 'cas', ['x', [5, 6]]], [1, 'invoke', 'write', ['x', 1]], [1, 'ok', 'write', ['x', 1]], [1, 'invoke', 'read', ['x', null]], [1, 'ok', 'read', ['x', 3]]);
    const result = failureOf(check(history));
    expect(result.failure.concurrent.map((op) => op.f)).toEqual(['cas']);
    expect(describeLinearizability(result)).toContain('Pending when it completed, not in that prefix:\n    p0 cas [x [5 6]] → info (#0–∞, from 0 ms)');
  });

  it('rejects a value that nobody wrote', () => {
    const history = events([0, 'invoke', 'write', ['x', 1]], [1, 'invoke', 'read', ['x', null]], [1, 'ok', 'read', ['x', 3]], [0, 'ok', 'write', ['x', 1]]);
    expect(check(history).valid).toBe(false);
  });

  it('checks compare-and-set: one of two concurrent cas from the same value can succeed, not both', () => {
    const prefix = events([0, 'invoke', 'write', ['x', 0]], [0, 'ok', 'write', ['x', 0]]);
    const both = [
      ...prefix,
      ...events([1, 'invoke', 'cas', ['x', [0, 1]]], [2, 'invoke', 'cas', ['x', [0, 2]]], [1, 'ok', 'cas', ['x', [0, 1]]], [2, 'ok', 'cas', ['x', [0, 2]]]).map((op, i) => ({
        ...op,
        time: i + 2,
      })),
    ];
    const result = failureOf(check(both));
    expect(result.failure.reasons.every((reason) => /^cas expects 0, but the register holds [12]$/.test(reason))).toBe(true);
    const oneFails = both.map((op, i) => (i === 5 ? { ...op, type: 'fail' as const } : op));
    expect(check(oneFails).valid).toBe(true);
    const thenRead = [...oneFails, { process: 3, type: 'invoke' as const, f: 'read', value: ['x', null], time: 6 }, { process: 3, type: 'ok' as const, f: 'read', value: ['x', 1], time: 7 }];
    expect(check(thenRead).valid).toBe(true);
    const readsTheLoser = thenRead.map((op, i) => (i === 7 ? { ...op, value: ['x', 2] } : op));
    expect(check(readsTheLoser).valid).toBe(false);
  });

  it('accepts a cas that follows a write it saw, and rejects one whose expected value was never there', () => {
    const good = events([0, 'invoke', 'write', ['x', 5]], [0, 'ok', 'write', ['x', 5]], [1, 'invoke', 'cas', ['x', [5, 6]]], [1, 'ok', 'cas', ['x', [5, 6]]], [0, 'invoke', 'read', ['x', null]], [0, 'ok', 'read', ['x', 6]]);
    expect(check(good).valid).toBe(true);
    const bad = events([0, 'invoke', 'write', ['x', 5]], [0, 'ok', 'write', ['x', 5]], [1, 'invoke', 'cas', ['x', [4, 6]]], [1, 'ok', 'cas', ['x', [4, 6]]]);
    expect(failureOf(check(bad)).failure.reasons).toEqual(['cas expects 4, but the register holds 5']);
  });

  it('supports a register with an initial value and deletes', () => {
    const history = events([0, 'invoke', 'read', ['x', null]], [0, 'ok', 'read', ['x', 0]], [0, 'invoke', 'delete', ['x', null]], [0, 'ok', 'delete', ['x', null]], [0, 'invoke', 'read', ['x', null]], [0, 'ok', 'read', ['x', null]]);
    expect(checkLinearizability(history, registerModel(0)).valid).toBe(true);
    expect(checkLinearizability(history, register).valid).toBe(false);
  });
});

describe('info and fail operations', () => {
  const infoWrite = events([0, 'invoke', 'write', ['x', 1]], [0, 'info', 'write', ['x', 1]]);
  const read = (process: number, value: unknown): Op[] => [
    { process, type: 'invoke', f: 'read', value: ['x', null], time: 0 },
    { process, type: 'ok', f: 'read', value: ['x', value], time: 0 },
  ];
  const timed = (ops: Op[]) => ops.map((op, time) => ({ ...op, time }));

  it('an info write may have happened: a later read may see it', () => {
    expect(check(timed([...infoWrite, ...read(1, 1)])).valid).toBe(true);
  });

  it('an info write may not have happened: a later read may miss it', () => {
    expect(check(timed([...infoWrite, ...read(1, null)])).valid).toBe(true);
  });

  it('an info write may take effect long after its info: a miss, then a hit', () => {
    expect(check(timed([...infoWrite, ...read(1, null), ...read(1, null), ...read(2, 1)])).valid).toBe(true);
  });

  it('an info write happens at most once: a hit, then a miss is not linearizable', () => {
    expect(check(timed([...infoWrite, ...read(1, 1), ...read(2, null)])).valid).toBe(false);
  });

  it('an invocation with no completion is info', () => {
    const pending = events([0, 'invoke', 'write', ['x', 1]]);
    expect(check(timed([...pending, ...read(1, null), ...read(1, 1)])).valid).toBe(true);
    expect(check(timed([...pending, ...read(1, 1), ...read(1, null)])).valid).toBe(false);
  });

  it('an info cas takes effect only where its expected value holds', () => {
    const setup = events([0, 'invoke', 'write', ['x', 0]], [0, 'ok', 'write', ['x', 0]], [1, 'invoke', 'cas', ['x', [0, 1]]], [1, 'info', 'cas', ['x', [0, 1]]]);
    expect(check(timed([...setup, ...read(2, 1)])).valid).toBe(true);
    expect(check(timed([...setup, ...read(2, 0)])).valid).toBe(true);
    const overwritten = [...setup, ...events([2, 'invoke', 'write', ['x', 5]], [2, 'ok', 'write', ['x', 5]])];
    // After 5 is written, the cas (expecting 0) can no longer take effect.
    expect(check(timed([...overwritten, ...read(3, 1)])).valid).toBe(false);
  });

  it('info reads constrain nothing and are dropped', () => {
    const history = timed([...events([0, 'invoke', 'write', ['x', 1]], [0, 'ok', 'write', ['x', 1]], [1, 'invoke', 'read', ['x', null]], [1, 'info', 'read', ['x', 7]])]);
    expect(check(history)).toMatchObject({ valid: true, stats: { ops: 2, searched: 1 } });
  });

  it('a failed write certainly did not happen: reading its value is not linearizable', () => {
    const failed = events([0, 'invoke', 'write', ['x', 1]], [0, 'fail', 'write', ['x', 1]]);
    expect(check(timed([...failed, ...read(1, null)]))).toMatchObject({ valid: true, stats: { searched: 1 } });
    expect(check(timed([...failed, ...read(1, 1)])).valid).toBe(false);
  });
});

describe('independent keys', () => {
  it('checks each key on its own and reports the failing key among others', () => {
    const history = events(
      [0, 'invoke', 'write', ['x', 1]],
      [1, 'invoke', 'write', ['y', 1]],
      [0, 'ok', 'write', ['x', 1]],
      [1, 'ok', 'write', ['y', 1]],
      [0, 'invoke', 'read', ['y', null]],
      [0, 'ok', 'read', ['y', 1]],
      [1, 'invoke', 'read', ['x', null]],
      [1, 'ok', 'read', ['x', null]],
    );
    const result = failureOf(check(history));
    expect(result).toMatchObject({ key: 'x', stats: { keys: 2, ops: 4 } });
    expect(result.failures.map((f) => f.key)).toEqual(['x']);
  });

  it('treats the whole history as one register when not independent', () => {
    const history = events([0, 'invoke', 'write', 3], [0, 'ok', 'write', 3], [1, 'invoke', 'read', null], [1, 'ok', 'read', 3]);
    expect(checkLinearizability(history, register, { independent: false })).toMatchObject({ valid: true, stats: { keys: 1 } });
    const bad = history.map((op, i) => (i === 3 ? { ...op, value: 4 } : op));
    const result = failureOf(checkLinearizability(bad, register, { independent: false }));
    expect(result.key).toBeUndefined();
    expect(describeLinearizability(result)).toContain('on the history');
  });

  it('refuses values that are not [key, value] in an independent history', () => {
    expect(() => check(events([0, 'invoke', 'write', 3], [0, 'ok', 'write', 3]))).toThrow(MalformedHistoryError);
    expect(() => check(events([0, 'invoke', 'write', ['x', 3]], [0, 'ok', 'write', ['y', 3]]))).toThrow(/completion key y differs from the invocation's x/);
  });

  it('refuses an operation the model does not know', () => {
    expect(() => check(events([0, 'invoke', 'incr', ['x', 1]], [0, 'ok', 'incr', ['x', 1]]))).toThrow(/no operation "incr"/);
  });
});

describe('the search budget', () => {
  /**
   * 20 concurrent writes and a read concurrent with them all that returns a value nobody wrote:
   * every subset of the writes, in every order, is a configuration to rule out.
   */
  const explosive = (): Op[] => {
    const ops: Op[] = [];
    for (let p = 0; p < 20; p++) ops.push({ process: p, type: 'invoke', f: 'write', value: ['x', p], time: ops.length });
    ops.push({ process: 'reader', type: 'invoke', f: 'read', value: ['x', null], time: ops.length });
    ops.push({ process: 'reader', type: 'ok', f: 'read', value: ['x', 99], time: ops.length });
    for (let p = 0; p < 20; p++) ops.push({ process: p, type: 'ok', f: 'write', value: ['x', p], time: ops.length });
    return ops;
  };

  it('returns unknown when the step budget runs out', () => {
    const result = check(explosive(), { maxSteps: 20_000 });
    expect(result).toMatchObject({ valid: 'unknown', unknown: [{ key: 'x', reason: 'the step budget of 20000 ran out' }] });
    expect(describeLinearizability(result)).toMatch(/^unknown \(register model\): no violation found, but the search gave up on 1 key/);
  });

  it('returns unknown when the time budget runs out', () => {
    let clock = 0;
    const result = check(explosive(), { timeoutMs: 1000, now: () => (clock += 100) });
    expect(result).toMatchObject({ valid: 'unknown', unknown: [{ key: 'x', reason: 'the time budget of 1000 ms ran out' }] });
  });

  it('still reports a violation on one key when another key runs out of budget', () => {
    const ops = explosive().map((op) => ({ ...op, value: ['y', (op.value as [string, unknown])[1]] }));
    const stale = events(['w', 'invoke', 'write', ['x', 1]], ['w', 'ok', 'write', ['x', 1]], ['w', 'invoke', 'read', ['x', null]], ['w', 'ok', 'read', ['x', null]]);
    const result = failureOf(check([...ops, ...stale.map((op, i) => ({ ...op, time: ops.length + i }))], { maxSteps: 5000 }));
    expect(result.key).toBe('x');
    expect(result.unknown.map((u) => u.key)).toEqual(['y']);
    expect(describeLinearizability(result)).toContain('Keys the search gave up on:');
  });
});
