/**
 * 64-bit fingerprints of global states, as two independent 32-bit hashes of the state's integer
 * encoding (MurmurHash3's and xxHash32's mixing steps). Like TLC, the checker keeps fingerprints
 * rather than states in its seen-set; the chance that two distinct states share a fingerprint is
 * about n²/2⁶⁵ for n states, reported with every result.
 */
export function fingerprintHigh(words: Int32Array, length: number): number {
  let h = 0x9747b28c ^ length;
  for (let i = 0; i < length; i++) {
    let k = Math.imul(words[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function fingerprintLow(words: Int32Array, length: number): number {
  let h = (0x165667b1 + length) | 0;
  for (let i = 0; i < length; i++) {
    h = (h + Math.imul(words[i]!, 0xc2b2ae3d)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), 0x27d4eb2f);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d);
  return h ^ (h >>> 16);
}

/**
 * Both halves in one pass over the words (the checker's hot path): returns the high half and
 * leaves the low half in `fingerprintLowOfLast`. Equal to `fingerprintHigh` and `fingerprintLow`.
 */
export function fingerprint(words: Int32Array, length: number): number {
  let h = 0x9747b28c ^ length;
  let l = (0x165667b1 + length) | 0;
  for (let i = 0; i < length; i++) {
    const word = words[i]!;
    let k = Math.imul(word, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    l = (l + Math.imul(word, 0xc2b2ae3d)) | 0;
    l = Math.imul((l << 17) | (l >>> 15), 0x27d4eb2f);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  l ^= l >>> 15;
  l = Math.imul(l, 0x85ebca77);
  l ^= l >>> 13;
  l = Math.imul(l, 0xc2b2ae3d);
  fingerprintLowOfLast = l ^ (l >>> 16);
  return h ^ (h >>> 16);
}

export let fingerprintLowOfLast = 0;

/** Estimated probability that some two of `states` distinct states collided (TLC's optimistic estimate). */
export function collisionProbability(states: number): number {
  return (states * states) / 2 ** 65;
}

/**
 * An open-addressing hash set of fingerprints in one typed array, mapping each fingerprint to the
 * index of the state it was first seen with. A slot is three consecutive words (high, low, state
 * index + 1, 0 marking an empty slot), so a probe touches one cache line. Linear probing; doubles
 * at 3/4 load.
 */
export class FingerprintSet {
  private table: Int32Array;
  /** Slots - 1 (slots are a power of two). */
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 1;
    while (capacity < initialCapacity) capacity *= 2;
    this.table = new Int32Array(capacity * 3);
    this.mask = capacity - 1;
  }

  /** Returns the index the fingerprint was seen with, or -1 if it was not seen. */
  get(high: number, low: number): number {
    const table = this.table;
    let slot = (high ^ (low >>> 7)) & this.mask;
    for (;;) {
      const at = slot * 3;
      const stored = table[at + 2]!;
      if (stored === 0) return -1;
      if (table[at] === high && table[at + 1] === low) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * Returns the index the fingerprint was seen with, or records `index` for it and returns -1.
   * Indices are whole numbers, or -2 for a mark that is not a state index.
   */
  addOrGet(high: number, low: number, index: number): number {
    const table = this.table;
    let slot = (high ^ (low >>> 7)) & this.mask;
    for (;;) {
      const at = slot * 3;
      const stored = table[at + 2]!;
      if (stored === 0) {
        table[at] = high;
        table[at + 1] = low;
        table[at + 2] = index + 1;
        if (++this.size * 4 > (this.mask + 1) * 3) this.grow();
        return -1;
      }
      if (table[at] === high && table[at + 1] === low) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    const capacity = (this.mask + 1) * 2;
    const table = new Int32Array(capacity * 3);
    const mask = capacity - 1;
    for (let at = 0; at < old.length; at += 3) {
      if (old[at + 2] === 0) continue;
      let slot = (old[at]! ^ (old[at + 1]! >>> 7)) & mask;
      while (table[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 3] = old[at]!;
      table[slot * 3 + 1] = old[at + 1]!;
      table[slot * 3 + 2] = old[at + 2]!;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.length * 4;
  }
}
