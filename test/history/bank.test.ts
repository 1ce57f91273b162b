import { describe, expect, it } from 'vitest';
import { checkBank, describeBank, formatBadRead, type Op } from '../../src/history/index.ts';

/** A bank history: [process, type, f, value, time]. */
const bank = (...rows: ReadonlyArray<readonly [number, Op['type'], string, unknown, number]>): Op[] =>
  rows.map(([process, type, f, value, time]) => ({ process, type, f, value, time }));

const accounts = ['a', 'b', 'c'];

describe('the bank checker', () => {
  it('accepts reads that all sum to the total, ignoring transfers and failed or unknown reads', () => {
    const history = bank(
      [0, 'invoke', 'read', null, 1],
      [0, 'ok', 'read', { a: 50, b: 30, c: 20 }, 2],
      [1, 'invoke', 'transfer', { from: 'a', to: 'b', amount: 10 }, 3],
      [2, 'invoke', 'read', null, 4],
      [1, 'ok', 'transfer', { from: 'a', to: 'b', amount: 10 }, 5],
      [2, 'ok', 'read', [['a', 40], ['b', 40], ['c', 20]], 6],
      [0, 'invoke', 'read', null, 7],
      [0, 'info', 'read', null, 8],
      [3, 'invoke', 'read', null, 9],
      [3, 'fail', 'read', { a: 999 }, 10],
    );
    const result = checkBank(history, { total: 100, accounts });
    expect(result).toMatchObject({ valid: true, reads: 2, badReads: [] });
    expect(describeBank(result)).toBe('bank: valid — 2 reads, every one summing to 100');
  });

  it('reports each bad read with its time, process and sums', () => {
    const history = bank(
      [0, 'invoke', 'read', null, 1],
      [0, 'ok', 'read', { a: 50, b: 30, c: 20 }, 2],
      [1, 'invoke', 'read', null, 3],
      [1, 'ok', 'read', { a: 40, b: 30, c: 20 }, 4.25], // a transfer's debit without its credit
      [2, 'invoke', 'read', null, 5],
      [2, 'ok', 'read', { a: -10, b: 90, c: 20 }, 6], // overdrawn
      [0, 'invoke', 'read', null, 7],
      [0, 'ok', 'read', { a: 50, b: 50, d: 0 }, 8], // c missing, d unexpected
      [1, 'invoke', 'read', null, 9],
      [1, 'ok', 'read', { a: 50, b: 50, c: null }, 10],
    );
    const result = checkBank(history, { total: 100, accounts });
    expect(result.valid).toBe(false);
    expect(result.reads).toBe(5);
    expect(result.badReads.map((bad) => [bad.index, bad.time, bad.process, bad.sum, bad.kinds])).toEqual([
      [3, 4.25, 1, 90, ['wrong-total']],
      [5, 6, 2, 100, ['negative']],
      [7, 8, 0, 100, ['missing-account', 'unexpected-account']],
      [9, 10, 1, 100, ['not-a-number']],
    ]);
    expect(result.byKind).toEqual({ 'wrong-total': 1, negative: 1, 'missing-account': 1, 'unexpected-account': 1, 'not-a-number': 1 });
    expect(describeBank(result)).toBe(
      [
        'bank: INVALID — 4 of 5 reads are bad (1 wrong-total, 1 negative, 1 missing-account, 1 unexpected-account, 1 not-a-number); the total is 100',
        '  #3 at 4.25 ms, p1: sum 90 ≠ 100 (off by -10) — read {a 40, b 30, c 20}',
        '  #5 at 6 ms, p2: negative: a — read {a -10, b 90, c 20}',
        '  #7 at 8 ms, p0: missing: c; unexpected: d — read {a 50, b 50, d 0}',
        '  #9 at 10 ms, p1: not numbers: c — read {a 50, b 50, c null}',
      ].join('\n'),
    );
    expect(formatBadRead(result.badReads[0]!)).toBe('p1 read {a 40, b 30, c 20} → ok (#2–#3, 3–4.25 ms): sum 90, expected 100 (wrong-total)');
  });

  it('allows negative balances when the model does, and any accounts when none are named', () => {
    const history = bank([0, 'invoke', 'read', null, 0], [0, 'ok', 'read', { x: -5, y: 105 }, 1]);
    expect(checkBank(history, { total: 100, allowNegative: true }).valid).toBe(true);
    expect(checkBank(history, { total: 100 }).badReads[0]!.negative).toEqual(['x']);
  });
});
