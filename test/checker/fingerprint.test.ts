import { describe, expect, it } from 'vitest';
import { fingerprint, FingerprintSet, fingerprintHigh, fingerprintLow, fingerprintLowOfLast } from '../../src/checker/fingerprint.ts';

const words = (...values: number[]) => Int32Array.from(values);
const high = (...values: number[]) => fingerprintHigh(words(...values), values.length);
const low = (...values: number[]) => fingerprintLow(words(...values), values.length);

describe('fingerprintHigh and fingerprintLow', () => {
  it('are deterministic and return 32-bit signed integers (what FingerprintSet stores)', () => {
    for (const vector of [[], [0], [1, 2, 3], [-1, 2 ** 31 - 1, -(2 ** 31)]]) {
      for (const hash of [high, low]) {
        const value = hash(...vector);
        expect(value).toBe(hash(...vector));
        expect(value | 0).toBe(value);
      }
    }
  });

  it('hash only the first `length` words', () => {
    const buffer = words(5, 6, 7, 99, -4);
    expect(fingerprintHigh(buffer, 3)).toBe(high(5, 6, 7));
    expect(fingerprintLow(buffer, 3)).toBe(low(5, 6, 7));
    buffer[3] = 12345;
    expect(fingerprintHigh(buffer, 3)).toBe(high(5, 6, 7));
    expect(fingerprintLow(buffer, 3)).toBe(low(5, 6, 7));
  });

  it('are sensitive to word order', () => {
    expect(high(1, 2)).not.toBe(high(2, 1));
    expect(low(1, 2)).not.toBe(low(2, 1));
    expect(high(0, 0, 1)).not.toBe(high(1, 0, 0));
    expect(low(0, 0, 1)).not.toBe(low(1, 0, 0));
  });

  it('are sensitive to length, even when the extra words are zero', () => {
    expect(high(0)).not.toBe(high(0, 0));
    expect(low(0)).not.toBe(low(0, 0));
    expect(high()).not.toBe(high(0));
    expect(low()).not.toBe(low(0));
  });

  it('are two different functions', () => {
    let equal = 0;
    for (let i = 0; i < 1000; i++) if (high(i, i + 1) === low(i, i + 1)) equal++;
    expect(equal).toBe(0);
  });

  it('give distinct 64-bit fingerprints to 100k similar small vectors', () => {
    const seen = new Set<string>();
    const highs = new Set<number>();
    const lows = new Set<number>();
    for (let a = 0; a < 100; a++) {
      for (let b = 0; b < 100; b++) {
        for (let c = 0; c < 10; c++) {
          const h = high(a, b, c);
          const l = low(a, b, c);
          seen.add(`${h}:${l}`);
          highs.add(h);
          lows.add(l);
        }
      }
    }
    expect(seen.size).toBe(100_000);
    // Each half alone is a decent hash: only a handful of 32-bit collisions among 100k inputs.
    expect(highs.size).toBeGreaterThan(99_990);
    expect(lows.size).toBeGreaterThan(99_990);
  });
});

describe('FingerprintSet', () => {
  it('returns -1 for a new fingerprint and the index it was first recorded with afterwards', () => {
    const set = new FingerprintSet();
    expect(set.addOrGet(10, 20, 0)).toBe(-1);
    expect(set.addOrGet(11, 20, 1)).toBe(-1);
    expect(set.size).toBe(2);
    expect(set.addOrGet(10, 20, 7)).toBe(0);
    expect(set.addOrGet(11, 20, 8)).toBe(1);
    // The later index is not recorded: the first one stays.
    expect(set.addOrGet(10, 20, 9)).toBe(0);
    expect(set.size).toBe(2);
  });

  it('tells fingerprints apart that share one half', () => {
    const set = new FingerprintSet(4);
    expect(set.addOrGet(5, 1, 0)).toBe(-1);
    expect(set.addOrGet(5, 2, 1)).toBe(-1);
    expect(set.addOrGet(6, 1, 2)).toBe(-1);
    expect(set.addOrGet(5, 1, 99)).toBe(0);
    expect(set.addOrGet(5, 2, 99)).toBe(1);
    expect(set.addOrGet(6, 1, 99)).toBe(2);
    expect(set.size).toBe(3);
  });

  it('stores the all-zero fingerprint and negative halves', () => {
    const set = new FingerprintSet(2);
    expect(set.addOrGet(0, 0, 0)).toBe(-1);
    expect(set.addOrGet(0, 0, 5)).toBe(0);
    expect(set.addOrGet(-1, -(2 ** 31), 1)).toBe(-1);
    expect(set.addOrGet(-1, -(2 ** 31), 5)).toBe(1);
  });

  it('keeps every fingerprint and its index while growing far beyond its initial capacity', () => {
    const set = new FingerprintSet(8);
    const initialBytes = set.bytes;
    const count = 200_000;
    const vector = new Int32Array(2);
    const fingerprint = (i: number): [number, number] => {
      vector[0] = i;
      vector[1] = i * 7;
      return [fingerprintHigh(vector, 2), fingerprintLow(vector, 2)];
    };
    for (let i = 0; i < count; i++) {
      const [h, l] = fingerprint(i);
      if (set.addOrGet(h, l, i) !== -1) expect.fail(`fingerprint ${i} reported as seen before it was added`);
    }
    expect(set.size).toBe(count);
    expect(set.bytes).toBeGreaterThan(initialBytes);
    // At most 3/4 full after growth.
    expect(set.bytes / 12).toBeGreaterThanOrEqual((count * 4) / 3);
    for (let i = 0; i < count; i++) {
      const [h, l] = fingerprint(i);
      if (set.addOrGet(h, l, -5) !== i) expect.fail(`fingerprint ${i} lost or moved to another index`);
    }
    expect(set.size).toBe(count);
  });

  it('survives growth with clustered fingerprints that all probe from the same few slots', () => {
    // Same low half and high halves that differ only in bits above the initial mask.
    const set = new FingerprintSet(16);
    const count = 5_000;
    for (let i = 0; i < count; i++) expect(set.addOrGet(i << 16, 3, i)).toBe(-1);
    for (let i = 0; i < count; i++) expect(set.addOrGet(i << 16, 3, -5)).toBe(i);
    expect(set.size).toBe(count);
  });

  it('rounds the initial capacity up to a power of two', () => {
    expect(new FingerprintSet(1000).bytes).toBe(1024 * 12);
    expect(new FingerprintSet(1024).bytes).toBe(1024 * 12);
    expect(new FingerprintSet(1).bytes).toBe(12);
  });
});

describe('fingerprint (both halves in one pass)', () => {
  it('equals fingerprintHigh and fingerprintLow', () => {
    for (const vector of [[], [0], [1, 2, 3], [-1, 2 ** 31 - 1, -(2 ** 31), 7, 7, 7], Array.from({ length: 40 }, (_, i) => i * 7919)]) {
      const buffer = Int32Array.from([...vector, 99, 98]);
      expect(fingerprint(buffer, vector.length)).toBe(fingerprintHigh(buffer, vector.length));
      expect(fingerprintLowOfLast).toBe(fingerprintLow(buffer, vector.length));
    }
  });
});
