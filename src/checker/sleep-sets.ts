import { ActionKind } from './actions.ts';
import type { Model } from './model.ts';
import { isLiveness } from './properties.ts';

/**
 * Partial-order reduction by sleep sets (Godefroid 1996, "Partial-Order Methods for the
 * Verification of Concurrent Systems", ch. 5), in the breadth-first exploration of explore.ts.
 *
 * Sleep sets alone (no persistent or ample sets) leave the set of reachable states as it is: what
 * they prune are transitions whose target is also reached, from the same state, by the commuted
 * path of the same length. So the distinct count, every `always` and `sometimes` verdict, every
 * quiescent state and every BFS depth stay exactly those of the full search (which is why the
 * counts recorded in models/, several of them TLC's, do not change); only `generated` shrinks.
 *
 * **Independence** (Godefroid's Def. 3.3), decided statically from the step (kind, node, item) of
 * actions.ts: a delivery, a timer or a spontaneous event of one node is independent of one of
 * another node. Faults (crash, loss, duplication) and restarts are dependent on every step. Two
 * such steps of different nodes, both enabled in a state, commute:
 * - A node's step reads and writes only its own local state (machines are pure; a timer's
 *   `mayFire` and a node's spontaneous events are fixed by the model) and the network; the fault
 *   budgets and the crash notices are touched by faults only.
 * - Two deliveries to different nodes take different envelopes (an envelope names its receiver).
 *   `set` never removes a message; `multiset` removes one copy of each, whichever comes first; in
 *   `fifo` they pop the heads of different channels (a channel is (sender, receiver)).
 * - What a step sends is added: to a set or multiset it cannot remove the other step's message,
 *   and in `fifo` it is pushed to the back of a channel of its own sender, which leaves every
 *   head in place (a non-empty channel's front does not change under a push to its back). An
 *   envelope names its sender, so neither step can send what the other sends, and whether the
 *   other step stutters (a `set` delivery or spontaneous event whose sends are all in flight
 *   already, system.ts) does not change.
 * So each stays enabled after the other, and both orders end in the same global state.
 *
 * **Where it does not apply** (`sleepSetsOffBecause`): a history variable is folded over the
 * state each step reaches, so two orders of the same steps may leave different histories; a
 * boundary stops the exploration at states outside it, and the commuted path a pruned step relies
 * on may run through one (from s, x then y leaves the boundary, y then x does not: x asleep after
 * y would lose y·x·…); symmetry stores a representative, and a sleep set would have to be renamed
 * by the permutation that chose it, which canonicalisation does not hand out; liveness is checked
 * on the state graph, which needs every edge; the parallel workers (level-exploration.ts) do not
 * carry sleep sets. Refinements apply: every step of every expanded state is still checked, a
 * pruned one too (explore.ts), since a step's abstract successor is known without fingerprinting
 * its target.
 *
 * **The algorithm.** Every stored state s carries a sleep set Z(s); the initial state's is empty.
 * Expanding s, a step in Z(s) is not explored. The i-th step explored, t_i, gives its target the
 * sleep set { t ∈ Z(s) ∪ {t_1 … t_{i-1}} : t independent of t_i } (Godefroid, ch. 5); a target
 * stored before and not expanded yet keeps the intersection of its old set and this one (sleep
 * sets with state matching).
 *
 * **Why every state is reached at its depth, without re-expansion.** Godefroid's search with
 * state matching is depth-first, so a state may be expanded before every path to it has been
 * seen, and must later explore the steps a smaller sleep set wakes. Breadth-first,
 * a state at depth d+1 is expanded only after every state at depth d, so its sleep set is already
 * the intersection over all its shortest predecessors' edges. Claim: if s is stored at its depth
 * d, Z(s) is its set when expanded, and w is a word from s along a shortest path such that no step
 * that can be commuted to the front of w lies in Z(s), then s·w is stored at depth d + |w|.
 * Induction on |w|: let M be the steps that can be commuted to the front of w; none is in Z(s), so
 * all are explored from s; let t be the one explored first and w ≡ t·v. s·t is at depth d+1 and
 * expanded after s, so Z(s·t) ⊆ {x ∈ Z(s) ∪ (steps explored before t) : x independent of t}. A
 * step x of Z(s·t) that can be commuted to the front of v is independent of t and enabled in s,
 * so it commutes to the front of w as well (x ∈ M): then x ∉ Z(s) and x was not explored before
 * t — a contradiction. Apply the claim to v at s·t. From the initial state (empty sleep set) this
 * reaches every reachable state at its BFS depth; so counterexamples are as long as without
 * reduction. A state reached again after its expansion, with a smaller sleep set, comes from a
 * path no shorter than its depth and needs nothing explored again: by the claim each state it
 * could lead to is stored, at its own depth, already. (Which of several equally short
 * counterexamples is found first may change, as the order of states within a level does.)
 */
export class SleepSets {
  private readonly queue = new SleepSetQueue();
  /**
   * Z(s), then the steps explored so far, of the state being expanded, as codes. Scanned, not
   * hashed: both are a handful of steps (3.8 explored and 0.4 asleep per state on average in
   * three-phase/crash-stop, at most 18 in two-phase/tla at 6 RMs).
   */
  private listed = new Float64Array(64);
  private listedCount = 0;
  /** How many of `listed` are Z(s). */
  private asleepCount = 0;
  private current = -1;

  constructor(private readonly nodeCount: number) {}

  /** Records the initial state's sleep set (empty), as the first stored state's. */
  admitInitial(): void {
    this.queue.append(this.listed, 0, -1, this.nodeCount);
  }

  /** Before the successors of stored state `index` are enumerated: its sleep set is what they skip. */
  expand(index: number): void {
    this.current = index;
    const { queue } = this;
    const size = queue.sizeOf(index);
    const at = queue.positionOf(index);
    if (this.listed.length < size + 64) this.listed = new Float64Array((size + 64) * 2);
    for (let i = 0; i < size; i++) this.listed[i] = queue.pool[at + i]!;
    this.listedCount = size;
    this.asleepCount = size;
    // No state before this one is read again: breadth-first, sleep sets are needed until expansion only.
    queue.release(index);
  }

  /** Whether the step is in the sleep set of the state being expanded: then it need not be explored. */
  asleep(kind: ActionKind, node: number, item: number): boolean {
    if (this.asleepCount === 0 || !commutes(kind)) return false;
    const code = this.code(kind, node, item);
    for (let i = 0; i < this.asleepCount; i++) if (this.listed[i] === code) return true;
    return false;
  }

  /**
   * After a step was explored from the state being expanded, to stored state `target`: a new
   * state (`stored`) gets its sleep set, one stored earlier and not yet expanded keeps the
   * intersection; and the step joins those explored.
   */
  explored(kind: ActionKind, node: number, item: number, target: number, stored: boolean): void {
    const independentOf = commutes(kind) ? node : -1;
    if (stored) this.queue.append(this.listed, this.listedCount, independentOf, this.nodeCount);
    else if (target > this.current) this.queue.intersect(target, this.listed, this.listedCount, independentOf, this.nodeCount);
    if (independentOf < 0) return;
    // A step is explored once per state: its (kind, node, item) names one successor.
    if (this.listedCount === this.listed.length) {
      const grown = new Float64Array(this.listed.length * 2);
      grown.set(this.listed);
      this.listed = grown;
    }
    this.listed[this.listedCount++] = this.code(kind, node, item);
  }

  /** A step as one number: the same (kind, node, item) is the same code in every state, since envelope and timer ids are interned. */
  private code(kind: ActionKind, node: number, item: number): number {
    return (item * KINDS + kind) * this.nodeCount + node;
  }
}

/**
 * Why sleep sets cannot prune this model, if they cannot (see SleepSets). The parallel workers
 * do not use them either: parallel-explore.ts says so.
 */
export function sleepSetsOffBecause(model: Model): string | undefined {
  if (model.properties.some(isLiveness)) return 'liveness properties are checked on the state graph, which needs every edge';
  if (model.history) return `the history variable ${model.history.name} is folded over every state a step reaches, so two orders of the same steps may leave different histories`;
  if (model.boundary) return 'a boundary: a state outside it is not expanded, so the commuted path a pruned step relies on may stop there';
  if (model.symmetry?.length) return "symmetry sets: a sleep set would have to be renamed by the permutation that picked each state's representative";
  return undefined;
}

/** The reason given when the caller turned reduction off. */
export const REDUCTION_TURNED_OFF = 'turned off (--no-por)';

/** Deliveries, timers and spontaneous events: the steps that commute with another node's (faults and restarts never do). */
const commutes = (kind: ActionKind): boolean => kind === ActionKind.Deliver || kind === ActionKind.Timer || kind === ActionKind.Spontaneous;

const KINDS = 8;

/** The node a step code belongs to. */
const nodeOf = (code: number, nodeCount: number): number => code % nodeCount;

/**
 * The sleep sets of the states stored and not yet expanded, in the order stored: a FIFO of code
 * lists in one pool, with each state's position and size in a window of arrays, all compacted as
 * the expansion moves past them, so that memory follows the breadth-first queue, not every state
 * ever stored. Sizes are kept apart so that an empty sleep set (the common case) is told by one
 * read.
 */
class SleepSetQueue {
  pool = new Float64Array(1 << 12);
  /** Pool positions and sizes of the sleep sets of states `first`, `first + 1`, …. */
  private positions = new Float64Array(1 << 10);
  private sizes = new Int32Array(1 << 10);
  private first = 0;
  private count = 0;
  private used = 0;
  /** States below this one are expanded: their sleep sets may go. */
  private live = 0;

  positionOf(index: number): number {
    return this.positions[index - this.first]!;
  }

  sizeOf(index: number): number {
    return this.sizes[index - this.first]!;
  }

  /** Appends the next stored state's sleep set: the codes of `listed` independent of a step of node `independentOf` (-1: none). */
  append(listed: Float64Array, count: number, independentOf: number, nodeCount: number): void {
    if (this.used + count > this.pool.length) this.makeRoom(count);
    if (this.count - this.first === this.positions.length) this.makeRoomForStates();
    const at = this.used;
    let size = 0;
    if (independentOf >= 0) {
      for (let i = 0; i < count; i++) {
        const code = listed[i]!;
        if (nodeOf(code, nodeCount) !== independentOf) this.pool[at + size++] = code;
      }
    }
    this.positions[this.count - this.first] = at;
    this.sizes[this.count - this.first] = size;
    this.count++;
    this.used = at + size;
  }

  /** Z(index) := Z(index) ∩ { t ∈ listed : t independent of a step of node `independentOf` }, in place (it only shrinks). */
  intersect(index: number, listed: Float64Array, count: number, independentOf: number, nodeCount: number): void {
    const size = this.sizes[index - this.first]!;
    if (size === 0) return;
    const at = this.positions[index - this.first]!;
    let kept = 0;
    if (independentOf >= 0) {
      for (let i = 0; i < size; i++) {
        const code = this.pool[at + i]!;
        if (nodeOf(code, nodeCount) !== independentOf && includes(listed, count, code)) this.pool[at + kept++] = code;
      }
    }
    this.sizes[index - this.first] = kept;
  }

  release(index: number): void {
    this.live = index;
  }

  /** Drops the sleep sets of expanded states (moving the rest to the front) or, if most are live, grows the pool. */
  private makeRoom(needed: number): void {
    const start = this.live < this.count ? this.positionOf(this.live) : this.used;
    const liveWords = this.used - start;
    if (liveWords + needed <= this.pool.length / 2) {
      this.pool.copyWithin(0, start, this.used);
    } else {
      const grown = new Float64Array(Math.max(this.pool.length * 2, (liveWords + needed) * 2));
      grown.set(this.pool.subarray(start, this.used));
      this.pool = grown;
    }
    this.used = liveWords;
    this.dropExpandedStates();
    for (let i = 0; i < this.count - this.first; i++) this.positions[i] -= start;
  }

  private makeRoomForStates(): void {
    if (this.count - this.live > this.positions.length / 2) {
      const positions = new Float64Array(this.positions.length * 2);
      positions.set(this.positions.subarray(this.live - this.first, this.count - this.first));
      const sizes = new Int32Array(this.sizes.length * 2);
      sizes.set(this.sizes.subarray(this.live - this.first, this.count - this.first));
      this.positions = positions;
      this.sizes = sizes;
      this.first = this.live;
    } else {
      this.dropExpandedStates();
    }
  }

  /** Forgets the positions and sizes of expanded states. */
  private dropExpandedStates(): void {
    this.positions.copyWithin(0, this.live - this.first, this.count - this.first);
    this.sizes.copyWithin(0, this.live - this.first, this.count - this.first);
    this.first = this.live;
  }
}

function includes(codes: Float64Array, count: number, code: number): boolean {
  for (let i = 0; i < count; i++) if (codes[i] === code) return true;
  return false;
}
