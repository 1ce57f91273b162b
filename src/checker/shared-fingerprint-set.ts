/**
 * The set of fingerprints seen, shared by the worker threads of a parallel check: an
 * open-addressing table in a SharedArrayBuffer that every thread probes and inserts into at once,
 * lock-free (the design, as TLC's FPSet shared by its workers).
 *
 * A slot is two words, the high and the low half; 0 in the high word marks an empty slot, so a
 * half that is 0 is stored as 1 (folding 0 onto 1 costs no measurable distinctness). An insert
 * claims an empty slot by compare-and-swap of its high word, then stores the low word; a thread
 * that meets a claimed slot whose low word is not written yet waits for it (a few instructions
 * away on the claiming thread). Linear probing, as FingerprintSet.
 *
 * The table cannot grow while threads insert: the coordinator grows it (`grownCopy`) while they
 * are paused, which the workers arrange by pausing once it is half full (`needsToGrow`). Beyond
 * 7/8 an insert refuses, rather than degrade into endless probing.
 */
export class SharedFingerprintSet {
  /** Word 0: the number of fingerprints held. Slots start at HEADER_WORDS. */
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly capacity: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.capacity = (this.words.length - HEADER_WORDS) / 2;
    this.mask = this.capacity - 1;
  }

  /** A new empty table of at least `slots` slots (rounded up to a power of two). */
  static withSlots(slots: number): SharedFingerprintSet {
    let capacity = 1;
    while (capacity < slots) capacity *= 2;
    return new SharedFingerprintSet(new SharedArrayBuffer((HEADER_WORDS + capacity * 2) * 4));
  }

  get size(): number {
    return Atomics.load(this.words, SIZE);
  }

  /** Half full: time to pause and grow, while the 3/8 of the table left absorb the inserts already under way. */
  get needsToGrow(): boolean {
    return Atomics.load(this.words, SIZE) * 2 > this.capacity;
  }

  /** Adds the fingerprint; true when it was not there (this thread's insert won), false when it was. */
  insert(high: number, low: number): boolean {
    const words = this.words;
    const h = high === 0 ? 1 : high;
    const l = low === 0 ? 1 : low;
    let slot = (h ^ (l >>> 7)) & this.mask;
    for (;;) {
      const at = HEADER_WORDS + slot * 2;
      let stored = Atomics.load(words, at);
      if (stored === 0) {
        stored = Atomics.compareExchange(words, at, 0, h);
        if (stored === 0) {
          Atomics.store(words, at + 1, l);
          if (Atomics.add(words, SIZE, 1) * 8 >= this.capacity * 7) throw new Error('internal error: the shared fingerprint table is full (it was not grown in time)');
          return true;
        }
      }
      if (stored === h && lowOf(words, at) === l) return false;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether the fingerprint is in the set. */
  has(high: number, low: number): boolean {
    const words = this.words;
    const h = high === 0 ? 1 : high;
    const l = low === 0 ? 1 : low;
    let slot = (h ^ (l >>> 7)) & this.mask;
    for (;;) {
      const at = HEADER_WORDS + slot * 2;
      const stored = Atomics.load(words, at);
      if (stored === 0) return false;
      if (stored === h && lowOf(words, at) === l) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * A table `factor` times as large holding the same fingerprints. Only while no thread inserts:
   * the message that hands the new table to the workers orders these writes before their reads.
   */
  grownCopy(factor: number): SharedFingerprintSet {
    const grown = SharedFingerprintSet.withSlots(this.capacity * factor);
    const from = this.words;
    const to = grown.words;
    const mask = grown.mask;
    for (let at = HEADER_WORDS; at < from.length; at += 2) {
      const h = from[at]!;
      if (h === 0) continue;
      const l = from[at + 1]!;
      let slot = (h ^ (l >>> 7)) & mask;
      while (to[HEADER_WORDS + slot * 2] !== 0) slot = (slot + 1) & mask;
      to[HEADER_WORDS + slot * 2] = h;
      to[HEADER_WORDS + slot * 2 + 1] = l;
    }
    to[SIZE] = from[SIZE]!;
    return grown;
  }
}

const SIZE = 0;
const HEADER_WORDS = 2;

/** The low word of a claimed slot, once its claimer has stored it. */
function lowOf(words: Int32Array, at: number): number {
  for (;;) {
    const low = Atomics.load(words, at + 1);
    if (low !== 0) return low;
  }
}
