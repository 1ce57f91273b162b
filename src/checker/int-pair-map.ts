/**
 * A map from pairs of non-negative 32-bit integers to small non-negative integers, in typed arrays
 * (open addressing, linear probing). Used where a JS Map would need a non-Smi number key per
 * lookup on the checker's hot path.
 */
export class IntPairMap {
  private first: Int32Array;
  private second: Int32Array;
  /** Value + 1; 0 marks an empty slot. */
  private values: Int32Array;
  private mask: number;
  private size = 0;

  constructor(capacity = 1 << 12) {
    this.first = new Int32Array(capacity);
    this.second = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** The value stored for (a, b), or -1. */
  get(a: number, b: number): number {
    let slot = hashPair(a, b) & this.mask;
    for (;;) {
      const value = this.values[slot]!;
      if (value === 0) return -1;
      if (this.first[slot] === a && this.second[slot] === b) return value - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  set(a: number, b: number, value: number): void {
    let slot = hashPair(a, b) & this.mask;
    while (this.values[slot] !== 0 && !(this.first[slot] === a && this.second[slot] === b)) slot = (slot + 1) & this.mask;
    if (this.values[slot] === 0) this.size++;
    this.first[slot] = a;
    this.second[slot] = b;
    this.values[slot] = value + 1;
    if (this.size * 2 > this.values.length) this.grow();
  }

  private grow(): void {
    const { first, second, values } = this;
    this.first = new Int32Array(values.length * 2);
    this.second = new Int32Array(values.length * 2);
    this.values = new Int32Array(values.length * 2);
    this.mask = values.length * 2 - 1;
    this.size = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) this.set(first[i]!, second[i]!, values[i]! - 1);
  }
}

function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
