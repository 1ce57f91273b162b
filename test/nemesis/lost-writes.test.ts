import { describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../src/history/index.ts';
import { lostAppends } from '../../src/nemesis/workloads/list-append.ts';
import { lostRegisterWrites } from '../../src/nemesis/workloads/register.ts';

/** How the workloads count acknowledged writes lost, on histories written by hand. */
describe('lost acknowledged writes', () => {
  const recorder = () => {
    let t = 0;
    return new HistoryRecorder(() => t++);
  };

  it('register: a write acknowledged after the final value\'s writer had finished, yet not the final value, is lost', () => {
    const h = recorder();
    h.invoke(0, 'write', ['x', 1]);
    h.ok(0, ['x', 1]);
    h.invoke(1, 'write', ['x', 2]);
    h.ok(1, ['x', 2]);
    h.invoke(2, 'cas', ['x', [2, 3]]);
    h.ok(2, ['x', [2, 3]]);
    h.invoke(3, 'read', ['x', null]);
    h.ok(3, ['x', 1]);
    expect(lostRegisterWrites(h.history).count).toBe(2);
  });

  it('register: writes concurrent with the final value\'s writer, or overwritten, or unknown, are not lost', () => {
    const h = recorder();
    h.invoke(0, 'write', ['x', 1]);
    h.invoke(1, 'write', ['x', 2]);
    h.ok(1, ['x', 2]);
    h.ok(0, ['x', 1]);
    h.invoke(2, 'write', ['x', 3]);
    h.info(2);
    h.invoke(3, 'read', ['x', null]);
    h.ok(3, ['x', 1]);
    expect(lostRegisterWrites(h.history).count).toBe(0);
  });

  it('register: a final read of a missing key loses every acknowledged write of it', () => {
    const h = recorder();
    h.invoke(0, 'write', ['y', 5]);
    h.ok(0, ['y', 5]);
    h.invoke(1, 'read', ['y', null]);
    h.ok(1, ['y', null]);
    expect(lostRegisterWrites(h.history)).toMatchObject({ count: 1, detail: expect.stringContaining('y: write of 5') });
  });

  it('list-append: an element an ok transaction appended that the final read lacks is lost; a failed or unknown one is not', () => {
    const h = recorder();
    h.invoke(0, 'txn', [['append', 'l', 1]]);
    h.ok(0, [['append', 'l', 1]]);
    h.invoke(1, 'txn', [['append', 'l', 2]]);
    h.ok(1, [['append', 'l', 2]]);
    h.invoke(2, 'txn', [['append', 'l', 3]]);
    h.info(2);
    h.invoke(3, 'txn', [['append', 'l', 4]]);
    h.fail(3);
    h.invoke(4, 'txn', [['r', 'l', null]]);
    h.ok(4, [['r', 'l', [1]]]);
    expect(lostAppends(h.history)).toMatchObject({ count: 1, detail: expect.stringContaining('l: 2') });
  });
});
