import { AbstractStates } from './abstract-states.ts';
import type { ActionKind, SuccessorSink } from './actions.ts';
import { collisionProbability, fingerprint, FingerprintSet, fingerprintLowOfLast } from './fingerprint.ts';
import type { GlobalView, Model } from './model.ts';
import type { Abstraction, Invariant, Reachability, Refinement, StatePredicate } from './properties.ts';
import { RefinementCheck } from './refinement.ts';
import { StateStore } from './state-store.ts';
import { ComposedSystem } from './system.ts';
import { buildTrace, type Trace } from './trace.ts';

export interface CheckOptions {
  /** Stop after this many distinct states (the result is then `incomplete`). */
  readonly maxStates?: number;
  /** Do not expand states deeper than this many steps from the initial state. */
  readonly maxDepth?: number;
  /** Called about every `progressEveryMs` during long runs. */
  readonly onProgress?: (progress: Progress) => void;
  readonly progressEveryMs?: number;
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
  readonly kind: 'always' | 'sometimes' | 'refines';
  readonly message: string;
  /** The shortest behaviour that shows it (none for a goal never reached). */
  readonly trace?: Trace;
}

export interface CheckResult {
  /** `ok`: explored completely, all properties hold. `incomplete`: a limit stopped it first. */
  readonly verdict: 'ok' | 'violation' | 'incomplete';
  readonly distinct: number;
  /** Successor states computed, stuttering steps left out. */
  readonly generated: number;
  /** The most steps from the initial state to any state explored (BFS depth). */
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly collisionProbability: number;
  readonly goals: readonly { readonly name: string; readonly reached: boolean }[];
  readonly violation?: Violation;
  readonly limitHit?: 'maxStates' | 'maxDepth';
}

/**
 * Explicit-state breadth-first exploration of a model: every reachable global state once (by
 * 64-bit fingerprint), every invariant on every state, every refinement on every step, and the
 * shortest counterexample when one fails.
 */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  return new Exploration(model, options).run();
}

/**
 * A state predicate bound to the exploration. One stated over an abstraction is evaluated once per
 * abstract state and its verdict kept by abstract id (0 unknown, 1 holds, 2 fails).
 */
interface BoundPredicate {
  readonly name: string;
  readonly onState?: (state: GlobalView) => boolean;
  readonly abstract?: AbstractStates;
  readonly onAbstract?: (abstract: any) => boolean;
  verdicts: Uint8Array;
}

class Exploration implements SuccessorSink {
  private readonly system: ComposedSystem;
  private readonly store = new StateStore();
  private readonly seen = new FingerprintSet();
  private readonly abstractions = new Map<Abstraction, AbstractStates>();
  private readonly invariants: BoundPredicate[];
  private readonly goals: BoundPredicate[];
  private readonly reached: boolean[];
  private readonly refinements: RefinementCheck[];
  private current = 0;
  private generated = 0;
  private violation: Violation | undefined;
  private limitHit: CheckResult['limitHit'];
  private readonly started = performance.now();

  constructor(
    model: Model,
    private readonly options: CheckOptions,
  ) {
    this.system = new ComposedSystem(model);
    this.invariants = model.properties.filter((p): p is Invariant => p.kind === 'always').map((p) => this.bind(p));
    this.goals = model.properties.filter((p): p is Reachability => p.kind === 'sometimes').map((p) => this.bind(p));
    this.reached = this.goals.map(() => false);
    this.refinements = model.properties
      .filter((p): p is Refinement => p.kind === 'refines')
      .map((p) => new RefinementCheck(p, this.abstractStates(p.over)));
  }

  private abstractStates(over: Abstraction): AbstractStates {
    let states = this.abstractions.get(over);
    if (!states) {
      states = new AbstractStates(over, this.system.nodes);
      this.abstractions.set(over, states);
    }
    return states;
  }

  private bind(property: { name: string } & StatePredicate): BoundPredicate {
    return property.over === 'state'
      ? { name: property.name, onState: property.holds, verdicts: new Uint8Array(0) }
      : { name: property.name, abstract: this.abstractStates(property.over), onAbstract: property.holds, verdicts: new Uint8Array(1024) };
  }

  /** The state being admitted; its view is built only if a property reads the whole state. */
  private pendingState: Int32Array = new Int32Array(0);
  private pendingLength = 0;
  private pendingView: GlobalView | undefined;

  /** Whether `predicate` holds in state `index`, the state being admitted. */
  private evaluate(predicate: BoundPredicate, index: number): boolean {
    if (predicate.onState) {
      this.pendingView ??= this.system.view(this.pendingState, this.pendingLength);
      return predicate.onState(this.pendingView);
    }
    const id = predicate.abstract!.idOf(index);
    if (id >= predicate.verdicts.length) {
      const grown = new Uint8Array(Math.max(id + 1, predicate.verdicts.length * 2));
      grown.set(predicate.verdicts);
      predicate.verdicts = grown;
    }
    let verdict = predicate.verdicts[id]!;
    if (verdict === 0) {
      verdict = predicate.onAbstract!(predicate.abstract!.value(id)) ? 1 : 2;
      predicate.verdicts[id] = verdict;
    }
    return verdict === 1;
  }

  run(): CheckResult {
    const { system, store, options } = this;
    const maxDepth = options.maxDepth ?? Infinity;
    const progressEvery = options.progressEveryMs ?? 2000;
    let lastProgress = this.started;
    let state = new Int32Array(system.initial.length + 64);

    this.admit(system.initial, system.initial.length, -1, -1);
    for (const refinement of this.refinements) {
      if (!this.violation && !refinement.initialHolds()) {
        this.fail(refinement.property.name, 'refines', `the initial state does not map to ${refinement.property.name}'s initial state`, 0);
      }
    }

    let depth = 0;
    let levelEnd = store.count;
    const boundary = system.model.boundary;
    for (this.current = 0; this.current < store.count && !this.violation; this.current++) {
      if (this.current === levelEnd) {
        depth++;
        levelEnd = store.count;
      }
      if (depth >= maxDepth) {
        this.limitHit = 'maxDepth';
        break;
      }
      if (state.length < 4096) state = new Int32Array(4096);
      const length = store.read(this.current, state);
      if (boundary && !boundary(system.view(state, length))) continue;
      system.successors(state, length, this);
      if (this.limitHit) break;
      if ((this.current & 0x3fff) === 0 && options.onProgress) {
        const now = performance.now();
        if (now - lastProgress >= progressEvery) {
          lastProgress = now;
          options.onProgress(this.progress(depth));
        }
      }
    }

    if (!this.violation && !this.limitHit) {
      const missed = this.goals.findIndex((_, i) => !this.reached[i]);
      if (missed >= 0) {
        const goal = this.goals[missed]!;
        this.violation = {
          property: goal.name,
          kind: 'sometimes',
          message: `${goal.name} is never reached: no reachable state satisfies it, so the model may be vacuous`,
        };
      }
    }
    const seconds = (performance.now() - this.started) / 1000;
    return {
      verdict: this.violation ? 'violation' : this.limitHit ? 'incomplete' : 'ok',
      distinct: store.count,
      generated: this.generated,
      depth,
      seconds,
      statesPerSecond: store.count / Math.max(seconds, 1e-9),
      collisionProbability: collisionProbability(store.count),
      goals: this.goals.map((goal, i) => ({ name: goal.name, reached: this.reached[i]! })),
      ...(this.violation ? { violation: this.violation } : {}),
      ...(this.limitHit ? { limitHit: this.limitHit } : {}),
    };
  }

  accept(next: Int32Array, length: number, _kind: ActionKind, node: number): boolean {
    this.generated++;
    const high = fingerprint(next, length);
    let index = this.seen.addOrGet(high, fingerprintLowOfLast, this.store.count);
    if (index < 0) {
      index = this.admit(next, length, this.current, node);
      if (this.violation) return false;
    }
    for (const refinement of this.refinements) {
      if (!refinement.stepHolds(this.current, index)) {
        this.fail(refinement.property.name, 'refines', `this step is not a step of ${refinement.property.name}`, index, this.current);
        return false;
      }
    }
    if (this.options.maxStates !== undefined && this.store.count >= this.options.maxStates) {
      this.limitHit = 'maxStates';
      return false;
    }
    return true;
  }

  /** Stores a new state, reached from `parent` by a step of node `changed`, and checks the state properties on it. */
  private admit(state: Int32Array, length: number, parent: number, changed: number): number {
    const index = this.store.append(state, length, parent);
    if (parent < 0) this.seen.addOrGet(fingerprint(state, length), fingerprintLowOfLast, index);
    for (const abstract of this.abstractions.values()) abstract.record(index, state, parent, changed);
    this.pendingView = undefined;
    this.pendingState = state;
    this.pendingLength = length;
    for (const invariant of this.invariants) {
      if (!this.evaluate(invariant, index)) {
        this.fail(invariant.name, 'always', `${invariant.name} does not hold`, index);
        return index;
      }
    }
    for (let i = 0; i < this.goals.length; i++) {
      if (!this.reached[i] && this.evaluate(this.goals[i]!, index)) this.reached[i] = true;
    }
    return index;
  }

  private fail(property: string, kind: Violation['kind'], message: string, index: number, stepFrom?: number): void {
    const path: number[] = [index];
    if (stepFrom !== undefined) path.unshift(stepFrom);
    while (this.store.parent(path[0]!) >= 0) path.unshift(this.store.parent(path[0]!));
    this.violation = { property, kind, message, trace: buildTrace(this.system, this.store, path, property) };
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

