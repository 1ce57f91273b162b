import type { Json } from '../node/index.ts';
import type { SuccessorSink } from './actions.ts';
import { ModelError } from './model-error.ts';
import type { ComposedSystem } from './system.ts';

/**
 * Symmetry reduction (as TLC's SYMMETRY): nodes in one symmetry set are interchangeable, so a
 * global state and every state obtained from it by permuting them (renaming their ids everywhere:
 * which node holds which local state, node ids inside contexts, durable state and messages) are
 * explored as one, represented by the least of their integer encodings. Every permutation is
 * tried, so symmetry sets should be small (up to five or six members).
 *
 * Renaming works on the JSON of a local state: every string and object key equal to a member's
 * id is mapped, and an array whose elements are all member ids is re-sorted, because machines keep
 * sets of node ids as sorted arrays. Properties must be symmetric too (TCConsistent is; "rm1
 * commits" is not), or the reduction may hide a violation.
 */
export class Symmetry {
  /** Each permutation as the node index each node index goes to (identity left out). */
  private readonly permutations: Int32Array[];
  /** Each permutation as a renaming of node ids. */
  private readonly renamings: Map<string, string>[];
  private readonly members: Set<string>;
  /** renamedLocal[permutation][node]: local id → local id at the image node. */
  private readonly renamedLocal: RenamingTable[][];
  /** renamedEnvelope[permutation]: envelope id → renamed envelope id. */
  private readonly renamedEnvelope: RenamingTable[];
  /** renamedHistory[permutation]: history id → renamed history id. */
  private readonly renamedHistory: RenamingTable[];
  private candidate = new Int32Array(256);
  private best = new Int32Array(256);
  private ids = new Int32Array(256);
  /** Scratch: each permutation's node words, the least of them, and the permutations that give it. */
  private readonly nodeWords: Int32Array;
  private readonly leastNodes: Int32Array;
  private readonly ties: Int32Array;

  constructor(
    private readonly system: ComposedSystem,
    groups: readonly (readonly string[])[],
  ) {
    const { nodeIndex, model } = system;
    const seen = new Set<string>();
    for (const group of groups) {
      for (const id of group) {
        const index = nodeIndex.get(id);
        if (index === undefined) throw new ModelError(`symmetry set member "${id}" is not a node of the model`);
        if (seen.has(id)) throw new ModelError(`"${id}" is in more than one symmetry set`);
        seen.add(id);
        if (model.nodes[index]!.machine !== model.nodes[nodeIndex.get(group[0]!)!]!.machine) {
          throw new ModelError(`symmetry set ${group.join(', ')}: its nodes must run the same machine`);
        }
      }
    }
    this.members = seen;
    const count = model.nodes.length;
    let permutations = [Int32Array.from({ length: count }, (_, i) => i)];
    for (const group of groups) {
      const indices = group.map((id) => nodeIndex.get(id)!);
      permutations = permutations.flatMap((base) =>
        orderings(indices).map((ordering) => {
          const permutation = base.slice();
          indices.forEach((from, i) => (permutation[from] = ordering[i]!));
          return permutation;
        }),
      );
    }
    this.permutations = permutations.filter((p) => p.some((to, from) => to !== from));
    this.renamings = this.permutations.map(
      (p) => new Map([...p].map((to, from) => [model.nodes[from]!.id, model.nodes[to]!.id] as const).filter(([a, b]) => a !== b)),
    );
    this.renamedLocal = this.permutations.map(() => model.nodes.map(() => new RenamingTable()));
    this.renamedEnvelope = this.permutations.map(() => new RenamingTable());
    this.renamedHistory = this.permutations.map(() => new RenamingTable());
    this.nodeWords = new Int32Array(this.permutations.length * count);
    this.leastNodes = new Int32Array(count);
    this.ties = new Int32Array(this.permutations.length + 1);
  }

  get size(): number {
    return this.permutations.length + 1;
  }

  /**
   * Writes the representative of `state`'s symmetry class into `out`; returns its length. The
   * representative is the least encoding under every permutation. Node words come first in an
   * encoding, so the least one is found in two passes: first the least node words over all
   * permutations (cheap table lookups), then, only among the permutations that tie there, the
   * network, which must be renamed message by message and re-encoded. Usually one ties.
   */
  canonicalize(state: Int32Array, length: number, out: Int32Array): number {
    const { system, permutations } = this;
    const nodeCount = system.nodes.length;
    const words = this.nodeWords;
    // Pass 1: the least node words; `ties` lists the permutations that give them (-1: identity).
    for (let k = 0; k < nodeCount; k++) this.leastNodes[k] = state[k]!;
    let ties = 0;
    this.ties[ties++] = -1;
    for (let p = 0; p < permutations.length; p++) {
      const permutation = permutations[p]!;
      const at = p * nodeCount;
      for (let k = 0; k < nodeCount; k++) words[at + permutation[k]!] = this.localUnder(p, k, state[k]!);
      let order = 0;
      for (let k = 0; k < nodeCount && order === 0; k++) order = words[at + k]! - this.leastNodes[k]!;
      if (order > 0) continue;
      if (order < 0) {
        for (let k = 0; k < nodeCount; k++) this.leastNodes[k] = words[at + k]!;
        ties = 0;
      }
      this.ties[ties++] = p;
    }
    if (ties === 1 && this.ties[0] === -1) {
      out.set(state.subarray(0, length));
      return length;
    }
    // Pass 2: the least network among the ties.
    const start = system.networkStart;
    const contents = system.codec.contents(state, start, length);
    const room = start + contents.length * 2 + (system.envelopes.all.length >>> 5) + 64;
    if (this.candidate.length < room) this.candidate = new Int32Array(room * 2);
    if (this.best.length < room) this.best = new Int32Array(room * 2);
    if (this.ids.length < contents.length) this.ids = new Int32Array(contents.length * 2);
    let bestLength = -1;
    for (let t = 0; t < ties; t++) {
      const p = this.ties[t]!;
      const candidate = bestLength < 0 ? this.best : this.candidate;
      let candidateLength: number;
      if (p < 0) {
        candidate.set(state.subarray(0, length));
        candidateLength = length;
      } else {
        for (let k = 0; k < start; k++) candidate[k] = state[k]!;
        for (let k = 0; k < nodeCount; k++) candidate[k] = this.leastNodes[k]!;
        if (system.history) candidate[system.historyWord] = this.historyUnder(p, state[system.historyWord]!);
        for (let i = 0; i < contents.length; i++) this.ids[i] = this.envelopeUnder(p, contents[i]!);
        candidateLength = system.codec.write(EMPTY, 0, 0, -1, -1, this.ids.subarray(0, contents.length), candidate, start);
      }
      if (bestLength < 0) {
        bestLength = candidateLength;
      } else if (less(candidate, candidateLength, this.best, bestLength)) {
        this.candidate = this.best;
        this.best = candidate;
        bestLength = candidateLength;
      }
    }
    out.set(this.best.subarray(0, bestLength));
    return bestLength;
  }

  /**
   * The behaviour through the given representatives as actual states: from the initial state, each
   * step goes to the successor whose representative is the next one.
   */
  unfold(representatives: readonly Int32Array[]): Int32Array[] {
    const states: Int32Array[] = [this.system.initial.slice()];
    for (const target of representatives.slice(1)) {
      const finder = new RepresentativeFinder(this, target);
      const from = states[states.length - 1]!;
      this.system.successors(from, from.length, finder);
      if (!finder.found) throw new Error('internal error: a step between representatives could not be reproduced');
      states.push(finder.found);
    }
    return states;
  }

  private localUnder(p: number, node: number, local: number): number {
    const table = this.renamedLocal[p]![node]!;
    let renamed = table.get(local);
    if (renamed < 0) {
      const { nodes } = this.system;
      const from = nodes[node]!.states[local]!;
      const renaming = this.renamings[p]!;
      const target = nodes[this.permutations[p]![node]!]!;
      renamed = target.internRenamed(from, (value) => this.rename(value, renaming));
      table.set(local, renamed);
    }
    return renamed;
  }

  private historyUnder(p: number, history: number): number {
    const table = this.renamedHistory[p]!;
    let renamed = table.get(history);
    if (renamed < 0) {
      const track = this.system.history!;
      renamed = track.intern(this.rename(track.values[history], this.renamings[p]!));
      table.set(history, renamed);
    }
    return renamed;
  }

  private envelopeUnder(p: number, envelope: number): number {
    const table = this.renamedEnvelope[p]!;
    let renamed = table.get(envelope);
    if (renamed < 0) {
      const { envelopes, nodeIndex } = this.system;
      const original = envelopes.all[envelope]!;
      const renaming = this.renamings[p]!;
      const from = renaming.get(original.from) ?? original.from;
      const to = renaming.get(original.to) ?? original.to;
      renamed = envelopes.intern(nodeIndex.get(from)!, to, this.rename(original.message, renaming) as never, from);
      table.set(envelope, renamed);
    }
    return renamed;
  }

  private rename(value: unknown, renaming: ReadonlyMap<string, string>): Json {
    if (typeof value === 'string') return renaming.get(value) ?? value;
    if (Array.isArray(value)) {
      const items = value.map((item) => this.rename(item, renaming));
      const allMembers = items.length > 0 && items.every((item) => typeof item === 'string' && this.members.has(item));
      return allMembers ? (items as string[]).sort() : items;
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [renaming.get(key) ?? key, this.rename(item, renaming)]));
    }
    return value as Json;
  }
}

const EMPTY = new Int32Array(0);

/** A growable map from interned ids to the ids of their renamings: -1 where not computed yet. */
class RenamingTable {
  private ids = new Int32Array(16).fill(-1);

  get(id: number): number {
    return id < this.ids.length ? this.ids[id]! : -1;
  }

  set(id: number, renamed: number): void {
    if (id >= this.ids.length) {
      const grown = new Int32Array(Math.max(id + 1, this.ids.length * 2)).fill(-1);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[id] = renamed;
  }
}

function less(a: Int32Array, aLength: number, b: Int32Array, bLength: number): boolean {
  if (aLength !== bLength) return aLength < bLength;
  for (let i = 0; i < aLength; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function orderings(items: readonly number[]): number[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => orderings([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

class RepresentativeFinder implements SuccessorSink {
  found: Int32Array | undefined;
  private readonly scratch = new Int32Array(4096);

  constructor(
    private readonly symmetry: Symmetry,
    private readonly target: Int32Array,
  ) {}

  accept(next: Int32Array, length: number): boolean {
    const scratch = this.scratch.length >= length * 2 + 256 ? this.scratch : new Int32Array(length * 2 + 256);
    const canonicalLength = this.symmetry.canonicalize(next, length, scratch);
    if (canonicalLength !== this.target.length) return true;
    for (let i = 0; i < canonicalLength; i++) if (scratch[i] !== this.target[i]) return true;
    this.found = next.slice(0, length);
    return false;
  }
}
