import { describe, expect, it } from 'vitest';
import { judge, passes, type JudgedResult } from '../../src/checker/index.ts';

const ok = (distinct: number): JudgedResult => ({ verdict: 'ok', distinct });
const violation = (property: string): JudgedResult => ({ verdict: 'violation', distinct: 10, violation: { property } });
const incomplete: JudgedResult = { verdict: 'incomplete', distinct: 1000, limitHit: 'maxStates' };
const check = { allowBounded: false, exhaustive: true };

describe('judge: a result against its record', () => {
  it('as recorded only when the result is the record', () => {
    expect(judge(ok(288), { verdict: 'ok', distinct: 288 }, check)).toEqual({ kind: 'recorded' });
    expect(judge(ok(36), { verdict: 'ok' }, check)).toEqual({ kind: 'recorded' });
    expect(judge(violation('TCConsistent'), { verdict: 'violation', property: 'TCConsistent' }, check)).toEqual({ kind: 'recorded' });
    expect(judge(ok(5), undefined, check)).toEqual({ kind: 'unrecorded' });
  });

  it('a departure names what differs', () => {
    expect(judge(ok(287), { verdict: 'ok', distinct: 288 }, check)).toEqual({ kind: 'differs', reason: '287 distinct states, where the model records 288' });
    expect(judge(violation('TCommit'), { verdict: 'violation', property: 'TCConsistent' }, check)).toMatchObject({ kind: 'differs' });
    expect(judge(violation('TCommit'), undefined, check)).toMatchObject({ kind: 'differs' });
    expect(judge(ok(288), { verdict: 'violation', property: 'TCConsistent' }, check)).toMatchObject({ kind: 'differs' });
  });

  it('a bounded run is never as recorded, and passes only when allowed and no violation is recorded', () => {
    for (const expected of [{ verdict: 'ok', distinct: 24_451 } as const, undefined]) {
      expect(passes(judge(incomplete, expected, check))).toBe(false);
      expect(judge(incomplete, expected, { ...check, allowBounded: true })).toMatchObject({ kind: 'bounded', accepted: true });
    }
    const missed = judge(incomplete, { verdict: 'violation', property: 'TCConsistent' }, { ...check, allowBounded: true });
    expect(missed).toEqual({ kind: 'bounded', accepted: false, reason: 'the run stopped at its bound (maxStates) without finding the recorded violation of TCConsistent' });
  });

  it('a simulation is bounded by nature', () => {
    const simulation = { allowBounded: true, exhaustive: false };
    expect(judge(ok(100), { verdict: 'ok', distinct: 288 }, simulation)).toMatchObject({ kind: 'bounded', accepted: true });
    expect(passes(judge(ok(100), { verdict: 'violation', property: 'TCConsistent' }, simulation))).toBe(false);
    expect(judge(violation('TCConsistent'), { verdict: 'violation', property: 'TCConsistent' }, simulation)).toEqual({ kind: 'recorded' });
  });
});
