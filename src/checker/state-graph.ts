const CHUNK_BITS = 18;
const CHUNK_EDGES = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_EDGES - 1;

/** An edge's target that is not a stored state: one outside the boundary, never expanded. */
export const OUTSIDE_TARGET = -2;

/**
 * The reachable state graph, for liveness checking: every step between stored states as an edge
 * (target state, fairness instance), in chunks of typed arrays — 8 bytes an edge, nothing per
 * edge on the JS heap. Breadth-first search expands states in index order, so each state's edges
 * are contiguous (a compressed sparse row layout: one end offset per state). States are numbered
 * as in the StateStore. Stutters (steps back to the same state) are not recorded: they neither
 * enable nor take a fair action (TLA's <A>_vars).
 *
 * Only states whose every successor was enumerated are *expanded*: the explorer may stop in the
 * middle of a state (a bound), and states in its queue then have no edges at all. Their
 * successors are unknown, so liveness checking must not treat them as stuck (see liveness.ts).
 */
export class StateGraph {
  private readonly targets: Int32Array[] = [];
  private readonly labels: Int32Array[] = [];
  edges = 0;
  /** Per expanded state: the end of its edges (the start of the next state's). */
  private ends = new Float64Array(1 << 16);
  /** States 0..expanded-1 have all their edges. */
  expanded = 0;

  /** Adds an edge from the state being expanded (`target` OUTSIDE_TARGET for one outside the boundary). */
  add(target: number, label: number): void {
    const offset = this.edges & CHUNK_MASK;
    if (offset === 0) {
      this.targets.push(new Int32Array(CHUNK_EDGES));
      this.labels.push(new Int32Array(CHUNK_EDGES));
    }
    const chunk = this.edges >>> CHUNK_BITS;
    this.targets[chunk]![offset] = target;
    this.labels[chunk]![offset] = label;
    this.edges++;
  }

  /** Closes the edges of state `index`, which must be the next state in order. */
  complete(index: number): void {
    if (index !== this.expanded) throw new Error(`internal error: state ${index} completed out of order (next is ${this.expanded})`);
    if (index === this.ends.length) {
      const ends = new Float64Array(index * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.ends[index] = this.edges;
    this.expanded = index + 1;
  }

  /** Drops the edges added since the last completed state (one expanded only in part). */
  truncate(): void {
    this.edges = this.expanded === 0 ? 0 : this.ends[this.expanded - 1]!;
  }

  isExpanded(state: number): boolean {
    return state >= 0 && state < this.expanded;
  }

  /** The first edge of expanded state `state`. */
  start(state: number): number {
    return state === 0 ? 0 : this.ends[state - 1]!;
  }

  /** One past the last edge of expanded state `state`. */
  end(state: number): number {
    return this.ends[state]!;
  }

  target(edge: number): number {
    return this.targets[edge >>> CHUNK_BITS]![edge & CHUNK_MASK]!;
  }

  label(edge: number): number {
    return this.labels[edge >>> CHUNK_BITS]![edge & CHUNK_MASK]!;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.targets.length * CHUNK_EDGES * 8 + this.ends.length * 8;
  }
}
