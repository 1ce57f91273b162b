import type { StateGraph } from './state-graph.ts';

/** The strongly connected components found among a set of states. */
export interface Components {
  readonly count: number;
  /** The states, grouped by component: component c is order[starts[c]] .. order[starts[c + 1] - 1]. */
  readonly order: Int32Array;
  readonly starts: Int32Array;
}

/**
 * Tarjan's strongly connected components (R. Tarjan, "Depth-first search and linear graph
 * algorithms", SIAM J. Computing 1(2), 1972), iterative — an explicit stack of (state, next edge)
 * frames instead of recursion, since a state graph's depth-first paths run to millions of states —
 * over the subgraph of a StateGraph induced by the states tagged `tag` in `tags`. Every array is
 * allocated once, sized by the graph, and reset only for the states of each call, so that the
 * refinement of strong fairness (liveness.ts) can call it again on ever smaller subsets.
 */
export class ComponentFinder {
  /** Depth-first number + 1 (0: not visited in this call). */
  private readonly number: Int32Array;
  private readonly low: Int32Array;
  private readonly onStack: Uint8Array;
  private readonly stack: Int32Array;
  private readonly frameState: Int32Array;
  private readonly frameEdge: Float64Array;
  /** Per state: its component in the last call (for the states of that call). */
  readonly componentOf: Int32Array;

  constructor(
    private readonly graph: StateGraph,
    states: number,
  ) {
    this.number = new Int32Array(states);
    this.low = new Int32Array(states);
    this.onStack = new Uint8Array(states);
    this.stack = new Int32Array(states);
    this.frameState = new Int32Array(states);
    this.frameEdge = new Float64Array(states);
    this.componentOf = new Int32Array(states);
  }

  /** The components of the subgraph induced by `members` (each tagged `tag` in `tags`, and expanded). */
  find(members: Int32Array, tags: Int32Array, tag: number): Components {
    const { graph, number, low, onStack, stack, frameState, frameEdge, componentOf } = this;
    for (const state of members) {
      number[state] = 0;
      onStack[state] = 0;
    }
    const order = new Int32Array(members.length);
    const starts: number[] = [0];
    let placed = 0;
    let counter = 0;
    let top = 0;
    let frames = 0;
    for (const root of members) {
      if (number[root] !== 0) continue;
      number[root] = low[root] = ++counter;
      stack[top++] = root;
      onStack[root] = 1;
      frameState[0] = root;
      frameEdge[0] = graph.start(root);
      frames = 1;
      while (frames > 0) {
        const v = frameState[frames - 1]!;
        const edge = frameEdge[frames - 1]!;
        if (edge < graph.end(v)) {
          frameEdge[frames - 1] = edge + 1;
          const w = graph.target(edge);
          if (w < 0 || tags[w] !== tag) continue;
          if (number[w] === 0) {
            number[w] = low[w] = ++counter;
            stack[top++] = w;
            onStack[w] = 1;
            frameState[frames] = w;
            frameEdge[frames] = graph.start(w);
            frames++;
          } else if (onStack[w] === 1 && number[w]! < low[v]!) {
            low[v] = number[w]!;
          }
          continue;
        }
        frames--;
        if (low[v] === number[v]) {
          const component = starts.length - 1;
          let w: number;
          do {
            w = stack[--top]!;
            onStack[w] = 0;
            componentOf[w] = component;
            order[placed++] = w;
          } while (w !== v);
          starts.push(placed);
        }
        if (frames > 0) {
          const u = frameState[frames - 1]!;
          if (low[v]! < low[u]!) low[u] = low[v]!;
        }
      }
    }
    return { count: starts.length - 1, order, starts: Int32Array.from(starts) };
  }
}
