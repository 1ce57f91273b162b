import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/checker/state-store.ts';

/** The store's chunk size in words (private to state-store.ts). */
const CHUNK_WORDS = 1 << 22;
/** The bytes of the initial per-state tables (offsets and parents for 1 << 16 states). */
const TABLE_BYTES = (1 << 16) * 12;
const chunksOf = (store: StateStore) => (store.bytes - TABLE_BYTES) / (CHUNK_WORDS * 4);

/** The index of the first word where `actual` differs from `expected`, or -1 (fast for big vectors). */
function firstDifference(actual: Int32Array, expected: Int32Array): number {
  for (let j = 0; j < expected.length; j++) if (actual[j] !== expected[j]) return j;
  return -1;
}

/** A recognisable vector for state `index`, `length` words long. */
function vectorFor(index: number, length: number): Int32Array {
  const words = new Int32Array(length);
  for (let j = 0; j < length; j++) words[j] = (index * 7919 + j * 31) ^ (j % 2 === 0 ? 0 : -1);
  return words;
}

describe('StateStore', () => {
  it('reads back vectors of varying lengths exactly, including empty ones and negative words', () => {
    const store = new StateStore();
    const vectors = [
      Int32Array.from([]),
      Int32Array.from([0]),
      Int32Array.from([-1, 2 ** 31 - 1, -(2 ** 31)]),
      vectorFor(3, 17),
      vectorFor(4, 1000),
      Int32Array.from([5]),
    ];
    const indexes = vectors.map((vector) => store.append(vector, vector.length, -1));
    expect(indexes).toEqual([0, 1, 2, 3, 4, 5]);
    expect(store.count).toBe(vectors.length);
    const into = new Int32Array(1000);
    for (const [i, vector] of vectors.entries()) {
      const length = store.read(i, into);
      expect(length).toBe(vector.length);
      expect(into.subarray(0, length)).toEqual(vector);
    }
  });

  it('stores only the first `length` words of the vector it is given', () => {
    const store = new StateStore();
    const index = store.append(Int32Array.from([1, 2, 3, 4, 5]), 2, -1);
    const into = new Int32Array(8).fill(-7);
    expect(store.read(index, into)).toBe(2);
    expect(Array.from(into)).toEqual([1, 2, -7, -7, -7, -7, -7, -7]);
  });

  it('copies the vector: reusing the caller’s buffer afterwards does not change the stored state', () => {
    const store = new StateStore();
    const buffer = Int32Array.from([1, 2, 3]);
    store.append(buffer, 3, -1);
    buffer.fill(0);
    store.append(buffer, 3, 0);
    const into = new Int32Array(3);
    store.read(0, into);
    expect(Array.from(into)).toEqual([1, 2, 3]);
    store.read(1, into);
    expect(Array.from(into)).toEqual([0, 0, 0]);
  });

  it('records the parent of every state', () => {
    const store = new StateStore();
    const root = store.append(Int32Array.from([0]), 1, -1);
    const a = store.append(Int32Array.from([1]), 1, root);
    const b = store.append(Int32Array.from([2]), 1, root);
    const c = store.append(Int32Array.from([3]), 1, b);
    expect([store.parent(root), store.parent(a), store.parent(b), store.parent(c)]).toEqual([-1, 0, 0, 2]);
    // Rebuilding a path from the parent links, as counterexample traces do.
    const path: number[] = [];
    for (let at = c; at !== -1; at = store.parent(at)) path.unshift(at);
    expect(path).toEqual([root, b, c]);
  });

  it('keeps every state and parent across several chunks and past its initial table size', () => {
    const store = new StateStore();
    const length = 130;
    const count = 70_000; // > 1 << 16 states, and 70k * 131 words > 2 chunks
    for (let i = 0; i < count; i++) {
      const index = store.append(vectorFor(i, length - (i % 3)), length - (i % 3), i === 0 ? -1 : Math.floor((i - 1) / 2));
      if (index !== i) expect.fail(`state ${i} got index ${index}`);
    }
    expect(store.count).toBe(count);
    expect(store.bytes).toBeGreaterThan(3 * CHUNK_WORDS * 4);
    const into = new Int32Array(length);
    for (let i = 0; i < count; i++) {
      const expected = vectorFor(i, length - (i % 3));
      const read = store.read(i, into);
      if (read !== expected.length) expect.fail(`state ${i}: length ${read}, expected ${expected.length}`);
      for (let j = 0; j < read; j++) {
        if (into[j] !== expected[j]) expect.fail(`state ${i}: word ${j} is ${into[j]}, expected ${expected[j]}`);
      }
      if (store.parent(i) !== (i === 0 ? -1 : Math.floor((i - 1) / 2))) expect.fail(`state ${i}: wrong parent ${store.parent(i)}`);
    }
  });

  it('fills a chunk exactly before starting the next one', () => {
    const store = new StateStore();
    expect(chunksOf(store)).toBe(1);
    // Leave exactly 10 words free in the first chunk (each state takes length + 1 words).
    const big = vectorFor(0, CHUNK_WORDS - 11);
    store.append(big, big.length, -1);
    expect(chunksOf(store)).toBe(1);
    // 9 words + their length word fit exactly.
    store.append(vectorFor(1, 9), 9, 0);
    expect(chunksOf(store)).toBe(1);
    // Nothing is left: even an empty state goes to a new chunk.
    store.append(vectorFor(2, 0), 0, 1);
    expect(chunksOf(store)).toBe(2);

    const into = new Int32Array(CHUNK_WORDS);
    expect(store.read(0, into)).toBe(big.length);
    expect(firstDifference(into, big)).toBe(-1);
    expect(store.read(1, into)).toBe(9);
    expect(into.subarray(0, 9)).toEqual(vectorFor(1, 9));
    expect(store.read(2, into)).toBe(0);
  });

  it('moves a state that would straddle the chunk boundary whole into the next chunk', () => {
    const store = new StateStore();
    store.append(vectorFor(0, CHUNK_WORDS - 11), CHUNK_WORDS - 11, -1);
    // 10 words need 11: one more than is left.
    store.append(vectorFor(1, 10), 10, 0);
    expect(chunksOf(store)).toBe(2);
    const into = new Int32Array(10);
    expect(store.read(1, into)).toBe(10);
    expect(into).toEqual(vectorFor(1, 10));
    expect(store.parent(1)).toBe(0);
  });

  it('accepts a state as large as a chunk holds and rejects a larger one', () => {
    const store = new StateStore();
    const largest = new Int32Array(CHUNK_WORDS - 1).fill(3);
    expect(store.append(largest, largest.length, -1)).toBe(0);
    expect(() => store.append(new Int32Array(CHUNK_WORDS), CHUNK_WORDS, 0)).toThrow(/too large/);
    expect(store.count).toBe(1);
  });
});
