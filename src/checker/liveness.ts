import type { FairnessLabels } from './fairness.ts';
import { ComponentFinder } from './scc.ts';
import type { StateGraph } from './state-graph.ts';

/** Bits of a state's liveness marks (PropertyChecks.markLiveness): P holds, Q holds. */
export const MARK_P = 1;
export const MARK_Q = 2;

/** What a liveness property asks of the graph: `<>Q` from the initial state, or `P ~> Q` from every P-state. */
export interface LivenessQuestion {
  readonly kind: 'eventually' | 'leadsTo';
  /** Per stored state: MARK_P | MARK_Q. For `eventually` only MARK_Q (its predicate) is used. */
  readonly marks: Uint8Array;
}

/**
 * A fair behaviour on which the property fails, as state indices: the stem from the initial
 * state to the cycle's first state, and the cycle — the states after it, the last being that
 * first state again; empty when the behaviour stutters in the stem's last state forever.
 */
export interface Lasso {
  readonly stem: readonly number[];
  readonly cycle: readonly number[];
  /** For `leadsTo`: the position in the stem of the P-state from which Q is never reached. */
  readonly triggeredAt: number;
}

/**
 * Liveness checking on the explored state graph, as TLC does it (Yu, Manolios and Lamport, "Model
 * checking TLA+ specifications", CHARME 1999; Specifying Systems §14.3.5): a liveness property
 * fails exactly when some fair behaviour never reaches a Q-state after its trigger. In a finite
 * graph such a behaviour ends in a strongly connected set of ¬Q states that it visits forever
 * (a lasso), or stops in one ¬Q state and stutters. So:
 *
 * 1. The region: the ¬Q states reachable through ¬Q states from the triggers (the initial state
 *    for `<>Q`; every reachable P∧¬Q state for `P ~> Q`).
 * 2. A state of the region is a fair end by itself when no fair instance is enabled in it
 *    (stuttering forever is then fair: deadlocks and states with only faults or unfair steps left).
 * 3. Tarjan's SCCs of the region. A non-trivial SCC can be visited forever fairly when (weak) every
 *    instance enabled in all of its states is taken on one of its internal edges, and (strong)
 *    every strongly fair instance enabled in any of its states is taken inside. A component that
 *    fails only the strong condition is refined: its states in which an untaken strong instance
 *    is enabled are removed and the SCCs of the rest are examined again (the Emerson–Lei /
 *    Streett emptiness refinement, as in TLC's liveness checker).
 * 4. The counterexample: the shortest path from the initial state to a fair end (through a
 *    trigger, then only ¬Q states), then a cycle inside the component that takes every instance
 *    taken inside it and visits a state where each weak instance it does not take is disabled.
 *
 * Boundaries: only *expanded* states enter the region — states whose every successor was
 * enumerated. A state cut off by a depth or state bound has unknown successors, and a state
 * outside the model's boundary was never expanded, so neither is part of any reported cycle or
 * stuttering end: an edge to one counts as an enabled step (the instance is enabled; the
 * behaviour leaves the region there), never as a way to be stuck. Every reported lasso is a
 * behaviour of the full, unbounded system, fair there; a bounded run may miss violations beyond
 * its bounds (it is incomplete anyway: judgement.ts).
 */
export function findFairLasso(graph: StateGraph, fairness: FairnessLabels, question: LivenessQuestion, stored: number): Lasso | undefined {
  return new LassoSearch(graph, fairness, question, stored).run();
}

class LassoSearch {
  private readonly region: Uint8Array;
  private readonly regionStates: Int32Array;
  /** Per state: the fair component it is in, or -1. */
  private readonly fairComponent: Int32Array;
  private readonly stutters: Uint8Array;
  private readonly instances: number;

  constructor(
    private readonly graph: StateGraph,
    private readonly fairness: FairnessLabels,
    private readonly question: LivenessQuestion,
    private readonly stored: number,
  ) {
    this.region = new Uint8Array(stored);
    this.fairComponent = new Int32Array(stored).fill(-1);
    this.stutters = new Uint8Array(stored);
    this.instances = fairness.instances.length;
    this.regionStates = this.findRegion();
  }

  run(): Lasso | undefined {
    if (this.regionStates.length === 0) return undefined;
    let fairEnds = this.markStutters();
    fairEnds += this.markFairComponents();
    if (fairEnds === 0) return undefined;
    const { stem, triggeredAt } = this.stem();
    const end = stem[stem.length - 1]!;
    const cycle = this.stutters[end] === 1 ? [] : this.cycle(end);
    return { stem, cycle, triggeredAt };
  }

  private goal(state: number): boolean {
    return (this.question.marks[state]! & MARK_Q) !== 0;
  }

  private trigger(state: number): boolean {
    if (!this.graph.isExpanded(state) || this.goal(state)) return false;
    return this.question.kind === 'eventually' ? state === 0 : (this.question.marks[state]! & MARK_P) !== 0;
  }

  /** The ¬Q, expanded states reachable from a trigger through such states. */
  private findRegion(): Int32Array {
    const { graph, region } = this;
    const queue = new Int32Array(this.stored);
    let tail = 0;
    const limit = this.question.kind === 'eventually' ? Math.min(1, graph.expanded) : graph.expanded;
    for (let state = 0; state < limit; state++) {
      if (this.trigger(state)) {
        region[state] = 1;
        queue[tail++] = state;
      }
    }
    for (let head = 0; head < tail; head++) {
      const state = queue[head]!;
      for (let edge = graph.start(state), end = graph.end(state); edge < end; edge++) {
        const target = graph.target(edge);
        if (target < 0 || region[target] === 1 || !graph.isExpanded(target) || this.goal(target)) continue;
        region[target] = 1;
        queue[tail++] = target;
      }
    }
    return queue.slice(0, tail);
  }

  /** Marks the region's states where no fair instance is enabled; returns how many. */
  private markStutters(): number {
    const { graph } = this;
    let count = 0;
    for (const state of this.regionStates) {
      let fairStep = false;
      for (let edge = graph.start(state), end = graph.end(state); edge < end && !fairStep; edge++) fairStep = graph.label(edge) >= 0;
      if (!fairStep) {
        this.stutters[state] = 1;
        count++;
      }
    }
    return count;
  }

  /** Finds the fair components of the region (refining for strong fairness); returns their states' count. */
  private markFairComponents(): number {
    const { graph, fairness, instances } = this;
    const tags = new Int32Array(this.stored);
    for (const state of this.regionStates) tags[state] = 1;
    const finder = new ComponentFinder(graph, this.stored);
    const enabledIn = new Int32Array(instances);
    const lastVisit = new Int32Array(instances).fill(-1);
    const takenIn = new Int32Array(instances).fill(-1);
    const unfairIn = new Int32Array(instances).fill(-1);
    const touched: number[] = [];
    let visit = 0;
    let stamp = 0;
    let nextTag = 2;
    let fairComponents = 0;
    let fairStates = 0;
    const work: { members: Int32Array; tag: number }[] = [{ members: this.regionStates, tag: 1 }];
    while (work.length > 0) {
      const { members, tag } = work.pop()!;
      const { count, order, starts } = finder.find(members, tags, tag);
      for (let c = 0; c < count; c++) {
        const from = starts[c]!;
        const to = starts[c + 1]!;
        // A single state has no internal edge (stutters are not recorded): no cycle through it.
        if (to - from < 2) continue;
        stamp++;
        touched.length = 0;
        for (let i = from; i < to; i++) {
          const state = order[i]!;
          visit++;
          for (let edge = graph.start(state), end = graph.end(state); edge < end; edge++) {
            const label = graph.label(edge);
            if (label < 0) continue;
            if (lastVisit[label] !== visit) {
              lastVisit[label] = visit;
              if (enabledIn[label] === 0) touched.push(label);
              enabledIn[label]++;
            }
            const target = graph.target(edge);
            if (target >= 0 && tags[target] === tag && finder.componentOf[target] === c) takenIn[label] = stamp;
          }
        }
        const size = to - from;
        let weakFails = false;
        let strongFails = false;
        for (const label of touched) {
          if (takenIn[label] === stamp) continue;
          if (fairness.instances[label]!.strong) {
            strongFails = true;
            unfairIn[label] = stamp;
          } else if (enabledIn[label] === size) {
            weakFails = true;
          }
        }
        for (const label of touched) enabledIn[label] = 0;
        if (weakFails) continue;
        if (!strongFails) {
          for (let i = from; i < to; i++) this.fairComponent[order[i]!] = fairComponents;
          fairComponents++;
          fairStates += size;
          continue;
        }
        // Strong fairness: no fair behaviour stays forever where an untaken strong instance is
        // enabled; what is left may still hold fair cycles.
        const kept: number[] = [];
        const tagKept = nextTag++;
        for (let i = from; i < to; i++) {
          const state = order[i]!;
          let enablesUnfair = false;
          for (let edge = graph.start(state), end = graph.end(state); edge < end && !enablesUnfair; edge++) {
            const label = graph.label(edge);
            enablesUnfair = label >= 0 && unfairIn[label] === stamp;
          }
          if (!enablesUnfair) {
            kept.push(state);
            tags[state] = tagKept;
          } else {
            tags[state] = 0;
          }
        }
        if (kept.length >= 2) work.push({ members: Int32Array.from(kept), tag: tagKept });
      }
    }
    return fairStates;
  }

  private isFairEnd(state: number): boolean {
    return this.stutters[state] === 1 || this.fairComponent[state] >= 0;
  }

  /**
   * The shortest path from the initial state to a fair end, through a trigger and from there on
   * only through the region: breadth-first search over (state, phase), phase 1 once a trigger
   * has been passed.
   */
  private stem(): { stem: number[]; triggeredAt: number } {
    const { graph, region } = this;
    const leadsTo = this.question.kind === 'leadsTo';
    const nodes = this.stored * 2;
    const parent = new Int32Array(nodes).fill(-2);
    const queue = new Int32Array(nodes);
    let tail = 0;
    const discover = (node: number, from: number) => {
      parent[node] = from;
      queue[tail++] = node;
      const state = node >>> 1;
      // Passing a trigger is free: the same state, now in phase 1.
      if ((node & 1) === 0 && this.trigger(state) && parent[node | 1] === -2) {
        parent[node | 1] = node;
        queue[tail++] = node | 1;
      }
    };
    if (leadsTo) discover(0, -1);
    else {
      parent[1] = -1;
      queue[tail++] = 1;
    }
    for (let head = 0; head < tail; head++) {
      const node = queue[head]!;
      const state = node >>> 1;
      const phase = node & 1;
      if (phase === 1 && this.isFairEnd(state)) return this.path(parent, node);
      if (!graph.isExpanded(state)) continue;
      for (let edge = graph.start(state), end = graph.end(state); edge < end; edge++) {
        const target = graph.target(edge);
        if (target < 0) continue;
        if (phase === 1 && region[target] !== 1) continue;
        const next = target * 2 + phase;
        if (parent[next] === -2) discover(next, node);
      }
    }
    throw new Error('internal error: a fair end of the liveness region is not reachable from the initial state');
  }

  private path(parent: Int32Array, last: number): { stem: number[]; triggeredAt: number } {
    const nodes: number[] = [];
    for (let node = last; node !== -1; node = parent[node]!) nodes.unshift(node);
    const stem: number[] = [];
    for (const node of nodes) {
      const state = node >>> 1;
      if (stem[stem.length - 1] !== state) stem.push(state);
    }
    // The search passed a trigger somewhere in the stem's tail inside the region; name the
    // earliest one: from there on every state is a ¬Q state.
    let triggeredAt = -1;
    for (let i = stem.length - 1; i >= 0 && this.region[stem[i]!] === 1; i--) if (this.trigger(stem[i]!)) triggeredAt = i;
    return { stem, triggeredAt };
  }

  /**
   * A cycle from `start` through its fair component back to it that is fair: it takes one edge of
   * every instance taken inside the component, and visits, for each weak instance enabled
   * somewhere in it but never taken, a state where that instance is disabled (one exists, or the
   * component would not be fair; an untaken strong instance is disabled throughout it).
   */
  private cycle(start: number): number[] {
    const { graph } = this;
    const component = this.fairComponent[start]!;
    const members: number[] = [];
    for (let state = 0; state < this.stored; state++) if (this.fairComponent[state] === component) members.push(state);
    const inside = (state: number) => state >= 0 && this.fairComponent[state] === component;
    /** Per instance taken inside: one edge that takes it, as [source, target]. */
    const taken = new Map<number, [number, number]>();
    const enabledSomewhere = new Set<number>();
    for (const state of members) {
      for (let edge = graph.start(state), end = graph.end(state); edge < end; edge++) {
        const label = graph.label(edge);
        if (label < 0) continue;
        enabledSomewhere.add(label);
        if (inside(graph.target(edge)) && !taken.has(label)) taken.set(label, [state, graph.target(edge)]);
      }
    }
    const enabledAt = (state: number, label: number) => {
      for (let edge = graph.start(state), end = graph.end(state); edge < end; edge++) if (graph.label(edge) === label) return true;
      return false;
    };
    const cycle: number[] = [];
    let at = start;
    const walkTo = (goal: (state: number) => boolean) => {
      const path = this.pathInside(at, goal, inside);
      cycle.push(...path);
      if (path.length > 0) at = path[path.length - 1]!;
    };
    for (const [, [source, target]] of [...taken].sort((a, b) => a[0] - b[0])) {
      walkTo((state) => state === source);
      at = target;
      cycle.push(at);
    }
    for (const label of [...enabledSomewhere].sort((a, b) => a - b)) {
      if (taken.has(label)) continue;
      if (!enabledAt(start, label) || cycle.some((state) => !enabledAt(state, label))) continue;
      walkTo((state) => !enabledAt(state, label));
    }
    if (cycle.length === 0) {
      // No fair instance is taken inside: any internal step starts the way round.
      for (let edge = graph.start(at), end = graph.end(at); edge < end; edge++) {
        if (inside(graph.target(edge))) {
          at = graph.target(edge);
          cycle.push(at);
          break;
        }
      }
    }
    if (at !== start) walkTo((state) => state === start);
    return cycle;
  }

  /** The states after `from` on a shortest path inside the component to a state satisfying `goal` (empty if `from` does). */
  private pathInside(from: number, goal: (state: number) => boolean, inside: (state: number) => boolean): number[] {
    if (goal(from)) return [];
    const { graph } = this;
    const parent = new Map<number, number>([[from, -1]]);
    const queue = [from];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (let edge = graph.start(state), end = graph.end(state); edge < end; edge++) {
        const target = graph.target(edge);
        if (!inside(target) || parent.has(target)) continue;
        parent.set(target, state);
        if (goal(target)) {
          const path: number[] = [];
          for (let s = target; s !== from; s = parent.get(s)!) path.unshift(s);
          return path;
        }
        queue.push(target);
      }
    }
    throw new Error('internal error: a fair component is not strongly connected');
  }
}
