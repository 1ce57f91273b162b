import type { Envelopes } from './envelopes.ts';
import type { NetworkSemantics } from './model.ts';

/**
 * The network part of a global state's integer encoding, for one network semantics. Every
 * encoding is canonical: equal networks give equal words, whatever order messages were sent in.
 * Positions are word offsets relative to the start of the network segment.
 */
export interface NetworkCodec {
  /** Delivery removes the copy delivered. */
  readonly consumes: boolean;
  /** Writes (envelope, position) pairs of the deliverable messages into `out`; returns the pair count. */
  deliverable(state: Int32Array, start: number, end: number, out: Int32Array): number;
  /** Like `deliverable`, for the messages a loss or duplication fault may hit (one per distinct outcome). */
  faultTargets(state: Int32Array, start: number, end: number, out: Int32Array): number;
  /**
   * Writes the network after removing the message at position `remove` (-1: none), adding a copy
   * of the message at `duplicate` (-1: none) and adding `sends`, into `out` from `at`; returns the end.
   */
  write(
    state: Int32Array,
    start: number,
    end: number,
    remove: number,
    duplicate: number,
    sends: Int32Array,
    out: Int32Array,
    at: number,
  ): number;
  /** True when adding `sends` would leave the network as it is. */
  absorbs(state: Int32Array, start: number, end: number, sends: Int32Array): boolean;
  /** The envelope ids in flight, one per copy. */
  contents(state: Int32Array, start: number, end: number): number[];
  /** How many messages are in flight (copies counted), without listing them. */
  count(state: Int32Array, start: number, end: number): number;
}

export function networkCodec(semantics: NetworkSemantics, envelopes: Envelopes, nodeCount: number): NetworkCodec {
  switch (semantics) {
    case 'set':
      return new MessageSet();
    case 'multiset':
      return new MessageMultiset();
    case 'fifo':
      return new FifoChannels(envelopes, nodeCount);
  }
}

/** A bit set over envelope ids, trailing zero words trimmed. */
class MessageSet implements NetworkCodec {
  readonly consumes = false;

  deliverable(state: Int32Array, start: number, end: number, out: Int32Array): number {
    let count = 0;
    for (let word = start; word < end; word++) {
      let bits = state[word]!;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        out[count * 2] = (word - start) * 32 + bit;
        out[count * 2 + 1] = -1;
        count++;
      }
    }
    return count;
  }

  faultTargets(): number {
    return 0;
  }

  write(state: Int32Array, start: number, end: number, _remove: number, _duplicate: number, sends: Int32Array, out: Int32Array, at: number): number {
    let words = end - start;
    for (let i = 0; i < words; i++) out[at + i] = state[start + i]!;
    for (let i = 0; i < sends.length; i++) {
      const id = sends[i]!;
      const word = id >>> 5;
      while (words <= word) out[at + words++] = 0;
      out[at + word] |= 1 << (id & 31);
    }
    return at + words;
  }

  absorbs(state: Int32Array, start: number, end: number, sends: Int32Array): boolean {
    for (let i = 0; i < sends.length; i++) {
      const id = sends[i]!;
      const word = start + (id >>> 5);
      if (word >= end || (state[word]! & (1 << (id & 31))) === 0) return false;
    }
    return true;
  }

  count(state: Int32Array, start: number, end: number): number {
    let count = 0;
    for (let word = start; word < end; word++) {
      let bits = state[word]!;
      while (bits !== 0) {
        bits &= bits - 1;
        count++;
      }
    }
    return count;
  }

  contents(state: Int32Array, start: number, end: number): number[] {
    const out = new Int32Array((end - start) * 64);
    const count = this.deliverable(state, start, end, out);
    return Array.from({ length: count }, (_, i) => out[i * 2]!);
  }
}

/** Envelope ids in ascending order, one entry per copy. */
class MessageMultiset implements NetworkCodec {
  readonly consumes = true;

  deliverable(state: Int32Array, start: number, end: number, out: Int32Array): number {
    let count = 0;
    for (let i = start; i < end; i++) {
      if (i > start && state[i] === state[i - 1]) continue;
      out[count * 2] = state[i]!;
      out[count * 2 + 1] = i - start;
      count++;
    }
    return count;
  }

  faultTargets(state: Int32Array, start: number, end: number, out: Int32Array): number {
    return this.deliverable(state, start, end, out);
  }

  write(state: Int32Array, start: number, end: number, remove: number, duplicate: number, sends: Int32Array, out: Int32Array, at: number): number {
    let length = 0;
    for (let i = start; i < end; i++) {
      if (i - start !== remove) out[at + length++] = state[i]!;
    }
    if (duplicate >= 0) length = insertSorted(out, at, length, state[start + duplicate]!);
    for (let i = 0; i < sends.length; i++) length = insertSorted(out, at, length, sends[i]!);
    return at + length;
  }

  absorbs(_state: Int32Array, _start: number, _end: number, sends: Int32Array): boolean {
    return sends.length === 0;
  }

  contents(state: Int32Array, start: number, end: number): number[] {
    return Array.from(state.subarray(start, end));
  }

  count(_state: Int32Array, start: number, end: number): number {
    return end - start;
  }
}

function insertSorted(out: Int32Array, at: number, length: number, value: number): number {
  let i = length;
  while (i > 0 && out[at + i - 1]! > value) {
    out[at + i] = out[at + i - 1]!;
    i--;
  }
  out[at + i] = value;
  return length + 1;
}

/**
 * Per (sender, receiver) channel queues: a sequence of [channel, length, envelope ids...] for the
 * non-empty channels, in ascending channel order. Only a channel's head is deliverable.
 */
class FifoChannels implements NetworkCodec {
  readonly consumes = true;

  constructor(
    private readonly envelopes: Envelopes,
    private readonly nodeCount: number,
  ) {}

  deliverable(state: Int32Array, start: number, end: number, out: Int32Array): number {
    let count = 0;
    for (let i = start; i < end; i += 2 + state[i + 1]!) {
      out[count * 2] = state[i + 2]!;
      out[count * 2 + 1] = i + 2 - start;
      count++;
    }
    return count;
  }

  faultTargets(state: Int32Array, start: number, end: number, out: Int32Array): number {
    let count = 0;
    for (let i = start; i < end; i += 2 + state[i + 1]!) {
      for (let j = 0; j < state[i + 1]!; j++) {
        // Adjacent copies of one message give the same outcome: offer the first only.
        if (j > 0 && state[i + 2 + j] === state[i + 1 + j]) continue;
        out[count * 2] = state[i + 2 + j]!;
        out[count * 2 + 1] = i + 2 + j - start;
        count++;
      }
    }
    return count;
  }

  write(state: Int32Array, start: number, end: number, remove: number, duplicate: number, sends: Int32Array, out: Int32Array, at: number): number {
    const channels = new Map<number, number[]>();
    for (let i = start; i < end; i += 2 + state[i + 1]!) {
      const queue: number[] = [];
      for (let j = 0; j < state[i + 1]!; j++) {
        const position = i + 2 + j - start;
        if (position !== remove) queue.push(state[i + 2 + j]!);
        if (position === duplicate) queue.push(state[i + 2 + j]!);
      }
      channels.set(state[i]!, queue);
    }
    for (let i = 0; i < sends.length; i++) {
      const envelope = this.envelopes.all[sends[i]!]!;
      const channel = envelope.fromIndex * this.nodeCount + envelope.toIndex;
      let queue = channels.get(channel);
      if (queue === undefined) {
        queue = [];
        channels.set(channel, queue);
      }
      queue.push(envelope.id);
    }
    let length = at;
    for (const channel of [...channels.keys()].sort((a, b) => a - b)) {
      const queue = channels.get(channel)!;
      if (queue.length === 0) continue;
      out[length++] = channel;
      out[length++] = queue.length;
      for (const id of queue) out[length++] = id;
    }
    return length;
  }

  absorbs(_state: Int32Array, _start: number, _end: number, sends: Int32Array): boolean {
    return sends.length === 0;
  }

  contents(state: Int32Array, start: number, end: number): number[] {
    const ids: number[] = [];
    for (let i = start; i < end; i += 2 + state[i + 1]!) {
      for (let j = 0; j < state[i + 1]!; j++) ids.push(state[i + 2 + j]!);
    }
    return ids;
  }

  count(state: Int32Array, start: number, end: number): number {
    let count = 0;
    for (let i = start; i < end; i += 2 + state[i + 1]!) count += state[i + 1]!;
    return count;
  }
}
