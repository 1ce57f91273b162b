import { isFault, type ActionKind, type SuccessorSink } from './actions.ts';
import { FairnessLabels } from './fairness.ts';
import { collisionProbability, fingerprint, FingerprintSet, fingerprintLowOfLast } from './fingerprint.ts';
import { findFairLasso, type Lasso } from './liveness.ts';
import type { Model } from './model.ts';
import { ModelError } from './model-error.ts';
import { PropertyChecks, type PropertyFailure } from './property-checks.ts';
import { REDUCTION_TURNED_OFF, SleepSets, sleepSetsOffBecause } from './sleep-sets.ts';
import { OUTSIDE_TARGET, StateGraph } from './state-graph.ts';
import { StateStore } from './state-store.ts';
import { ComposedSystem } from './system.ts';
import { Symmetry } from './symmetry.ts';
import { readStates, traceFromStates, type Trace } from './trace.ts';

export interface CheckOptions {
  /** Stop after this many distinct states (the result is then `incomplete`). */
  readonly maxStates?: number;
  /**
   * Explore behaviours of at most this many states (the initial state is depth 1, as TLC counts):
   * the states at this depth are expanded only to see whether anything lies beyond them, which
   * makes the result `incomplete`.
   */
  readonly maxDepth?: number;
  /** Stop after about this many seconds (checked every 1,024 states expanded). */
  readonly maxSeconds?: number;
  /** Called about every `progressEveryMs` during long runs. */
  readonly onProgress?: (progress: Progress) => void;
  readonly progressEveryMs?: number;
  /**
   * Worker threads for `checkParallel` (parallel-explore.ts), which defaults to the machine's
   * cores; `check` always explores on the calling thread.
   */
  readonly workers?: number;
  /**
   * For `checkParallel`: explore up to this many states on the calling thread first, and start
   * workers only when the run goes beyond them (default 65,536; 0 starts them at once).
   */
  readonly parallelAfterStates?: number;
  /**
   * Partial-order reduction by sleep sets (src/checker/sleep-sets.ts), on unless false: fewer
   * transitions generated, the same states, verdicts and depths. Models it cannot apply to run
   * without it, and the result says why.
   */
  readonly partialOrderReduction?: boolean;
}

export interface Progress {
  readonly distinct: number;
  readonly generated: number;
  readonly queued: number;
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export interface Violation {
  readonly property: string;
  readonly kind: 'always' | 'sometimes' | 'quiescent' | 'refines' | 'eventually' | 'leadsTo';
  readonly message: string;
  /**
   * The shortest behaviour that shows it (none for a goal never reached); for a liveness
   * property, a lasso (`trace.loopsTo` marks where its cycle starts).
   */
  readonly trace?: Trace;
}

/** The cost of checking liveness, for a model that has liveness properties. */
export interface LivenessStatistics {
  /** Edges of the state graph recorded (stutters left out). */
  readonly edges: number;
  /** Bytes the graph's edges took. */
  readonly bytes: number;
  /** Seconds spent on the liveness check after the exploration (included in `seconds`). */
  readonly seconds: number;
}

/** Whether partial-order reduction ran, and what it saved. */
export interface ReductionStatistics {
  /** Whether sleep sets pruned the exploration (src/checker/sleep-sets.ts). */
  readonly applied: boolean;
  /** Transitions not generated because their step was asleep (not counted in `generated`). */
  readonly pruned: number;
  /** Why it did not run, when it did not. */
  readonly offBecause?: string;
}

export interface CheckResult {
  /** `ok`: explored completely, all properties hold. `incomplete`: a limit stopped it first. */
  readonly verdict: 'ok' | 'violation' | 'incomplete';
  readonly distinct: number;
  /** Successor states computed, stuttering steps and steps pruned by partial-order reduction left out. */
  readonly generated: number;
  /**
   * TLC's depth: the states in the longest of the shortest behaviours explored, the initial state
   * being depth 1. On a violation, the states of its counterexample (steps + 1).
   */
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly collisionProbability: number;
  readonly goals: readonly { readonly name: string; readonly reached: boolean }[];
  readonly violation?: Violation;
  /** The bound that stopped an `incomplete` run: parts of the state space were never explored. */
  readonly limitHit?: 'maxStates' | 'maxDepth' | 'maxSeconds';
  /** Present when the model has liveness properties. */
  readonly liveness?: LivenessStatistics;
  /** Whether partial-order reduction ran, what it pruned, or why it did not run. */
  readonly partialOrderReduction: ReductionStatistics;
  /** Set by `checkParallel`: the worker threads the exploration ran on (1: the calling thread alone). */
  readonly workers?: number;
  /** Set by `checkParallel` when more workers were asked for than used: why the model ran on one. */
  readonly oneWorkerBecause?: string;
}

/**
 * Explicit-state breadth-first exploration of a model: every reachable global state once (by
 * 64-bit fingerprint), every invariant on every state, every refinement on every step, and the
 * shortest counterexample when one fails. With liveness properties it also records the state
 * graph, and afterwards searches it for fair behaviours that fail them (src/checker/liveness.ts).
 */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  return new Exploration(model, options).run();
}

class Exploration implements SuccessorSink {
  private readonly system: ComposedSystem;
  private readonly store = new StateStore();
  private readonly seen = new FingerprintSet();
  private readonly properties: PropertyChecks;
  private readonly symmetry: Symmetry | undefined;
  /** The state graph and the fairness instances, when the model has liveness properties. */
  private readonly graph: StateGraph | undefined;
  private readonly fairness: FairnessLabels | undefined;
  /** Partial-order reduction, when it applies; otherwise why not. */
  private readonly sleepSets: SleepSets | undefined;
  private readonly reductionOffBecause: string | undefined;
  /** SuccessorSink.skip: present under reduction only, so that a run without it pays for no call per step. */
  readonly skip?: (kind: ActionKind, node: number, item: number, local: number) => boolean;
  private livenessStatistics: LivenessStatistics | undefined;
  /** The representative of the successor at hand, under symmetry. */
  private canonical = new Int32Array(1024);
  private current = 0;
  private generated = 0;
  /** Steps not generated because they were asleep. */
  private pruned = 0;
  /** Successors of the state being expanded reached by steps other than faults. */
  private progressSteps = 0;
  private violation: Violation | undefined;
  private limitHit: CheckResult['limitHit'];
  /** Expanding the states at the depth bound: a new successor means the bound cut something off. */
  private atDepthBound = false;
  private readonly started = performance.now();

  constructor(
    model: Model,
    private readonly options: CheckOptions,
  ) {
    this.system = new ComposedSystem(model);
    this.properties = new PropertyChecks(model, this.system);
    this.symmetry = model.symmetry?.length ? new Symmetry(this.system, model.symmetry) : undefined;
    // Validated even without liveness properties, so that a mistake in it is found at once.
    const fairness = new FairnessLabels(model.fairness, model.nodes.map((node) => node.id));
    if (this.properties.liveness.length > 0) {
      if (this.symmetry) {
        // A cycle among representatives is a path between permutations of a state, along which a
        // node's fairness instances turn into another node's: fairness per node is not preserved
        // by the quotient (TLC warns likewise that liveness under SYMMETRY may be unsound).
        throw new ModelError('liveness properties cannot be checked under symmetry sets: give the model none (or run it with --no-symmetry)');
      }
      this.graph = new StateGraph();
      this.fairness = fairness;
    }
    this.reductionOffBecause = options.partialOrderReduction === false ? REDUCTION_TURNED_OFF : sleepSetsOffBecause(model);
    this.sleepSets = this.reductionOffBecause === undefined ? new SleepSets(model.nodes.length) : undefined;
    const { sleepSets } = this;
    if (sleepSets) this.skip = (kind, node, item, local) => this.skipAsleep(sleepSets, kind, node, item, local);
  }

  run(): CheckResult {
    const { system, store, options } = this;
    const maxDepth = options.maxDepth ?? Infinity;
    const deadline = options.maxSeconds !== undefined ? this.started + options.maxSeconds * 1000 : Infinity;
    const progressEvery = options.progressEveryMs ?? 2000;
    let lastProgress = this.started;
    let state = new Int32Array(system.initial.length + 64);

    const initialLength = this.represent(system.initial, system.initial.length);
    this.admit(this.symmetry ? this.canonical : system.initial, initialLength, -1, -1);
    this.sleepSets?.admitInitial();
    if (!this.violation) {
      const failure = this.properties.checkInitial();
      if (failure) this.fail(failure, 0);
    }

    let depth = 0;
    let levelEnd = store.count;
    for (this.current = 0; this.current < store.count && !this.violation; this.current++) {
      if (this.current === levelEnd) {
        depth++;
        levelEnd = store.count;
      }
      // `depth` counts steps; the states of this level are at TLC's depth `depth + 1`.
      if (depth + 1 >= maxDepth) this.atDepthBound = true;
      if ((this.current & 0x3ff) === 0 && performance.now() > deadline) {
        this.limitHit = 'maxSeconds';
        break;
      }
      if (state.length < store.lengthOf(this.current)) state = new Int32Array(store.lengthOf(this.current) * 2);
      const length = store.read(this.current, state);
      // Only the initial state can be outside the boundary here: no other such state is stored.
      if (this.current === 0 && this.outsideBoundary(state, length)) continue;
      this.progressSteps = 0;
      this.sleepSets?.expand(this.current);
      system.successors(state, length, this);
      if (this.limitHit) break;
      if (this.graph && !this.violation) this.graph.complete(this.current);
      if (this.progressSteps === 0 && this.properties.hasQuiescence && !this.violation) {
        const failure = this.properties.checkQuiescent(this.current, state, length);
        if (failure) this.fail(failure, this.current);
      }
      if ((this.current & 0x3fff) === 0 && options.onProgress) {
        const now = performance.now();
        if (now - lastProgress >= progressEvery) {
          lastProgress = now;
          options.onProgress(this.progress(depth + 1));
        }
      }
    }

    const goals = this.properties.goalResults();
    if (!this.violation && !this.limitHit) {
      const missed = goals.find((goal) => !goal.reached);
      if (missed) {
        this.violation = {
          property: missed.name,
          kind: 'sometimes',
          message: `${missed.name} is never reached: no reachable state satisfies it, so the model may be vacuous`,
        };
      }
    }
    if (this.graph && !this.violation) this.checkLiveness();
    const seconds = (performance.now() - this.started) / 1000;
    return {
      verdict: this.violation ? 'violation' : this.limitHit ? 'incomplete' : 'ok',
      distinct: store.count,
      generated: this.generated,
      depth: this.violation?.trace ? this.violation.trace.steps.length + 1 : depth + 1,
      seconds,
      statesPerSecond: store.count / Math.max(seconds, 1e-9),
      collisionProbability: collisionProbability(store.count),
      goals,
      ...(this.violation ? { violation: this.violation } : {}),
      ...(this.limitHit ? { limitHit: this.limitHit } : {}),
      ...(this.livenessStatistics ? { liveness: this.livenessStatistics } : {}),
      partialOrderReduction: this.sleepSets
        ? { applied: true, pruned: this.pruned }
        : { applied: false, pruned: 0, offBecause: this.reductionOffBecause! },
    };
  }

  /**
   * Searches the state graph for a fair behaviour that fails a liveness property, one property at
   * a time in the model's order; the first one found is the violation. States the exploration did
   * not expand (a bound stopped it) are left out of every cycle (see liveness.ts).
   */
  private checkLiveness(): void {
    const graph = this.graph!;
    const started = performance.now();
    graph.truncate();
    for (const bound of this.properties.liveness) {
      const lasso = findFairLasso(graph, this.fairness!, { kind: bound.property.kind, marks: bound.marks }, this.store.count);
      if (lasso) {
        this.violation = this.livenessViolation(bound.property.name, bound.property.kind, lasso);
        break;
      }
    }
    this.livenessStatistics = { edges: graph.edges, bytes: graph.bytes, seconds: (performance.now() - started) / 1000 };
  }

  private livenessViolation(name: string, kind: 'eventually' | 'leadsTo', lasso: Lasso): Violation {
    const path = [...lasso.stem, ...lasso.cycle];
    const loopsTo = lasso.stem.length - 1;
    const trace = traceFromStates(this.system, readStates(this.store, path), name, loopsTo);
    const end =
      lasso.cycle.length === 0
        ? `stops after step ${loopsTo}, where no fair action is enabled, and stays there forever`
        : `repeats steps ${loopsTo + 1}–${path.length - 1} forever, taking every fair action that stays enabled`;
    const message =
      kind === 'eventually'
        ? `${name} is never reached on a fair behaviour: it ${end}`
        : `${name} fails: P holds ${lasso.triggeredAt === 0 ? 'in the initial state' : `after step ${lasso.triggeredAt}`}, and Q never after, on a fair behaviour that ${end}`;
    return { property: name, kind, message, trace };
  }

  accept(next: Int32Array, length: number, kind: ActionKind, node: number, item: number): boolean {
    this.generated++;
    if (!isFault(kind)) this.progressSteps++;
    // Under symmetry the state stored is the representative, and it may differ from the current
    // state at any node: its abstract states are computed from scratch (changed = -1).
    const state = this.symmetry ? this.canonical : next;
    const stateLength = this.represent(next, length);
    const high = fingerprint(state, stateLength);
    const low = fingerprintLowOfLast;
    let target = this.seen.get(high, low);
    const found = target !== -1;
    if (!found) {
      target = this.store.count;
      if (this.outsideBoundary(state, stateLength)) {
        target = OUTSIDE;
        // TLC's CONSTRAINT: a state outside the boundary is checked but neither stored nor
        // expanded. Its fingerprint is kept, marked, so that it is checked once.
        this.seen.addOrGet(high, low, OUTSIDE);
        this.checkOutside(state, stateLength, this.symmetry ? -1 : node);
      } else if (this.atDepthBound || (this.options.maxStates !== undefined && this.store.count >= this.options.maxStates)) {
        // A new state beyond a bound: the run stops here, every state within the bounds stored.
        this.limitHit = this.atDepthBound ? 'maxDepth' : 'maxStates';
        return false;
      } else {
        this.seen.addOrGet(high, low, this.store.count);
        this.admit(state, stateLength, this.current, this.symmetry ? -1 : node);
      }
      if (this.violation) return false;
    }
    // Without a boundary (sleepSetsOffBecause) every target is a stored state.
    this.sleepSets?.explored(kind, node, item, target, !found);
    // A step back to the same state is a stutter: recorded as no edge (see StateGraph).
    if (this.graph && target !== this.current) this.graph.add(target === OUTSIDE ? OUTSIDE_TARGET : target, this.fairness!.label(kind, node, item));
    if (this.properties.hasRefinements) {
      const failure = this.properties.checkStep(this.current, next, node);
      if (failure) {
        this.fail(failure, this.current, state.slice(0, stateLength), true);
        return false;
      }
    }
    return true;
  }

  /**
   * Leaves out a step asleep in the state being expanded (partial-order reduction), unbuilt. It is
   * a step of the model all the same: it counts as enabled, so that quiescence is judged from
   * every enabled step, not from those generated; and the refinements are checked on it (its
   * abstract successor needs only the node it moved), so that every step of every reachable state
   * is checked, as without reduction. One that fails one is not skipped: `accept` then records
   * the failure with its target.
   */
  private skipAsleep(sleepSets: SleepSets, kind: ActionKind, node: number, item: number, local: number): boolean {
    if (!sleepSets.asleep(kind, node, item)) return false;
    if (this.properties.hasRefinements && this.properties.checkStepTo(this.current, node, local)) return false;
    this.progressSteps++;
    this.pruned++;
    return true;
  }

  private outsideBoundary(state: Int32Array, length: number): boolean {
    const { boundary } = this.system.model;
    return boundary !== undefined && !boundary(this.system.view(state, length));
  }

  /**
   * Checks the state properties on a state outside the boundary, reached from the current state
   * (by a step of node `changed` alone, or -1 when that does not hold). It is recorded under the
   * next free index, which the next state stored takes over.
   */
  private checkOutside(state: Int32Array, length: number, changed: number): void {
    this.properties.record(this.store.count, state, length, changed < 0 ? -1 : this.current, changed);
    const failure = this.properties.checkState(this.store.count);
    if (failure) this.fail(failure, this.current, state.slice(0, length));
  }

  /** Under symmetry, writes the representative of `state` into `this.canonical`; returns the length of the state to store. */
  private represent(state: Int32Array, length: number): number {
    if (!this.symmetry) return length;
    if (this.canonical.length < length * 2 + 256) this.canonical = new Int32Array(length * 4 + 256);
    return this.symmetry.canonicalize(state, length, this.canonical);
  }

  /**
   * Stores a new state reached from `parent`, and checks the state properties on it. `changed` is
   * the one node in which it differs from its parent, or -1 when that is not known.
   */
  private admit(state: Int32Array, length: number, parent: number, changed: number): number {
    const index = this.store.append(state, length, parent);
    if (parent < 0) this.seen.addOrGet(fingerprint(state, length), fingerprintLowOfLast, index);
    this.properties.record(index, state, length, changed < 0 ? -1 : parent, changed);
    const failure = this.properties.checkState(index);
    if (failure) this.fail(failure, index);
    if (this.graph) this.properties.markLiveness(index);
    return index;
  }

  /**
   * Records a violation with its trace: the behaviour to stored state `pathEnd`, then, if given,
   * one more step to `beyond` (a representative not stored: outside the boundary, or the target of
   * a step that fails a refinement).
   */
  private fail(failure: PropertyFailure, pathEnd: number, beyond?: Int32Array, refinementStep = false): void {
    const path: number[] = [pathEnd];
    while (this.store.parent(path[0]!) >= 0) path.unshift(this.store.parent(path[0]!));
    let states = readStates(this.store, path);
    if (beyond && !refinementStep) states.push(beyond);
    if (this.symmetry) states = this.symmetry.unfold(states);
    if (beyond && refinementStep) states.push(this.failingStep(states[states.length - 1]!, beyond));
    this.violation = { ...failure, trace: traceFromStates(this.system, states, failure.property) };
  }

  /**
   * The successor of `from` that a failing refinement step went to: `to` itself, or under
   * symmetry, a successor of the actual state `from` whose step fails the refinement too.
   */
  private failingStep(from: Int32Array, to: Int32Array): Int32Array {
    if (!this.symmetry) return to;
    const finder = new FailingStepFinder(this.properties);
    finder.from = from;
    this.system.successors(from, from.length, finder);
    if (!finder.found) throw new Error('internal error: the failing step could not be reproduced from an actual state');
    return finder.found;
  }

  private progress(depth: number): Progress {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      distinct: this.store.count,
      generated: this.generated,
      queued: this.store.count - this.current,
      depth,
      seconds,
      statesPerSecond: this.store.count / seconds,
    };
  }
}

/** The mark, in the fingerprint set, of a state outside the boundary. */
const OUTSIDE = -2;

/** Finds a successor whose step fails a refinement. */
class FailingStepFinder implements SuccessorSink {
  from: Int32Array = new Int32Array(0);
  found: Int32Array | undefined;
  constructor(private readonly properties: PropertyChecks) {}

  accept(next: Int32Array, length: number, _kind: ActionKind, node: number): boolean {
    if (!this.properties.checkUnrecordedStep(this.from, next, node)) return true;
    this.found = next.slice(0, length);
    return false;
  }
}
