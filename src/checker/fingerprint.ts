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

/** Estimated probability that some two of `states` distinct states collided (TLC's optimistic estimate). */
export function collisionProbability(states: number): number {
  return (states * states) / 2 ** 65;
}

/**
 * An open-addressing hash set of fingerprints in typed arrays, mapping each fingerprint to the
 * index of the state it was first seen with. Linear probing; doubles at 3/4 load.
 */
export class FingerprintSet {
  private high: Int32Array;
  private low: Int32Array;
  /** State index + 1; 0 marks an empty slot. */
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 1;
    while (capacity < initialCapacity) capacity *= 2;
    this.high = new Int32Array(capacity);
    this.low = new Int32Array(capacity);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Returns the index the fingerprint was seen with, or records `index` for it and returns -1. */
  addOrGet(high: number, low: number, index: number): number {
    let slot = (high ^ (low >>> 7)) & this.mask;
    for (;;) {
      const stored = this.slots[slot]!;
      if (stored === 0) break;
      if (this.high[slot] === high && this.low[slot] === low) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
    this.high[slot] = high;
    this.low[slot] = low;
    this.slots[slot] = index + 1;
    this.size++;
    if (this.size * 4 > this.slots.length * 3) this.grow();
    return -1;
  }

  private grow(): void {
    const { high, low, slots } = this;
    const capacity = slots.length * 2;
    this.high = new Int32Array(capacity);
    this.low = new Int32Array(capacity);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue;
      let slot = (high[i]! ^ (low[i]! >>> 7)) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.high[slot] = high[i]!;
      this.low[slot] = low[i]!;
      this.slots[slot] = slots[i]!;
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.slots.length * 12;
  }
}
