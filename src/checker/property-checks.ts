import { AbstractStates } from './abstract-states.ts';
import type { GlobalView } from './global-view.ts';
import type { Model } from './model.ts';
import { ModelError } from './model-error.ts';
import { MARK_P, MARK_Q } from './liveness.ts';
import { isLiveness, type Abstraction, type Invariant, type Liveness, type Quiescence, type Reachability, type Refinement, type StatePredicate } from './properties.ts';
import { RefinementCheck } from './refinement.ts';
import type { ComposedSystem } from './system.ts';

/**
 * A state predicate bound to a run. One stated over an abstraction is evaluated once per abstract
 * state and its verdict kept by abstract id (0 unknown, 1 holds, 2 fails).
 */
interface BoundPredicate {
  readonly name: string;
  readonly onState?: (state: GlobalView) => boolean;
  readonly abstract?: AbstractStates;
  readonly onAbstract?: (abstract: any) => boolean;
  verdicts: Uint8Array;
}

/** A property that failed: its name, kind and what went wrong. */
export interface PropertyFailure {
  readonly property: string;
  readonly kind: 'always' | 'quiescent' | 'refines';
  readonly message: string;
}

/**
 * A model's properties, bound to one run of the checker or the simulator: the abstractions they
 * share, the invariants and goals, and the refinements. States are numbered by the caller (state
 * indices for the checker, walk positions for the simulator); each state is recorded once, with the
 * state it was reached from and the node whose step reached it, before it is checked.
 */
export class PropertyChecks {
  private readonly abstractions = new Map<Abstraction, AbstractStates>();
  private readonly invariants: BoundPredicate[];
  private readonly goals: BoundPredicate[];
  private readonly quiescence: BoundPredicate[];
  private readonly reached: boolean[];
  private unreached: number;
  private readonly refinements: RefinementCheck[];
  /** The liveness properties, with their predicates and, per state marked, MARK_P | MARK_Q. */
  readonly liveness: { readonly property: Liveness; readonly p?: BoundPredicate; readonly q: BoundPredicate; marks: Uint8Array }[];
  private state: Int32Array = new Int32Array(0);
  private length = 0;
  private view: GlobalView | undefined;

  constructor(
    model: Model,
    private readonly system: ComposedSystem,
  ) {
    this.invariants = model.properties.filter((p): p is Invariant => p.kind === 'always').map((p) => this.bind(p));
    this.goals = model.properties.filter((p): p is Reachability => p.kind === 'sometimes').map((p) => this.bind(p));
    this.quiescence = model.properties.filter((p): p is Quiescence => p.kind === 'quiescent').map((p) => this.bind(p));
    this.reached = this.goals.map(() => false);
    this.unreached = this.goals.length;
    this.refinements = model.properties
      .filter((p): p is Refinement => p.kind === 'refines')
      .map((p) => new RefinementCheck(p, this.abstractStates(p.over)));
    this.liveness = model.properties.filter(isLiveness).map((property) =>
      property.kind === 'eventually'
        ? { property, q: this.bind(property), marks: new Uint8Array(1024) }
        : { property, p: this.bind({ name: property.name, ...property.p }), q: this.bind({ name: property.name, ...property.q }), marks: new Uint8Array(1024) },
    );
  }

  /**
   * Evaluates the liveness properties' predicates on the state last recorded, as `index`, and
   * keeps the verdicts for the liveness check after the exploration (src/checker/liveness.ts).
   */
  markLiveness(index: number): void {
    for (const bound of this.liveness) {
      if (index >= bound.marks.length) {
        const grown = new Uint8Array(Math.max(index + 1, bound.marks.length * 2));
        grown.set(bound.marks);
        bound.marks = grown;
      }
      bound.marks[index] = (bound.p && this.evaluate(bound.p, index) ? MARK_P : 0) | (this.evaluate(bound.q, index) ? MARK_Q : 0);
    }
  }

  /**
   * Records state `index`, reached from state `parent` by a step of node `changed` that changed no
   * other node (`parent` -1 when that does not hold, or for the initial state).
   */
  record(index: number, state: Int32Array, length: number, parent: number, changed: number): void {
    for (const abstract of this.abstractions.values()) {
      abstract.record(index, parent < 0 ? abstract.idOfState(state) : abstract.idOfSuccessor(abstract.idOf(parent), changed, state[changed]!));
    }
    this.state = state;
    this.length = length;
    this.view = undefined;
  }

  /** Checks the invariants on the state last recorded, as `index`, and notes the goals it reaches. */
  checkState(index: number): PropertyFailure | undefined {
    for (const invariant of this.invariants) {
      if (!this.evaluate(invariant, index)) return { property: invariant.name, kind: 'always', message: `${invariant.name} does not hold` };
    }
    if (this.unreached > 0) {
      for (let i = 0; i < this.goals.length; i++) {
        if (!this.reached[i] && this.evaluate(this.goals[i]!, index)) {
          this.reached[i] = true;
          this.unreached--;
        }
      }
    }
    return undefined;
  }

  get hasQuiescence(): boolean {
    return this.quiescence.length > 0;
  }

  /**
   * Checks the quiescence properties on state `index` (recorded earlier), found to have no
   * successor but faults and stutters.
   */
  checkQuiescent(index: number, state: Int32Array, length: number): PropertyFailure | undefined {
    this.state = state;
    this.length = length;
    this.view = undefined;
    for (const property of this.quiescence) {
      if (!this.evaluate(property, index)) {
        return { property: property.name, kind: 'quiescent', message: `${property.name} does not hold in a state where nothing but faults can happen` };
      }
    }
    return undefined;
  }

  /** Checks that the initial state (index 0) maps to each abstract spec's initial state. */
  checkInitial(): PropertyFailure | undefined {
    for (const refinement of this.refinements) {
      if (!refinement.initialHolds()) {
        const { name } = refinement.property;
        return { property: name, kind: 'refines', message: `the initial state does not map to ${name}'s initial state` };
      }
    }
    return undefined;
  }

  /** Checks every refinement on the step from state `from` to `next`, in which only node `changed` moved. */
  checkStep(from: number, next: Int32Array, changed: number): PropertyFailure | undefined {
    return this.checkStepTo(from, changed, next[changed]!);
  }

  /**
   * Like `checkStep`, for a step known only by what it did: node `changed` moved to local state
   * `local`, every other node as it was in state `from` (a step partial-order reduction does not
   * generate, explore.ts).
   */
  checkStepTo(from: number, changed: number, local: number): PropertyFailure | undefined {
    for (const refinement of this.refinements) {
      const failure = stepFailure(refinement, refinement.abstractStates.idOf(from), changed, local);
      if (failure) return failure;
    }
    return undefined;
  }

  /** Like `checkStep`, for a step between two states that were never recorded. */
  checkUnrecordedStep(state: Int32Array, next: Int32Array, changed: number): PropertyFailure | undefined {
    for (const refinement of this.refinements) {
      const failure = stepFailure(refinement, refinement.abstractStates.idOfState(state), changed, next[changed]!);
      if (failure) return failure;
    }
    return undefined;
  }

  get hasRefinements(): boolean {
    return this.refinements.length > 0;
  }

  /** Each goal, and whether a state checked so far reached it. */
  goalResults(): { name: string; reached: boolean }[] {
    return this.goals.map((goal, i) => ({ name: goal.name, reached: this.reached[i]! }));
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

  private evaluate(predicate: BoundPredicate, index: number): boolean {
    try {
      return this.verdict(predicate, index);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      throw new ModelError(`property ${predicate.name} threw: ${(error as Error).message}`, { cause: error });
    }
  }

  private verdict(predicate: BoundPredicate, index: number): boolean {
    if (predicate.onState) {
      this.view ??= this.system.view(this.state, this.length);
      return predicate.onState(this.view);
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
}

/** The failure of a refinement on a step from abstract state `from` in which only node `changed` moved, to local state `local`, if it fails. */
function stepFailure(refinement: RefinementCheck, from: number, changed: number, local: number): PropertyFailure | undefined {
  if (refinement.stepHolds(from, refinement.abstractStates.idOfSuccessor(from, changed, local))) return undefined;
  const { name } = refinement.property;
  return { property: name, kind: 'refines', message: `this step is not a step of ${name}` };
}
