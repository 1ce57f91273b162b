import type { AnyMachineSnapshot, StateValue } from 'xstate';
import { Stepper } from '../node/index.ts';
import type { AbstractStates } from './abstract-states.ts';
import { IntPairMap } from './int-pair-map.ts';
import { canonicalJsonOf } from './not-json.ts';
import type { Refinement } from './properties.ts';

/**
 * Checks one refinement property step by step. A step is an abstract stutter when both states have
 * the same abstract id; otherwise the abstract machine is run once per abstract state to list its
 * successors, and the verdict for each (abstract state, abstract successor) pair is cached.
 */
export class RefinementCheck {
  private readonly stepper: Stepper;
  private readonly specValue: StateValue;
  private readonly initialKey: string;
  private readonly successorKeys = new Map<number, Set<string>>();
  /** (abstract state, abstract successor) → 1 an abstract step, 0 not. */
  private readonly verdicts = new IntPairMap();

  constructor(
    readonly property: Refinement,
    readonly abstractStates: AbstractStates,
  ) {
    this.stepper = new Stepper(property.spec);
    const initial = this.stepper.start(property.specInput as never).snapshot;
    this.specValue = initial.value;
    this.initialKey = canonicalJsonOf(initial.context, 'context', () => `refinement ${property.name}: the abstract machine "${property.spec.id}", starting`);
  }

  /** Whether the initial state maps to the abstract machine's initial state (Init => AbstractInit). */
  initialHolds(): boolean {
    return this.abstractStates.key(this.abstractStates.idOf(0)) === this.initialKey;
  }

  /** Whether a step from abstract state `a` to abstract state `b` is an abstract step or a stutter. */
  stepHolds(a: number, b: number): boolean {
    if (a === b) return true;
    let verdict = this.verdicts.get(a, b);
    if (verdict < 0) {
      verdict = this.successorsOf(a).has(this.abstractStates.key(b)) ? 1 : 0;
      this.verdicts.set(a, b, verdict);
    }
    return verdict === 1;
  }

  private successorsOf(id: number): Set<string> {
    let keys = this.successorKeys.get(id);
    if (keys === undefined) {
      const context = this.abstractStates.value(id);
      const snapshot = this.property.spec.resolveState({ value: this.specValue, context }) as AnyMachineSnapshot;
      keys = new Set();
      for (const event of this.property.events(context)) {
        const next = this.stepper.step(snapshot, event).snapshot;
        // A disabled event leaves the very same context object: no abstract step.
        if (next.context !== snapshot.context) {
          keys.add(canonicalJsonOf(next.context, 'context', () => `refinement ${this.property.name}: the abstract machine "${this.property.spec.id}", on ${event.type}`));
        }
      }
      this.successorKeys.set(id, keys);
    }
    return keys;
  }
}
