import { describe, expect, it } from 'vitest';
import { ReadIndexReads } from '../../src/service/read-index-reads.ts';
import type { TxnResult } from '../../src/service/txn.ts';

/** A hand-driven source: each read-index request waits until the test answers it. */
function source() {
  const asked: { resolve: (index: number) => void; reject: (error: Error) => void }[] = [];
  let applied = 0;
  return {
    asked,
    apply: (index: number) => (applied = index),
    source: { readIndex: () => new Promise<number>((resolve, reject) => asked.push({ resolve, reject })), appliedIndex: () => applied },
  };
}
const result = (revision: number): TxnResult => ({ committed: true, revision, results: [] });
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('ReadIndexReads: the host side of ReadIndex (thesis §6.4 step 4)', () => {
  it('serves a confirmed read only once the replica has applied through its read index', async () => {
    const s = source();
    const reads = new ReadIndexReads(s.source);
    let served: TxnResult | undefined;
    void reads.read(() => result(7)).then((r) => (served = r));
    expect(s.asked).toHaveLength(1);
    s.asked[0]!.resolve(5);
    await settled();
    expect(served).toBeUndefined();
    s.apply(4);
    reads.applied();
    await settled();
    expect(served).toBeUndefined();
    s.apply(5);
    reads.applied();
    await settled();
    expect(served).toEqual(result(7));
  });

  it('asks one round at a time: reads arriving meanwhile wait for the next round, which confirms them all', async () => {
    const s = source();
    const reads = new ReadIndexReads(s.source);
    const order: string[] = [];
    s.apply(100);
    void reads.read(() => (order.push('first'), result(1)));
    void reads.read(() => (order.push('second'), result(2)));
    void reads.read(() => (order.push('third'), result(3)));
    // The second and third began after the first round was asked: its index may miss a write
    // acknowledged in between, so they must not be served by it.
    expect(s.asked).toHaveLength(1);
    s.asked[0]!.resolve(10);
    await settled();
    expect(order).toEqual(['first']);
    expect(s.asked).toHaveLength(2);
    s.asked[1]!.resolve(11);
    await settled();
    expect(order).toEqual(['first', 'second', 'third']);
    expect(s.asked).toHaveLength(2);
  });

  it('fails the reads of a round the server refuses, and goes on with the next round', async () => {
    const s = source();
    const reads = new ReadIndexReads(s.source);
    const first = reads.read(() => result(1));
    const second = reads.read(() => result(2));
    s.asked[0]!.reject(new Error('not leader'));
    await expect(first).rejects.toThrow('not leader');
    s.asked[1]!.resolve(0);
    await expect(second).resolves.toEqual(result(2));
  });

  it('fails every read not yet served when told to', async () => {
    const s = source();
    const reads = new ReadIndexReads(s.source);
    const confirmed = reads.read(() => result(1));
    s.asked[0]!.resolve(9);
    await settled();
    let servedLate = false;
    const inRound = reads.read(() => ((servedLate = true), result(2)));
    const queued = reads.read(() => ((servedLate = true), result(3)));
    reads.failAll(() => new Error('stopping'));
    await expect(confirmed).rejects.toThrow('stopping');
    await expect(inRound).rejects.toThrow('stopping');
    await expect(queued).rejects.toThrow('stopping');
    // The round that was out answers after all: nothing is served, and no new round is asked.
    s.apply(20);
    s.asked[1]!.resolve(10);
    await settled();
    reads.applied();
    expect(servedLate).toBe(false);
    expect(s.asked).toHaveLength(2);
  });
});
