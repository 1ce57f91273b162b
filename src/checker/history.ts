import type { Json } from '../node/index.ts';
import { AbstractStates } from './abstract-states.ts';
import { IntPairMap } from './int-pair-map.ts';
import type { LocalStates } from './local-states.ts';
import { ModelError } from './model-error.ts';
import { canonicalJsonOf } from './not-json.ts';
import type { History } from './properties.ts';

/**
 * A model's history variable, bound to a run: its values interned to integers (one word of every
 * global state), and its steps cached by (history id, abstract state id), since `next` is a
 * function of the two.
 */
export class HistoryTrack {
  private readonly abstract: AbstractStates;
  private readonly ids = new Map<string, number>();
  readonly values: Json[] = [];
  private readonly steps = new IntPairMap();

  constructor(
    readonly history: History,
    nodes: readonly LocalStates[],
  ) {
    this.abstract = new AbstractStates(history.over, nodes);
  }

  /** The history id of the initial state. */
  initial(state: Int32Array): number {
    return this.intern(this.call('initial', () => this.history.initial(this.abstract.value(this.abstract.idOfState(state)))));
  }

  /** The history id after a step from history `from` into `state`. */
  next(from: number, state: Int32Array): number {
    const abstract = this.abstract.idOfState(state);
    let id = this.steps.get(from, abstract);
    if (id < 0) {
      id = this.intern(this.call('next', () => this.history.next(this.values[from]!, this.abstract.value(abstract))));
      this.steps.set(from, abstract, id);
    }
    return id;
  }

  /** The id of a history value, interning it if new. */
  intern(value: Json): number {
    const key = canonicalJsonOf(value, 'history', () => `history ${this.history.name}`);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(key, id);
      this.values.push(value);
    }
    return id;
  }

  private call(what: string, compute: () => Json): Json {
    try {
      return compute();
    } catch (error) {
      throw new ModelError(`history ${this.history.name}: ${what} threw: ${(error as Error).message}`, { cause: error });
    }
  }
}
