import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prng } from './register-histories.ts';
import {
  checkListAppend,
  describeListAppend,
  MalformedHistoryError,
  type ListAppendAnomaly,
  type ListAppendResult,
  type ListElement,
  type MicroOp,
  type Op,
} from '../../src/history/index.ts';

type Status = 'ok' | 'fail' | 'info';

/**
 * A list-append history of transactions run one after another: each row is invoked (its reads
 * `null`) and completed with the micro-ops as given. The checker does not use real time, so
 * sequential rows can still show any anomaly.
 */
function txns(...rows: ReadonlyArray<readonly [Status, ReadonlyArray<MicroOp>]>): Op[] {
  const history: Op[] = [];
  rows.forEach(([status, mops], process) => {
    const request = mops.map((mop) => (mop[0] === 'r' ? ['r', mop[1], null] : mop));
    history.push({ process, type: 'invoke', f: 'txn', value: request, time: history.length });
    history.push({ process, type: status, f: 'txn', value: status === 'ok' ? mops : request, time: history.length });
  });
  return history;
}
const a = (key: string, element: ListElement): MicroOp => ['append', key, element];
const r = (key: string, list: readonly ListElement[] | null): MicroOp => ['r', key, list];

const only = <K extends ListAppendAnomaly['kind']>(result: ListAppendResult, kind: K) => {
  expect(result.valid).toBe(false);
  const found = result.anomalies.filter((anomaly): anomaly is Extract<ListAppendAnomaly, { kind: K }> => anomaly.kind === kind);
  expect(found, describeListAppend(result)).toHaveLength(1);
  return found[0]!;
};
const cycleOf = (anomaly: ListAppendAnomaly) => ('cycle' in anomaly ? anomaly.cycle.map((step) => `T${step.from}-${step.type}->T${step.to}`) : []);

describe('list-append (Elle)', () => {
  it('finds nothing in a serial history', () => {
    const result = checkListAppend(
      txns(
        ['ok', [a('x', 1), r('x', [1])]],
        ['ok', [r('x', [1]), a('x', 2), a('y', 1)]],
        ['fail', [a('x', 3)]],
        ['ok', [r('x', [1, 2]), r('y', [1]), a('y', 2), r('y', [1, 2])]],
        ['info', [a('x', 4)]],
        ['ok', [r('x', [1, 2, 4]), r('z', null)]],
      ),
    );
    expect(result).toMatchObject({ valid: true, anomalyKinds: [], stats: { txns: 6, ok: 4, info: 1, fail: 1, keys: 3 } });
    expect(result.stats.edges.ww).toBeGreaterThan(0);
    expect(describeListAppend(result)).toMatch(/^list-append: serializable, no anomaly — 6 transactions \(4 ok, 1 info, 1 failed\), 3 keys, /);
  });

  it('G0: a cycle of write-write dependencies', () => {
    const result = checkListAppend(txns(['ok', [a('x', 1), a('y', 1)]], ['ok', [a('x', 2), a('y', 2)]], ['ok', [r('x', [1, 2]), r('y', [2, 1])]]));
    const anomaly = only(result, 'G0');
    expect(result.anomalyKinds).toEqual(['G0']);
    expect(cycleOf(anomaly).sort()).toEqual(['T0-ww->T1', 'T1-ww->T0']);
    const text = describeListAppend(result);
    expect(text).toContain('G0 (write cycle): a cycle of write-write dependencies');
    expect(text).toMatch(/T[01] –ww→ T[01] on [xy]: T[01] appended [12] right after T[01]'s [12]/);
    expect(text).toContain('    T0 = p0 txn [[append x 1] [append y 1]] → ok (#0–#1, 0–1 ms)');
  });

  it('G1a: an aborted read', () => {
    const result = checkListAppend(txns(['fail', [a('x', 1)]], ['ok', [r('x', [1])]]));
    const anomaly = only(result, 'G1a');
    expect(anomaly).toMatchObject({ reader: { id: 1 }, writer: { id: 0, status: 'fail' }, key: 'x', element: 1 });
    expect(describeListAppend(result)).toContain('T1 read x = [1], with 1 appended by failed T0');
  });

  it('G1b: an intermediate read', () => {
    const result = checkListAppend(txns(['ok', [a('x', 1), a('x', 2)]], ['ok', [r('x', [1])]]));
    const anomaly = only(result, 'G1b');
    expect(anomaly).toMatchObject({ reader: { id: 1 }, writer: { id: 0 }, key: 'x', element: 1, final: 2 });
    expect(describeListAppend(result)).toContain("T1 read x = [1], ending in 1, but T0's final append to x is 2");
  });

  it('G1c: circular information flow', () => {
    const result = checkListAppend(txns(['ok', [a('x', 1), r('y', [1])]], ['ok', [a('y', 1), r('x', [1])]]));
    const anomaly = only(result, 'G1c');
    expect(result.anomalyKinds).toEqual(['G1c']);
    expect(cycleOf(anomaly).sort()).toEqual(['T0-wr->T1', 'T1-wr->T0']);
    expect(describeListAppend(result)).toMatch(/T0 –wr→ T1 on x: T1 read \[1\], whose last element 1 T0 appended/);
  });

  it('G-single: a lost update, a cycle with one anti-dependency', () => {
    const result = checkListAppend(txns(['ok', [r('x', null), a('x', 1)]], ['ok', [r('x', null), a('x', 2)]], ['ok', [r('x', [1, 2])]]));
    const anomaly = only(result, 'G-single');
    expect(result.anomalyKinds).toEqual(['G-single']);
    expect(cycleOf(anomaly).sort()).toEqual(['T0-ww->T1', 'T1-rw->T0']);
    expect(describeListAppend(result)).toContain('T1 –rw→ T0 on x: T1 read empty, and T0 appended the next element, 1');
  });

  it('G2: write skew, a cycle of two anti-dependencies', () => {
    const result = checkListAppend(
      txns(['ok', [r('x', null), r('y', null), a('x', 1)]], ['ok', [r('x', null), r('y', null), a('y', 1)]], ['ok', [r('x', [1]), r('y', [1])]]),
    );
    const anomaly = only(result, 'G2');
    expect(result.anomalyKinds).toEqual(['G2']);
    expect(cycleOf(anomaly).sort()).toEqual(['T0-rw->T1', 'T1-rw->T0']);
    expect(describeListAppend(result)).toContain('G2 (anti-dependency cycle)');
  });

  it('incompatible orders: reads that are not prefixes of one another', () => {
    const result = checkListAppend(txns(['ok', [a('x', 1)]], ['ok', [a('x', 2)]], ['ok', [r('x', [1, 2])]], ['ok', [r('x', [2, 1])]]));
    const anomaly = only(result, 'incompatible-order');
    expect(result.anomalyKinds).toEqual(['incompatible-order']);
    expect(anomaly.key).toBe('x');
    expect(anomaly.reads.map((read) => [read.txn.id, read.read])).toEqual([
      [3, [2, 1]],
      [2, [1, 2]],
    ]);
    expect(describeListAppend(result)).toContain('T3 read [2 1]');
  });

  it('duplicate elements, garbage reads and internal inconsistencies', () => {
    expect(only(checkListAppend(txns(['ok', [a('x', 1)]], ['ok', [r('x', [1, 1])]])), 'duplicate-elements')).toMatchObject({ duplicates: [1] });
    expect(only(checkListAppend(txns(['ok', [r('x', [7])]])), 'garbage-read')).toMatchObject({ element: 7 });
    const internal = checkListAppend(txns(['ok', [a('x', 1), r('x', [])]]));
    expect(only(internal, 'internal')).toMatchObject({ key: 'x', read: [], expected: { prefix: null, suffix: [1] } });
    expect(describeListAppend(internal)).toContain('T0 read x = empty, but its own earlier operations imply a list ending in [1]');
    const reread = checkListAppend(txns(['ok', [a('x', 5)]], ['ok', [r('x', [5]), a('x', 6), r('x', [5])]]));
    expect(only(reread, 'internal')).toMatchObject({ expected: { prefix: [5], suffix: [6] } });
  });

  it('counts info transactions that were seen, and refuses malformed ones', () => {
    // An info transaction's append, once read, committed: its edges count.
    const seen = checkListAppend(txns(['info', [a('x', 1), a('y', 1)]], ['ok', [a('x', 2), a('y', 2)]], ['ok', [r('x', [1, 2]), r('y', [2, 1])]]));
    expect(seen.anomalyKinds).toEqual(['G0']);
    expect(() => checkListAppend(txns(['ok', [a('x', 1)]], ['ok', [a('x', 1)]]))).toThrow(/unique appends per key, but 1 is appended to x by T0 and T1/);
    expect(() => checkListAppend([{ process: 0, type: 'invoke', f: 'txn', value: [['incr', 'x', 1]], time: 0 }])).toThrow(MalformedHistoryError);
  });

  it('finds no anomaly in any serial execution of random transactions (500 runs)', () => {
    const mop = fc.record({ read: fc.boolean(), key: fc.constantFrom('x', 'y', 'z') });
    const txn = fc.record({ mops: fc.array(mop, { minLength: 1, maxLength: 5 }), outcome: fc.constantFrom('ok', 'ok', 'ok', 'fail', 'info'), applied: fc.boolean() });
    let transactions = 0;
    fc.assert(
      fc.property(fc.array(txn, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (plan, processes) => {
        const store = new Map<string, ListElement[]>();
        let counter = 0;
        const history: Op[] = [];
        let nextProcess = processes;
        const slots = Array.from({ length: processes }, (_, i) => i);
        plan.forEach((t, i) => {
          const slot = i % processes;
          const process = slots[slot]!;
          const working = new Map([...store].map(([k, v]) => [k, [...v]]));
          const mops: MicroOp[] = t.mops.map((m) => {
            if (m.read) return ['r', m.key, working.has(m.key) ? [...working.get(m.key)!] : null];
            const element = ++counter;
            working.set(m.key, [...(working.get(m.key) ?? []), element]);
            return ['append', m.key, element];
          });
          const request = mops.map((m) => (m[0] === 'r' ? ['r', m[1], null] : m));
          history.push({ process, type: 'invoke', f: 'txn', value: request, time: history.length });
          // ok commits; fail does not; info may or may not.
          if (t.outcome === 'ok' || (t.outcome === 'info' && t.applied)) for (const [k, v] of working) store.set(k, v);
          history.push({ process, type: t.outcome, f: 'txn', value: t.outcome === 'ok' ? mops : request, time: history.length });
          if (t.outcome === 'info') slots[slot] = nextProcess++;
          transactions++;
        });
        const result = checkListAppend(history);
        if (!result.valid) throw new Error(describeListAppend(result));
      }),
      { numRuns: 500 },
    );
    expect(transactions).toBeGreaterThan(500 * 5);
  });

  /**
   * `count` transactions of 10 clients over 10 keys, each reading some keys and then appending to
   * some, committed one at a time; with `staleness` > 0, reads come from the store as it was that
   * many commits earlier (a replica that lags), which breaks serializability.
   */
  const store = (count: number, staleness: number, seed = 7): Op[] => {
    const random = prng(seed);
    const lists = new Map<string, ListElement[]>();
    const past: Array<Map<string, ListElement[]>> = [];
    const history: Op[] = [];
    let counter = 0;
    for (let i = 0; i < count; i++) {
      const view = staleness > 0 && past.length >= staleness ? past[past.length - staleness]! : lists;
      const keys = Array.from({ length: 4 }, () => `k${Math.floor(random() * 10)}`);
      const mops: MicroOp[] = [...keys.slice(0, 2).map((k): MicroOp => ['r', k, [...(view.get(k) ?? [])]]), ...keys.slice(2).map((k): MicroOp => ['append', k, ++counter])];
      for (const mop of mops) if (mop[0] === 'append') lists.set(String(mop[1]), [...(lists.get(String(mop[1])) ?? []), mop[2]]);
      past.push(new Map(lists));
      if (past.length > 10) past.shift();
      history.push({ process: i % 10, type: 'invoke', f: 'txn', value: mops.map((m) => (m[0] === 'r' ? ['r', m[1], null] : m)), time: history.length });
      history.push({ process: i % 10, type: 'ok', f: 'txn', value: mops, time: history.length });
    }
    return history;
  };

  it('checks 10,000 transactions of a serializable store quickly', () => {
    const history = store(10_000, 0);
    const started = performance.now();
    const result = checkListAppend(history);
    const ms = performance.now() - started;
    console.log(`${describeListAppend(result)} — checked in ${ms.toFixed(0)} ms`);
    expect(result.valid).toBe(true);
    expect(result.stats.edges.rw).toBeGreaterThan(1000);
    expect(ms).toBeLessThan(10_000);
  });

  it('catches a store whose reads lag two commits behind, printing a short cycle', () => {
    const result = checkListAppend(store(2000, 2));
    expect(result.valid).toBe(false);
    expect(result.anomalyKinds.filter((kind) => kind === 'G-single' || kind === 'G2').length).toBeGreaterThan(0);
    const cycle = result.anomalies.find((anomaly) => anomaly.kind === 'G-single')!;
    expect(cycle).toBeDefined();
    expect('cycle' in cycle && cycle.cycle.filter((step) => step.type === 'rw')).toHaveLength(1);
    console.log(describeListAppend(result).split('\n').slice(0, 12).join('\n'));
  });
});
