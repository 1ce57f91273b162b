import { isFault, type ActionKind, type SuccessorSink } from './actions.ts';
import { ContentFingerprints } from './content-fingerprint.ts';
import type { CheckResult, Violation } from './explore.ts';
import { FairnessLabels } from './fairness.ts';
import { FingerprintSet } from './fingerprint.ts';
import type { Model } from './model.ts';
import { PropertyChecks, type PropertyFailure } from './property-checks.ts';
import { StateStore } from './state-store.ts';
import { ComposedSystem } from './system.ts';
import { readStates, traceFromStates } from './trace.ts';

/** The fingerprints seen so far: this thread's own set, or the set all workers share. */
export interface SeenFingerprints {
  /** Adds the fingerprint; true when it was new. */
  insert(high: number, low: number): boolean;
  has(high: number, low: number): boolean;
}

/** A thread's own fingerprint set, for the levels every worker explores alike (see parallel-explore.ts). */
export class OwnFingerprints implements SeenFingerprints {
  private readonly set = new FingerprintSet();
  insert(high: number, low: number): boolean {
    return this.set.addOrGet(high, low, 0) === -1;
  }
  has(high: number, low: number): boolean {
    return this.set.get(high, low) !== -1;
  }
}

export interface LevelLimits {
  readonly maxStates?: number;
  readonly maxDepth?: number;
  /** Stop at this time (Date.now()), checked every 1,024 states expanded. */
  readonly deadline?: number;
}

/**
 * One worker's part of a parallel breadth-first check: the states it owns, stored in its own
 * StateStore in its own numbering, expanded a level at a time as the coordinator says. It is
 * explore.ts's Exploration without what cannot run in parallel (symmetry, the liveness graph:
 * those models run on one worker), with two differences: states are told apart by their content
 * fingerprints (content-fingerprint.ts), which every thread computes alike, in a set that may be
 * shared; and a state belongs to the worker whose insert of its fingerprint won, so that a
 * state's parent, expanded by that worker, is always in the same store — every counterexample is
 * rebuilt, as with one worker, from one store's parent links.
 */
export class LevelExploration implements SuccessorSink {
  readonly system: ComposedSystem;
  readonly store = new StateStore();
  readonly properties: PropertyChecks;
  private readonly fingerprints: ContentFingerprints;
  seen: SeenFingerprints;
  /** Hands out the number a new state would have among all stored, for maxStates. */
  admissionTicket: () => number;
  generated = 0;
  violation: Violation | undefined;
  limitHit: CheckResult['limitHit'];
  /** Expanding states at the depth bound: a new successor means the bound cut something off. */
  atDepthBound = false;
  private current = 0;
  private progressSteps = 0;
  /** States expanded so far. */
  expanded = 0;
  private state = new Int32Array(1024);

  constructor(
    model: Model,
    private readonly limits: LevelLimits,
    seen: SeenFingerprints,
  ) {
    if (model.symmetry?.length) throw new Error('internal error: a model with symmetry sets is explored on one worker');
    this.system = new ComposedSystem(model);
    this.properties = new PropertyChecks(model, this.system);
    // Validated as with one worker, so that a mistake in it is found in the same way.
    new FairnessLabels(model.fairness, model.nodes.map((node) => node.id));
    if (this.properties.liveness.length > 0) throw new Error('internal error: a model with liveness properties is explored on one worker');
    this.fingerprints = new ContentFingerprints(this.system);
    this.seen = seen;
    this.admissionTicket = () => this.store.count;
  }

  get stopped(): boolean {
    return this.violation !== undefined || this.limitHit !== undefined;
  }

  /** Stores and checks the initial state, as state 0. */
  admitInitial(): void {
    const { initial } = this.system;
    this.seen.insert(this.fingerprints.of(initial, initial.length), this.fingerprints.lowOfLast);
    this.admit(initial, initial.length, -1, -1);
    if (!this.violation) {
      const failure = this.properties.checkInitial();
      if (failure) this.fail(failure, 0);
    }
  }

  /**
   * Expands stored states `from`, `from + stride`, … below `to`, until done, stopped (a violation
   * or a limit), or `pause()` says to pause, which it is asked every 64 states; returns the index
   * of the state it did not expand yet (`>= to` when done), to resume from.
   */
  expand(from: number, to: number, stride: number, pause: () => boolean): number {
    let index = from;
    for (let asked = 0; index < to && !this.stopped; index += stride, asked++) {
      if ((asked & 63) === 0 && pause()) break;
      if ((this.expanded & 0x3ff) === 0 && this.limits.deadline !== undefined && Date.now() > this.limits.deadline) {
        this.limitHit = 'maxSeconds';
        break;
      }
      this.expandOne(index);
    }
    return index;
  }

  /** The content fingerprint of stored state `index`: (high, low). */
  fingerprintOf(index: number): [number, number] {
    const length = this.read(index);
    return [this.fingerprints.of(this.state, length), this.fingerprints.lowOfLast];
  }

  private expandOne(index: number): void {
    this.current = index;
    this.expanded++;
    const length = this.read(index);
    // Only the initial state can be outside the boundary here: no other such state is stored.
    if (index === 0 && this.outsideBoundary(this.state, length)) return;
    this.progressSteps = 0;
    this.system.successors(this.state, length, this);
    if (this.limitHit) return;
    if (this.progressSteps === 0 && this.properties.hasQuiescence && !this.violation) {
      const failure = this.properties.checkQuiescent(index, this.state, length);
      if (failure) this.fail(failure, index);
    }
  }

  private read(index: number): number {
    const length = this.store.lengthOf(index);
    if (this.state.length < length) this.state = new Int32Array(length * 2);
    return this.store.read(index, this.state);
  }

  accept(next: Int32Array, length: number, kind: ActionKind, node: number): boolean {
    this.generated++;
    if (!isFault(kind)) this.progressSteps++;
    const high = this.fingerprints.of(next, length);
    const low = this.fingerprints.lowOfLast;
    if (this.atDepthBound ? !this.seen.has(high, low) : this.seen.insert(high, low)) {
      if (this.outsideBoundary(next, length)) {
        // TLC's CONSTRAINT: checked, neither stored nor expanded; its fingerprint kept, so that it is checked once.
        if (!this.atDepthBound || this.seen.insert(high, low)) this.checkOutside(next, length, node);
      } else if (this.atDepthBound || (this.limits.maxStates !== undefined && this.admissionTicket() >= this.limits.maxStates)) {
        // A new state beyond a bound: the run stops here, every state within the bounds stored.
        this.limitHit = this.atDepthBound ? 'maxDepth' : 'maxStates';
        return false;
      } else {
        this.admit(next, length, this.current, node);
      }
      if (this.violation) return false;
    }
    if (this.properties.hasRefinements) {
      const failure = this.properties.checkStep(this.current, next, node);
      if (failure) {
        this.fail(failure, this.current, next.slice(0, length));
        return false;
      }
    }
    return true;
  }

  private outsideBoundary(state: Int32Array, length: number): boolean {
    const { boundary } = this.system.model;
    return boundary !== undefined && !boundary(this.system.view(state, length));
  }

  /** As Exploration.checkOutside: recorded under the next free index, which the next state stored takes over. */
  private checkOutside(state: Int32Array, length: number, changed: number): void {
    this.properties.record(this.store.count, state, length, this.current, changed);
    const failure = this.properties.checkState(this.store.count);
    if (failure) this.fail(failure, this.current, state.slice(0, length));
  }

  private admit(state: Int32Array, length: number, parent: number, changed: number): void {
    const index = this.store.append(state, length, parent);
    this.properties.record(index, state, length, changed < 0 ? -1 : parent, changed);
    const failure = this.properties.checkState(index);
    if (failure) this.fail(failure, index);
  }

  /** The violation, its trace the behaviour to stored state `pathEnd` and, if given, one step more to `beyond`. */
  private fail(failure: PropertyFailure, pathEnd: number, beyond?: Int32Array): void {
    const path: number[] = [pathEnd];
    while (this.store.parent(path[0]!) >= 0) path.unshift(this.store.parent(path[0]!));
    const states = readStates(this.store, path);
    if (beyond) states.push(beyond);
    this.violation = { ...failure, trace: traceFromStates(this.system, states, failure.property) };
  }
}
