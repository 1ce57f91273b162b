import type { Json } from '../node/index.ts';
import { canonicalJson } from '../node/index.ts';
import type { SuccessorSink } from './actions.ts';
import type { LocalState } from './local-states.ts';
import { ModelError } from './model-error.ts';
import type { ComposedSystem } from './system.ts';

/**
 * Symmetry reduction (as TLC's SYMMETRY): nodes in one symmetry set are interchangeable, so a
 * global state and every state obtained from it by permuting them (renaming their ids everywhere:
 * which node holds which local state, node ids inside contexts, durable state and messages) are
 * explored as one representative.
 *
 * Renaming works on the JSON of a local state: every string and object key equal to a member's
 * id is mapped, and an array whose elements are all member ids is re-sorted, because machines keep
 * sets of node ids as sorted arrays. Properties must be symmetric too (TCConsistent is; "rm1
 * commits" is not), or the reduction may hide a violation.
 *
 * The representative is found without trying all n! permutations (TLC does try them all, which
 * is why its manual advises small symmetry sets). Members are first sorted by a signature that
 * no renaming changes — their local state and the messages they send and receive, with every
 * member id replaced by one placeholder — so that only permutations putting the members in
 * signature order are candidates. Members with equal signatures are usually interchangeable in
 * the state itself (swapping them gives the same state, as with RMs all `working`); a run of such
 * members is tried in one order only. Only where equal signatures hide a real difference are its
 * orderings all tried. Among the candidates the least encoding is the representative.
 *
 * This is exact: a state and any renaming of it have the same signatures, so their candidates
 * give the same set of states and the same least one — every class of symmetric states is
 * explored exactly once, the counts are those of trying every permutation.
 */
export class Symmetry {
  /** The order of the symmetry group: the number of permutations a state stands for at most. */
  readonly size: number;
  /** Each set's node indices, ascending: the positions its members are sorted into. */
  private readonly groups: Int32Array[];
  /** By node index: its set, or -1. */
  private readonly groupOf: Int32Array;
  private readonly members: Set<string>;
  private readonly nodeIds: string[];
  /** By member id: the placeholder its set's members share in signatures. */
  private readonly placeholders: Map<string, string>;

  /** Signatures, interned: an abstract JSON text → a small integer. */
  private readonly signatureIds = new Map<string, number>();
  /** localSignature[node]: local id → signature id of that local state with member ids abstracted. */
  private readonly localSignature: IdTable[];
  /** envelope id → signature id of the message with its ends and contents abstracted. */
  private readonly envelopeSignature = new IdTable();
  /** The member node indices a local state (by node), an envelope or a history value mentions. */
  private readonly localMentions: (Int32Array | undefined)[][];
  private readonly envelopeMentions: (Int32Array | undefined)[] = [];
  private readonly historyMentions: (Int32Array | undefined)[] = [];
  /**
   * Renamings already made. A renamed local state depends only on where the permutation sends
   * the node and the members its state mentions, so it is cached under exactly that; most local
   * states mention no other member, and one entry per target node serves every permutation.
   */
  private readonly renamedLocal: Map<number | string, number>[];
  /** localViews[node]: (local id, member) → signature id of that state as the member sees itself in it. */
  private readonly localViews: Map<number, number>[];
  private readonly renamedEnvelope = new Map<number | string, number>();
  private readonly renamedHistory = new Map<number | string, number>();

  // Scratch, grown as needed.
  private candidate = new Int32Array(256);
  private best = new Int32Array(256);
  private ids = new Int32Array(256);
  private readonly permutation: Int32Array;
  private readonly identity: Int32Array;

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
    const count = model.nodes.length;
    this.members = seen;
    this.nodeIds = model.nodes.map((node) => node.id);
    this.groups = groups.filter((group) => group.length > 1).map((group) => Int32Array.from(group.map((id) => nodeIndex.get(id)!)).sort());
    this.groupOf = new Int32Array(count).fill(-1);
    this.placeholders = new Map();
    this.groups.forEach((group, g) => {
      for (const node of group) {
        this.groupOf[node] = g;
        this.placeholders.set(this.nodeIds[node]!, `\u0000symmetric ${g}`);
      }
    });
    this.size = this.groups.reduce((order, group) => order * factorial(group.length), 1);
    this.localSignature = model.nodes.map(() => new IdTable());
    this.localMentions = model.nodes.map(() => []);
    this.renamedLocal = model.nodes.map(() => new Map());
    this.localViews = model.nodes.map(() => new Map());
    this.identity = Int32Array.from({ length: count }, (_, i) => i);
    this.permutation = this.identity.slice();
  }

  /** Writes the representative of `state`'s symmetry class into `out`; returns its length. */
  canonicalize(state: Int32Array, length: number, out: Int32Array): number {
    this.state = state;
    this.length = length;
    this.contents = undefined;
    this.signatures = undefined;
    this.views = undefined;
    // Each set's members in signature order, and the runs of equal signatures whose orderings
    // must all be tried (those whose members are not interchangeable in this very state).
    const permutation = this.permutation;
    permutation.set(this.identity);
    this.choices.length = 0;
    for (const group of this.groups) {
      const order = this.inSignatureOrder(group);
      for (let i = 0; i < order.length; ) {
        let j = i + 1;
        while (j < order.length && this.compareMembers(order[i]!, order[j]!) === 0) j++;
        for (let k = i; k < j; k++) permutation[order[k]!] = group[k]!;
        if (j - i > 1) {
          const run = order.slice(i, j);
          if (!this.interchangeable(run)) this.choices.push({ targets: group.slice(i, j), members: run });
        }
        i = j;
      }
    }
    // The least encoding among the candidates: every ordering of each run in `choices`.
    this.bestLength = -1;
    this.choose(0);
    out.set(this.best.subarray(0, this.bestLength));
    return this.bestLength;
  }

  // The state being canonicalised, and what is computed of it only when needed.
  private state: Int32Array = EMPTY;
  private length = 0;
  private contents: readonly number[] | undefined;
  private signatures: Map<number, number[]> | undefined;
  private views: Map<number, number[]> | undefined;
  private readonly choices: { readonly targets: Int32Array; readonly members: Int32Array }[] = [];
  private bestLength = -1;
  private readonly order = new Int32Array(64);

  /** The messages in flight of the state at hand (their envelope ids), with the scratch buffers sized for it. */
  private messages(): readonly number[] {
    if (this.contents === undefined) {
      const { system } = this;
      const contents = system.codec.contents(this.state, system.networkStart, this.length);
      const room = system.networkStart + contents.length * 2 + (system.envelopes.all.length >>> 5) + 64;
      if (this.candidate.length < room) this.candidate = new Int32Array(room * 2);
      if (this.best.length < room) this.best = new Int32Array(room * 2);
      if (this.ids.length < contents.length) this.ids = new Int32Array(contents.length * 2);
      this.contents = contents;
    }
    return this.contents;
  }

  /**
   * A set's members sorted by signature (insertion sort: sets are small), ties by node index —
   * in a scratch array that the next set's call reuses (runs are copied out of it).
   */
  private inSignatureOrder(group: Int32Array): Int32Array {
    const order = group.length <= this.order.length ? this.order.subarray(0, group.length) : new Int32Array(group.length);
    order.set(group);
    for (let i = 1; i < order.length; i++) {
      const node = order[i]!;
      let j = i - 1;
      while (j >= 0 && this.compareMembers(order[j]!, node) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = node;
    }
    return order;
  }

  /**
   * Members by signature: their local states first; only when those are equal, their messages in
   * flight; and only when those are equal too, how every other node's state speaks of them (the
   * TM's `prepared` list holding one RM and not another) — so that equal signatures are rare
   * between members the state tells apart.
   */
  private compareMembers(a: number, b: number): number {
    const order = this.signatureOfLocal(a, this.state[a]!) - this.signatureOfLocal(b, this.state[b]!);
    if (order !== 0) return order;
    const signatures = (this.signatures ??= this.networkSignatures(this.messages()));
    const network = compareArrays(signatures.get(a) ?? NO_MESSAGES, signatures.get(b) ?? NO_MESSAGES);
    if (network !== 0) return network;
    const views = (this.views ??= new Map());
    let ofA = views.get(a);
    if (!ofA) views.set(a, (ofA = this.viewsOf(a)));
    let ofB = views.get(b);
    if (!ofB) views.set(b, (ofB = this.viewsOf(b)));
    return compareArrays(ofA, ofB);
  }

  /**
   * How the other nodes' local states speak of `member`: each non-member's state in node order,
   * then the other members' states as a sorted multiset (their places change under renaming),
   * each with `member` marked as itself and every other member as its set's placeholder.
   */
  private viewsOf(member: number): number[] {
    const fixed: number[] = [];
    const others: number[] = [];
    for (let k = 0; k < this.system.nodes.length; k++) {
      if (k === member) continue;
      (this.groupOf[k]! < 0 ? fixed : others).push(this.viewOf(k, this.state[k]!, member));
    }
    return [...fixed, ...others.sort((x, y) => x - y)];
  }

  private viewOf(node: number, local: number, member: number): number {
    const key = local * this.nodeIds.length + member;
    const cache = this.localViews[node]!;
    let id = cache.get(key);
    if (id === undefined) {
      const from = this.system.nodes[node]!.states[local]!;
      const self = this.nodeIds[member]!;
      id = this.intern([from.snapshot?.value ?? null, from.snapshot ? this.abstract(from.snapshot.context, self) : null, this.abstract(from.durable, self), [...from.timers]]);
      cache.set(key, id);
    }
    return id;
  }

  private choose(c: number): void {
    if (c === this.choices.length) {
      this.consider();
      return;
    }
    const { targets, members } = this.choices[c]!;
    for (const ordering of orderings(members.length)) {
      for (let k = 0; k < members.length; k++) this.permutation[members[ordering[k]!]!] = targets[k]!;
      this.choose(c + 1);
    }
  }

  private consider(): void {
    const first = this.bestLength < 0;
    if (first && isIdentity(this.permutation)) {
      if (this.best.length < this.length) this.best = new Int32Array(this.length * 2);
      this.best.set(this.state.subarray(0, this.length));
      this.bestLength = this.length;
      return;
    }
    this.messages(); // sizes the buffers before one is picked
    const candidate = first ? this.best : this.candidate;
    const candidateLength = this.apply(this.permutation, candidate);
    if (first) {
      this.bestLength = candidateLength;
    } else if (less(candidate, candidateLength, this.best, this.bestLength)) {
      this.candidate = this.best;
      this.best = candidate;
      this.bestLength = candidateLength;
    }
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

  /** The state at hand with its nodes permuted (node i's local state moves to node permutation[i], renamed), into `out`. */
  private apply(permutation: Int32Array, out: Int32Array): number {
    const { system, state } = this;
    const contents = this.messages();
    const start = system.networkStart;
    for (let k = 0; k < start; k++) out[k] = state[k]!;
    for (let k = 0; k < system.nodes.length; k++) out[permutation[k]!] = this.localUnder(permutation, k, state[k]!);
    if (system.history) out[system.historyWord] = this.historyUnder(permutation, state[system.historyWord]!);
    for (let i = 0; i < contents.length; i++) this.ids[i] = this.envelopeUnder(permutation, contents[i]!);
    return system.codec.write(EMPTY, 0, 0, -1, -1, this.ids.subarray(0, contents.length), out, start);
  }

  /**
   * Whether members with equal signatures can be swapped without changing the state: if every
   * swap of neighbours in the run leaves it as it is, every ordering of the run gives the same
   * candidate and one will do. Node words are compared first, the whole state only if they agree.
   */
  private interchangeable(run: Int32Array): boolean {
    const { state, length } = this;
    const swap = this.identity.slice();
    for (let i = 0; i + 1 < run.length; i++) {
      const a = run[i]!;
      const b = run[i + 1]!;
      swap[a] = b;
      swap[b] = a;
      for (let k = 0; k < this.system.nodes.length; k++) if (this.localUnder(swap, k, state[k]!) !== state[swap[k]!]) return false;
      this.messages();
      const swappedLength = this.apply(swap, this.candidate);
      if (swappedLength !== length) return false;
      for (let w = 0; w < length; w++) if (this.candidate[w] !== state[w]) return false;
      swap[a] = a;
      swap[b] = b;
    }
    return true;
  }

  /** Each member's messages in flight, as sorted signatures (the message's signature and which end the member is). */
  private networkSignatures(contents: readonly number[]): Map<number, number[]> {
    const byNode = new Map<number, number[]>();
    const add = (node: number, word: number) => {
      if (this.groupOf[node]! < 0) return;
      let list = byNode.get(node);
      if (!list) byNode.set(node, (list = []));
      list.push(word);
    };
    for (const id of contents) {
      const envelope = this.system.envelopes.all[id]!;
      const signature = this.signatureOfEnvelope(id) * 4;
      if (envelope.fromIndex === envelope.toIndex) {
        add(envelope.fromIndex, signature + 3);
      } else {
        add(envelope.fromIndex, signature + 1);
        add(envelope.toIndex, signature + 2);
      }
    }
    for (const list of byNode.values()) list.sort((a, b) => a - b);
    return byNode;
  }

  private signatureOfLocal(node: number, local: number): number {
    const table = this.localSignature[node]!;
    let id = table.get(local);
    if (id < 0) {
      const from = this.system.nodes[node]!.states[local]!;
      id = this.intern([from.snapshot?.value ?? null, from.snapshot ? this.abstract(from.snapshot.context) : null, this.abstract(from.durable), [...from.timers]]);
      table.set(local, id);
    }
    return id;
  }

  private signatureOfEnvelope(envelope: number): number {
    let id = this.envelopeSignature.get(envelope);
    if (id < 0) {
      const { from, to, message } = this.system.envelopes.all[envelope]!;
      id = this.intern([this.abstract(from), this.abstract(to), this.abstract(message)]);
      this.envelopeSignature.set(envelope, id);
    }
    return id;
  }

  private intern(value: unknown): number {
    const key = canonicalJson(value);
    let id = this.signatureIds.get(key);
    if (id === undefined) this.signatureIds.set(key, (id = this.signatureIds.size));
    return id;
  }

  /**
   * A value with every member id replaced by its set's placeholder (and `self`, if given, by a
   * mark of its own) — the same for a value and every renaming of it that keeps `self`. An object
   * keyed by member ids becomes its other keys plus the sorted abstract values of the
   * member-keyed ones (keyed alike, they could no longer be told apart).
   */
  private abstract(value: unknown, self?: string): Json {
    if (typeof value === 'string') return value === self ? SELF : (this.placeholders.get(value) ?? value);
    if (Array.isArray(value)) {
      const items = value.map((item) => this.abstract(item, self));
      // A set of members, kept sorted by id (see rename): abstracted, it is sorted again.
      const allMembers = value.length > 0 && value.every((item) => typeof item === 'string' && this.members.has(item));
      return allMembers ? (items as string[]).sort() : items;
    }
    if (value && typeof value === 'object') {
      const result: Record<string, Json> = {};
      const byMember: string[] = [];
      for (const [key, item] of Object.entries(value)) {
        const placeholder = key === self ? undefined : this.placeholders.get(key);
        if (placeholder === undefined) result[key === self ? SELF : key] = this.abstract(item, self);
        else byMember.push(canonicalJson([placeholder, this.abstract(item, self)]));
      }
      if (byMember.length > 0) result['\u0000members'] = byMember.sort();
      return result;
    }
    return value as Json;
  }

  private localUnder(permutation: Int32Array, node: number, local: number): number {
    const mentions = (this.localMentions[node]![local] ??= this.mentionsOf(this.system.nodes[node]!.states[local]!));
    const key = cacheKey(local, permutation[node]!, mentions, permutation);
    const cache = this.renamedLocal[node]!;
    let renamed = cache.get(key);
    if (renamed === undefined) {
      const { nodes } = this.system;
      const renaming = this.renamingOf(permutation);
      renamed = nodes[permutation[node]!]!.internRenamed(nodes[node]!.states[local]!, (value) => this.rename(value, renaming));
      cache.set(key, renamed);
    }
    return renamed;
  }

  private historyUnder(permutation: Int32Array, history: number): number {
    const track = this.system.history!;
    const mentions = (this.historyMentions[history] ??= this.mentionsIn(track.values[history]));
    const key = cacheKey(history, 0, mentions, permutation);
    let renamed = this.renamedHistory.get(key);
    if (renamed === undefined) {
      renamed = track.intern(this.rename(track.values[history], this.renamingOf(permutation)));
      this.renamedHistory.set(key, renamed);
    }
    return renamed;
  }

  private envelopeUnder(permutation: Int32Array, envelope: number): number {
    const { envelopes, nodeIndex } = this.system;
    const original = envelopes.all[envelope]!;
    const mentions = (this.envelopeMentions[envelope] ??= this.mentionsIn([original.from, original.to, original.message]));
    const key = cacheKey(envelope, 0, mentions, permutation);
    let renamed = this.renamedEnvelope.get(key);
    if (renamed === undefined) {
      const renaming = this.renamingOf(permutation);
      const from = renaming.get(original.from) ?? original.from;
      const to = renaming.get(original.to) ?? original.to;
      renamed = envelopes.intern(nodeIndex.get(from)!, to, this.rename(original.message, renaming) as never, from);
      this.renamedEnvelope.set(key, renamed);
    }
    return renamed;
  }

  private mentionsOf(local: LocalState): Int32Array {
    return this.mentionsIn([local.snapshot?.context ?? null, local.durable]);
  }

  /** The member node indices a value mentions, as strings or object keys, ascending. */
  private mentionsIn(value: unknown): Int32Array {
    const found = new Set<number>();
    const visit = (item: unknown): void => {
      if (typeof item === 'string') {
        if (this.members.has(item)) found.add(this.system.nodeIndex.get(item)!);
      } else if (Array.isArray(item)) {
        for (const element of item) visit(element);
      } else if (item && typeof item === 'object') {
        for (const [key, element] of Object.entries(item)) {
          visit(key);
          visit(element);
        }
      }
    };
    visit(value);
    return Int32Array.from(found).sort();
  }

  private renamingOf(permutation: Int32Array): Map<string, string> {
    const renaming = new Map<string, string>();
    for (let k = 0; k < permutation.length; k++) if (permutation[k] !== k) renaming.set(this.nodeIds[k]!, this.nodeIds[permutation[k]!]!);
    return renaming;
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
const NO_MESSAGES: readonly number[] = [];
const SELF = '\u0000self';

/**
 * What a renaming depends on — the value, where its node goes, where each member it mentions
 * goes — as one key: a number while it fits (the images in mixed radix above the id's 26 bits,
 * injective since a value's mentions are fixed), else a string.
 */
function cacheKey(id: number, target: number, mentions: Int32Array, permutation: Int32Array): number | string {
  const radix = permutation.length;
  let code = target;
  for (let i = 0; i < mentions.length; i++) {
    code = code * radix + permutation[mentions[i]!]!;
    if (code >= CODE_LIMIT) return stringKey(id, target, mentions, permutation);
  }
  return id < ID_LIMIT ? code * ID_LIMIT + id : stringKey(id, target, mentions, permutation);
}

const ID_LIMIT = 2 ** 26;
const CODE_LIMIT = 2 ** 26;

function stringKey(id: number, target: number, mentions: Int32Array, permutation: Int32Array): string {
  let key = `${id}>${target}`;
  for (let i = 0; i < mentions.length; i++) key += `,${permutation[mentions[i]!]}`;
  return key;
}

/** A growable map from interned ids to ids: -1 where not computed yet. */
class IdTable {
  private ids = new Int32Array(16).fill(-1);

  get(id: number): number {
    return id < this.ids.length ? this.ids[id]! : -1;
  }

  set(id: number, value: number): void {
    if (id >= this.ids.length) {
      const grown = new Int32Array(Math.max(id + 1, this.ids.length * 2)).fill(-1);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[id] = value;
  }
}

function isIdentity(permutation: Int32Array): boolean {
  for (let k = 0; k < permutation.length; k++) if (permutation[k] !== k) return false;
  return true;
}

function less(a: Int32Array, aLength: number, b: Int32Array, bLength: number): boolean {
  if (aLength !== bLength) return aLength < bLength;
  for (let i = 0; i < aLength; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function compareArrays(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

const orderingsOf = new Map<number, number[][]>();

/** Every ordering of 0..n-1 (cached: runs are short). */
function orderings(n: number): number[][] {
  let all = orderingsOf.get(n);
  if (!all) {
    const build = (items: number[]): number[][] =>
      items.length <= 1 ? [[...items]] : items.flatMap((item, i) => build([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
    all = build(Array.from({ length: n }, (_, i) => i));
    orderingsOf.set(n, all);
  }
  return all;
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
