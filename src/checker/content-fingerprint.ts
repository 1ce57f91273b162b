import { canonicalJson } from '../node/index.ts';
import { fingerprint, fingerprintLowOfLast } from './fingerprint.ts';
import type { ComposedSystem } from './system.ts';

/**
 * 64-bit fingerprints of global states that do not depend on how a run numbered its local
 * states, envelopes, timers and history values.
 *
 * A global state is a vector of interned ids, and ids are handed out in the order a run meets
 * what they stand for: two worker threads exploring one model give the same local state different
 * ids, so the plain fingerprint of the vector (fingerprint.ts) differs between them. Here every id
 * is first replaced by a 64-bit hash of what it stands for (its canonical JSON, timers by name),
 * computed once per id and kept; the fingerprint is then taken over those hashes. Equal states
 * have equal content fingerprints in every thread, and distinct states differ but with the
 * probability of a 64-bit collision, as with plain fingerprints.
 *
 * The network is hashed by what it holds, not by its encoding, which orders envelopes by id: a
 * set or multiset as the count and the sums of its envelopes' hashes (one per copy), a FIFO
 * network as its channels in order (a channel is a (sender, receiver) pair of node indices, which
 * do not depend on the run), each queue in order.
 */
export class ContentFingerprints {
  /** By node: the two hash halves of each local id, at 2 * id and 2 * id + 1. */
  private readonly localHashes: Int32Array[];
  private readonly localsHashed: number[];
  private envelopeHashes = new Int32Array(512);
  private envelopesHashed = 0;
  private historyHashes = new Int32Array(64);
  private historiesHashed = 0;
  private readonly mix = new Mix();

  constructor(private readonly system: ComposedSystem) {
    this.localHashes = system.nodes.map(() => new Int32Array(256));
    this.localsHashed = system.nodes.map(() => 0);
  }

  /** The high half of the content fingerprint of `state`; the low half is left in `lowOfLast`. */
  of(state: Int32Array, length: number): number {
    const { system } = this;
    const nodeCount = system.nodes.length;
    const networkStart = system.networkStart;
    const mix = this.mix;
    mix.start(length);
    for (let k = 0; k < nodeCount; k++) {
      const local = state[k]!;
      if (local >= this.localsHashed[k]!) this.hashLocals(k);
      const hashes = this.localHashes[k]!;
      mix.add(hashes[local * 2]!);
      mix.add(hashes[local * 2 + 1]!);
    }
    // The three fault budgets are plain numbers.
    for (let i = nodeCount; i < nodeCount + 3; i++) mix.add(state[i]!);
    if (system.history) {
      const history = state[system.historyWord]!;
      if (history >= this.historiesHashed) this.hashHistories();
      mix.add(this.historyHashes[history * 2]!);
      mix.add(this.historyHashes[history * 2 + 1]!);
    }
    this.network(state, networkStart, length, mix);
    return mix.finish();
  }

  /** The low half of the fingerprint last computed. */
  get lowOfLast(): number {
    return this.mix.low;
  }

  private network(state: Int32Array, start: number, end: number, mix: Mix): void {
    if (this.envelopesHashed < this.system.envelopes.all.length) this.hashEnvelopes();
    const hashes = this.envelopeHashes;
    switch (this.system.model.network) {
      case 'set': {
        let count = 0;
        let high = 0;
        let low = 0;
        for (let word = start; word < end; word++) {
          let bits = state[word]!;
          while (bits !== 0) {
            const id = (word - start) * 32 + 31 - Math.clz32(bits & -bits);
            bits &= bits - 1;
            high = (high + hashes[id * 2]!) | 0;
            low = (low + hashes[id * 2 + 1]!) | 0;
            count++;
          }
        }
        mix.add(count);
        mix.add(high);
        mix.add(low);
        return;
      }
      case 'multiset': {
        let high = 0;
        let low = 0;
        for (let i = start; i < end; i++) {
          const id = state[i]!;
          high = (high + hashes[id * 2]!) | 0;
          low = (low + hashes[id * 2 + 1]!) | 0;
        }
        mix.add(end - start);
        mix.add(high);
        mix.add(low);
        return;
      }
      case 'fifo': {
        // [channel, length, ids...] per non-empty channel, channels ascending (see network.ts).
        for (let i = start; i < end; ) {
          const queued = state[i + 1]!;
          mix.add(state[i]!);
          mix.add(queued);
          for (let j = 0; j < queued; j++) {
            const id = state[i + 2 + j]!;
            mix.add(hashes[id * 2]!);
            mix.add(hashes[id * 2 + 1]!);
          }
          i += 2 + queued;
        }
        return;
      }
    }
  }

  private hashLocals(node: number): void {
    const { states } = this.system.nodes[node]!;
    const names = this.system.timers.names;
    let hashes = this.localHashes[node]!;
    if (hashes.length < states.length * 2) {
      const grown = new Int32Array(states.length * 4);
      grown.set(hashes);
      hashes = grown;
      this.localHashes[node] = grown;
    }
    for (let id = this.localsHashed[node]!; id < states.length; id++) {
      const local = states[id]!;
      const text = local.snapshot
        ? `${canonicalJson(local.snapshot.value)}|${canonicalJson(local.snapshot.context)}|${canonicalJson(local.durable)}|${local.timers.map((t) => names[t]).join(',')}`
        : `crashed|${canonicalJson(local.durable)}`;
      hashText(text, hashes, id * 2);
    }
    this.localsHashed[node] = states.length;
  }

  private hashEnvelopes(): void {
    const all = this.system.envelopes.all;
    if (this.envelopeHashes.length < all.length * 2) {
      const grown = new Int32Array(all.length * 4);
      grown.set(this.envelopeHashes);
      this.envelopeHashes = grown;
    }
    for (let id = this.envelopesHashed; id < all.length; id++) {
      const envelope = all[id]!;
      hashText(`${envelope.fromIndex}|${envelope.toIndex}|${canonicalJson(envelope.message)}`, this.envelopeHashes, id * 2);
    }
    this.envelopesHashed = all.length;
  }

  private hashHistories(): void {
    const values = this.system.history!.values;
    if (this.historyHashes.length < values.length * 2) {
      const grown = new Int32Array(values.length * 4);
      grown.set(this.historyHashes);
      this.historyHashes = grown;
    }
    for (let id = this.historiesHashed; id < values.length; id++) hashText(canonicalJson(values[id]!), this.historyHashes, id * 2);
    this.historiesHashed = values.length;
  }
}

/** Two independent 32-bit hashes of a text's UTF-16 code units, written at `out[at]` and `out[at + 1]`. */
function hashText(text: string, out: Int32Array, at: number): void {
  const codes = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  out[at] = fingerprint(codes, codes.length);
  out[at + 1] = fingerprintLowOfLast;
}

/**
 * fingerprint.ts's two hashes fed one word at a time, so that a state's words are hashed as they
 * are looked up, with no vector of them written first.
 */
class Mix {
  private high = 0;
  low = 0;

  start(seed: number): void {
    this.high = 0x9747b28c ^ seed;
    this.low = (0x165667b1 + seed) | 0;
  }

  add(word: number): void {
    let k = Math.imul(word, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    let h = this.high ^ Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    this.high = (Math.imul(h, 5) + 0xe6546b64) | 0;
    const l = (this.low + Math.imul(word, 0xc2b2ae3d)) | 0;
    this.low = Math.imul((l << 17) | (l >>> 15), 0x27d4eb2f);
  }

  /** Returns the high half and leaves the low half in `low`. */
  finish(): number {
    let h = this.high;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    let l = this.low;
    l ^= l >>> 15;
    l = Math.imul(l, 0x85ebca77);
    l ^= l >>> 13;
    l = Math.imul(l, 0xc2b2ae3d);
    this.low = l ^ (l >>> 16);
    return h ^ (h >>> 16);
  }
}
