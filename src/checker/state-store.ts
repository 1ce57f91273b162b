const CHUNK_WORDS = 1 << 22;

/**
 * Every distinct global state, in the order found, as variable-length integer vectors packed into
 * chunks of typed arrays, with the index of the state each was first reached from. Breadth-first
 * search walks it as its queue, and counterexamples are rebuilt from the parent links.
 */
export class StateStore {
  private readonly chunks: Int32Array[] = [new Int32Array(CHUNK_WORDS)];
  private used = 0;
  /** Per state: chunk * CHUNK_WORDS + offset of its length word. */
  private offsets = new Float64Array(1 << 16);
  private parentOf = new Int32Array(1 << 16);
  count = 0;

  append(words: Int32Array, length: number, parent: number): number {
    if (length + 1 > CHUNK_WORDS) throw new Error(`a global state of ${length} words is too large`);
    if (this.used + length + 1 > CHUNK_WORDS) {
      this.chunks.push(new Int32Array(CHUNK_WORDS));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1]!;
    chunk[this.used] = length;
    // A plain loop: global states are short, and subarray + set allocate per call.
    const base = this.used + 1;
    for (let i = 0; i < length; i++) chunk[base + i] = words[i]!;
    const index = this.count++;
    if (index === this.offsets.length) {
      const offsets = new Float64Array(index * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const parents = new Int32Array(index * 2);
      parents.set(this.parentOf);
      this.parentOf = parents;
    }
    this.offsets[index] = (this.chunks.length - 1) * CHUNK_WORDS + this.used;
    this.parentOf[index] = parent;
    this.used += length + 1;
    return index;
  }

  /** The length of state `index`, in words. */
  lengthOf(index: number): number {
    const at = this.offsets[index]!;
    return this.chunks[Math.floor(at / CHUNK_WORDS)]![at % CHUNK_WORDS]!;
  }

  /** Copies state `index` into `into` (which must hold `lengthOf(index)` words) and returns its length. */
  read(index: number, into: Int32Array): number {
    const at = this.offsets[index]!;
    const chunk = this.chunks[Math.floor(at / CHUNK_WORDS)]!;
    const offset = at % CHUNK_WORDS;
    const length = chunk[offset]!;
    for (let i = 0; i < length; i++) into[i] = chunk[offset + 1 + i]!;
    return length;
  }

  parent(index: number): number {
    return this.parentOf[index]!;
  }

  /** Bytes held by the store. */
  get bytes(): number {
    return this.chunks.length * CHUNK_WORDS * 4 + this.offsets.length * 12;
  }
}
