import type { AnyMachineSnapshot, StateValue } from 'xstate';
import type { Abstraction, GlobalView, Model, Property, Refinement, StatePredicate } from '../../checker/index.ts';
import { canonicalJson, Stepper, type Json } from '../../node/index.ts';

/**
 * What the explorer says about one property in one state. `always` invariants hold or fail here;
 * `sometimes` goals are reached here or not (a goal not reached here may be reached elsewhere);
 * `quiescent` properties are judged only in a quiescent state (nothing but faults can happen);
 * `refines` is judged on the step that led here: an abstract step, a stutter, or neither.
 */
export interface PropertyVerdict {
  readonly name: string;
  readonly kind: Property['kind'];
  /** Holds (invariant), reached (goal), a step or stutter (refinement); undefined when not judged. */
  readonly holds: boolean | undefined;
  /** What the verdict means here, in words. */
  readonly note: string;
}

/**
 * Judges a model's properties on single states and steps, for the explorer. The checker's
 * PropertyChecks is built for throughput (verdicts cached by state index along one run); here the
 * states come in any order, one at a time, so each predicate is simply evaluated on the view — an
 * abstraction by projecting each node and combining the parts, as src/checker/abstract-states.ts
 * does.
 */
export class PropertyVerdicts {
  private readonly refinements = new Map<Refinement, { stepper: Stepper; value: StateValue; initial: string }>();

  constructor(private readonly model: Model) {}

  /**
   * Every property's verdict in state `view`, reached from `before` (undefined: the initial state).
   * `quiescent`: whether nothing but faults can happen in it (as the checker judges it: never
   * outside the boundary, where states are not expanded).
   */
  judge(view: GlobalView, before: GlobalView | undefined, quiescent: boolean): PropertyVerdict[] {
    return this.model.properties.map((property) => {
      try {
        if (property.kind === 'refines') return this.refinementVerdict(property, view, before);
        if (property.kind === 'leadsTo') {
          // Judged on whole fair behaviours by the checker; a single state only shows where the
          // obligation arises (P) and where it is met (Q).
          const p = evaluate(property.p, view);
          const q = evaluate(property.q, view);
          const note = q ? 'Q holds here: any obligation is met' : p ? 'P holds here: every fair continuation must reach Q' : 'neither P nor Q holds here';
          return { name: property.name, kind: property.kind, holds: q ? true : undefined, note };
        }
        if (property.kind === 'quiescent' && !quiescent) {
          return { name: property.name, kind: property.kind, holds: undefined, note: 'not judged here: more than faults can happen' };
        }
        const holds = evaluate(property, view);
        const notes = {
          always: holds ? 'holds here' : 'fails here',
          sometimes: holds ? 'reached here' : 'not reached here',
          quiescent: holds ? 'holds in this quiescent state' : 'fails in this quiescent state',
          eventually: holds ? 'reached here (every fair behaviour must reach it)' : 'not reached here (every fair behaviour must reach it)',
        };
        return { name: property.name, kind: property.kind, holds, note: notes[property.kind] };
      } catch (error) {
        return { name: property.name, kind: property.kind, holds: undefined, note: `threw: ${(error as Error).message}` };
      }
    });
  }

  /**
   * Refinement (TLA+'s Spec => Abstract!Spec) judged on one step: the abstract states before and
   * after must be equal (a stutter) or the abstract machine must go from one to the other on one
   * of its events. In the initial state: whether it maps to the abstract machine's initial state.
   */
  private refinementVerdict(property: Refinement, view: GlobalView, before: GlobalView | undefined): PropertyVerdict {
    const spec = this.specOf(property);
    const after = abstractValue(property.over, view);
    const verdict = (holds: boolean, note: string): PropertyVerdict => ({ name: property.name, kind: 'refines', holds, note });
    if (!before) {
      const holds = canonicalJson(after) === spec.initial;
      return verdict(holds, holds ? `maps to ${property.name}'s initial state` : `does not map to ${property.name}'s initial state`);
    }
    const from = abstractValue(property.over, before);
    const target = canonicalJson(after);
    if (canonicalJson(from) === target) return verdict(true, 'the step here is a stutter of the abstract spec');
    const snapshot = property.spec.resolveState({ value: spec.value, context: from }) as AnyMachineSnapshot;
    for (const event of property.events(from)) {
      const next = spec.stepper.step(snapshot, event).snapshot;
      if (next.context !== snapshot.context && canonicalJson(next.context) === target) {
        return verdict(true, `the step here is ${property.name}'s ${event.type}`);
      }
    }
    return verdict(false, `the step here is not a step of ${property.name}`);
  }

  private specOf(property: Refinement): { stepper: Stepper; value: StateValue; initial: string } {
    let spec = this.refinements.get(property);
    if (!spec) {
      const stepper = new Stepper(property.spec);
      const initial = stepper.start(property.specInput as never).snapshot;
      spec = { stepper, value: initial.value, initial: canonicalJson(initial.context) };
      this.refinements.set(property, spec);
    }
    return spec;
  }
}

function evaluate(predicate: StatePredicate, view: GlobalView): boolean {
  return predicate.over === 'state' ? predicate.holds(view) : predicate.holds(abstractValue(predicate.over, view));
}

/** The abstract state of `view`: each node's part (nodes without one left out), combined. */
function abstractValue(over: Abstraction, view: GlobalView): Json {
  const parts: Record<string, Json> = {};
  for (const node of view.nodes) {
    const part = over.project(node);
    if (part !== undefined) parts[node.id] = part;
  }
  return over.combine(parts);
}
