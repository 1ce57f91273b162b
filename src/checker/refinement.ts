import type { AnyMachineSnapshot, StateValue } from 'xstate';
import type { Json } from '../node/index.ts';
import { canonicalJson, Stepper } from '../node/index.ts';
import type { LocalStates } from './local-states.ts';
import type { Refinement } from './properties.ts';

/**
 * Checks one refinement property along the exploration. Each global state gets an abstract-state
 * id, built from per-node projections that are computed once per distinct local state, so the
 * check costs a few integer operations per step; the abstract machine runs only the first time a
 * given (abstract state, abstract successor) pair is seen.
 */
export class RefinementCheck {
  private readonly projectionIds: Int32Array[];
  private readonly projectionKeys = new Map<string, number>();
  private readonly projections: (Json | undefined)[] = [];
  private readonly abstractIds = new Map<string, number>();
  private readonly abstractParts: Int32Array[] = [];
  private readonly verdicts = new Map<number, boolean>();
  private readonly stepper: Stepper;
  private readonly specValue: StateValue;
  readonly initialContext: Json;
  /** Abstract id of each global state, by state index. */
  private stateAbstract = new Int32Array(1 << 16);

  constructor(
    readonly property: Refinement,
    private readonly nodes: readonly LocalStates[],
  ) {
    this.projectionIds = nodes.map(() => new Int32Array(0));
    this.stepper = new Stepper(property.spec);
    const initial = this.stepper.start(property.specInput as never).snapshot;
    this.specValue = initial.value;
    this.initialContext = initial.context as Json;
  }

  /** Records the abstract state of global state `index`; returns its id. */
  record(index: number, state: Int32Array): number {
    let key = '';
    for (let k = 0; k < this.nodes.length; k++) key += `${this.projectionOf(k, state[k]!)},`;
    let id = this.abstractIds.get(key);
    if (id === undefined) {
      id = this.abstractParts.length;
      this.abstractIds.set(key, id);
      this.abstractParts.push(Int32Array.from(this.nodes, (_, k) => this.projectionOf(k, state[k]!)));
    }
    if (index >= this.stateAbstract.length) {
      const grown = new Int32Array(Math.max(index + 1, this.stateAbstract.length * 2));
      grown.set(this.stateAbstract);
      this.stateAbstract = grown;
    }
    this.stateAbstract[index] = id;
    return id;
  }

  /** Whether the initial state maps to the abstract machine's initial state. */
  initialHolds(): boolean {
    return canonicalJson(this.abstractOf(this.stateAbstract[0]!)) === canonicalJson(this.initialContext);
  }

  /** Whether the step from state `from` to state `to` is an abstract step or a stutter. */
  stepHolds(from: number, to: number): boolean {
    const a = this.stateAbstract[from]!;
    const b = this.stateAbstract[to]!;
    if (a === b) return true;
    const pair = a * 0x4000000 + b;
    let verdict = this.verdicts.get(pair);
    if (verdict === undefined) {
      verdict = this.isAbstractStep(this.abstractOf(a), this.abstractOf(b));
      this.verdicts.set(pair, verdict);
    }
    return verdict;
  }

  /** The abstract state of global state `index`. */
  abstractState(index: number): Json {
    return this.abstractOf(this.stateAbstract[index]!);
  }

  private isAbstractStep(from: Json, to: Json): boolean {
    const target = canonicalJson(to);
    const snapshot = this.property.spec.resolveState({ value: this.specValue, context: from }) as AnyMachineSnapshot;
    for (const event of this.property.events(from)) {
      const next = this.stepper.step(snapshot, event).snapshot;
      if (canonicalJson(next.context) === target) return true;
    }
    return false;
  }

  private abstractOf(id: number): Json {
    const parts: Record<string, Json> = {};
    const ids = this.abstractParts[id]!;
    this.nodes.forEach((node, k) => {
      const part = this.projections[ids[k]!];
      if (part !== undefined) parts[node.definition.id] = part;
    });
    return this.property.abstraction(parts);
  }

  private projectionOf(node: number, local: number): number {
    let ids = this.projectionIds[node]!;
    if (local >= ids.length) {
      const grown = new Int32Array(Math.max(local + 1, ids.length * 2, 16)).fill(-1);
      grown.set(ids);
      this.projectionIds[node] = ids = grown;
    }
    let id = ids[local]!;
    if (id < 0) {
      const part = this.property.project(this.nodes[node]!.states[local]!.view);
      const key = part === undefined ? 'undefined' : canonicalJson(part);
      id = this.projectionKeys.get(key) ?? -1;
      if (id < 0) {
        id = this.projections.length;
        this.projectionKeys.set(key, id);
        this.projections.push(part);
      }
      ids[local] = id;
    }
    return id;
  }
}
