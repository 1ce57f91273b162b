import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { DurableState, StepResult } from '../node/index.ts';
import { applyDurableChange, canonicalJson, EMPTY_DURABLE, findNotJson, isTimerEvent, Stepper, timerDelayName } from '../node/index.ts';
import type { Envelopes } from './envelopes.ts';
import type { NodeView } from './global-view.ts';
import { ModelError } from './model-error.ts';
import { describeNotJson, isNotJson, notJsonError } from './not-json.ts';
import type { NodeDefinition } from './model.ts';

/** One interned local state of a node: what it is running, what it armed, what it persisted. */
export interface LocalState {
  readonly id: number;
  /** Undefined while crashed. */
  readonly snapshot: AnyMachineSnapshot | undefined;
  readonly durable: DurableState;
  /** Armed timers as interned timer-event ids, ascending. */
  readonly timers: readonly number[];
  readonly view: NodeView;
}

/** The outcome of one step of a node: its next local state and the messages it sent (ids). */
export interface Transition {
  readonly next: number;
  readonly sends: Int32Array;
}

/** Event codes in the transition cache: the low two bits say which kind of event. */
const DELIVER = 0;
const TIMER = 1;
const SPONTANEOUS = 2;

/**
 * The local states of one node, interned to integers, and a cache of its transitions per
 * (local state, event). Machines are pure and deterministic, so each transition is computed by
 * XState once and then read from the cache however many global states share that local state.
 */
export class LocalStates {
  readonly states: LocalState[] = [];
  /** 1 where a local state is a crashed node, by local id. */
  crashed = new Uint8Array(64);
  private readonly byKey = new Map<string, number>();
  private readonly stepper: Stepper;
  /** transitions[localId][eventCode] */
  private readonly transitions: (Transition | undefined)[][] = [];
  private readonly crashedOf: number[] = [];
  private readonly restartOf: (Transition | undefined)[] = [];
  private readonly firable: (boolean | undefined)[] = [];

  constructor(
    readonly index: number,
    readonly definition: NodeDefinition,
    private readonly envelopes: Envelopes,
    private readonly timers: TimerNames,
  ) {
    this.stepper = new Stepper(definition.machine);
  }

  /**
   * Interns, as a local state of this node, another node's local state with node ids renamed
   * (symmetry reduction): its context and durable state go through `rename`; its state value and
   * armed timers stay as they are.
   */
  internRenamed(from: LocalState, rename: (value: unknown) => unknown): number {
    const durable = rename(from.durable) as DurableState;
    if (!from.snapshot) return this.intern(undefined, durable, []);
    const snapshot = this.definition.machine.resolveState({ value: from.snapshot.value, context: rename(from.snapshot.context) as never }) as AnyMachineSnapshot;
    return this.intern(snapshot, durable, [...from.timers]);
  }

  /** The node's first boot: empty durable state. */
  boot(): Transition {
    return this.start(EMPTY_DURABLE, false);
  }

  deliver(local: number, envelope: number): Transition {
    const code = envelope * 4 + DELIVER;
    return this.transitions[local]?.[code] ?? this.compute(local, code, this.envelopes.all[envelope]!.event, -1);
  }

  /** Whether the model lets this node's timer (an interned timer event) fire. */
  mayFire(timer: number): boolean {
    let may = this.firable[timer];
    if (may === undefined) {
      const allowed = this.definition.timers;
      may = allowed === undefined || allowed.includes(timerDelayName(this.timers.names[timer]!));
      this.firable[timer] = may;
    }
    return may;
  }

  fireTimer(local: number, timer: number): Transition {
    const code = timer * 4 + TIMER;
    return this.transitions[local]?.[code] ?? this.compute(local, code, { type: this.timers.names[timer]! }, timer);
  }

  spontaneous(local: number, which: number): Transition {
    const code = which * 4 + SPONTANEOUS;
    return this.transitions[local]?.[code] ?? this.compute(local, code, this.definition.spontaneous![which]!, -1);
  }

  crash(local: number): number {
    let crashed = this.crashedOf[local];
    if (crashed === undefined) {
      crashed = this.intern(undefined, this.states[local]!.durable, []);
      this.crashedOf[local] = crashed;
    }
    return crashed;
  }

  restart(crashed: number): Transition {
    let transition = this.restartOf[crashed];
    if (transition === undefined) {
      transition = this.start(this.states[crashed]!.durable, true);
      this.restartOf[crashed] = transition;
    }
    return transition;
  }

  private start(durable: DurableState, restart: boolean): Transition {
    const { definition } = this;
    let result;
    try {
      result = this.stepper.start({ id: definition.id, peers: definition.peers, durable, config: definition.config });
    } catch (error) {
      throw new ModelError(`${definition.id} failed to start from durable state ${canonicalJson(durable)}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return this.record(result, durable, []);
    } catch (error) {
      throw this.notJson(error, result, durable, undefined, restart);
    }
  }

  /** Steps the machine (a cache miss) and caches the transition under (local, code). */
  private compute(local: number, code: number, event: AnyEventObject, firedTimer: number): Transition {
    const state = this.states[local]!;
    let result;
    try {
      result = this.stepper.step(state.snapshot!, event);
    } catch (error) {
      const value = canonicalJson(state.snapshot!.value);
      throw new ModelError(`${this.definition.id} failed on ${event.type} in state ${value}: ${(error as Error).message}`, { cause: error });
    }
    const timers = firedTimer < 0 ? state.timers : state.timers.filter((t) => t !== firedTimer);
    let transition;
    try {
      transition = this.record(result, state.durable, timers);
    } catch (error) {
      throw this.notJson(error, result, state.durable, { event, from: state.snapshot! }, false);
    }
    (this.transitions[local] ??= [])[code] = transition;
    return transition;
  }

  /**
   * What to throw when the outcome of a step (`step` undefined: a start) cannot be interned: a
   * ModelError naming the node, its machine, the step, the state and the field when the machine
   * put something that is not plain JSON in a message, its context or its durable state (which
   * `canonicalJson` refused); otherwise `error` itself. The slow path, run only once interning
   * has thrown, so the values are walked a second time only then.
   */
  private notJson(
    error: unknown,
    result: StepResult,
    durableBefore: DurableState,
    step: { readonly event: AnyEventObject; readonly from: AnyMachineSnapshot } | undefined,
    restart: boolean,
  ): unknown {
    if (!isNotJson(error)) return error;
    const { definition } = this;
    const state = (snapshot: AnyMachineSnapshot) => `state ${stateValueText(snapshot)}`;
    const node = `node "${definition.id}" (machine "${definition.machine.id}")`;
    let where: string;
    if (step) {
      const { event, from } = step;
      const what = isTimerEvent(event.type)
        ? `its ${timerDelayName(event.type)} timer`
        : `${event.type}${typeof event.from === 'string' ? ` from "${event.from}"` : ''}`;
      const to = state(result.snapshot);
      where = `${node} in ${state(from)}, on ${what}, ${to === state(from) ? 'staying there' : `going to ${to}`}`;
    } else {
      where = `${node}, ${restart ? 'restarting from its durable state' : 'starting'} in ${state(result.snapshot)}`;
    }
    for (const effect of result.effects) {
      if (effect.type !== 'send') continue;
      const found = findNotJson(effect.message, 'message');
      if (found) return new ModelError(`${where}: in the ${effect.message.type} message it sent to "${effect.to}", ${describeNotJson(found)}`, { cause: error });
    }
    let durable: DurableState | undefined = durableBefore;
    try {
      for (const effect of result.effects) if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
    } catch {
      durable = undefined;
    }
    return notJsonError(error, where, [
      [result.snapshot.value, 'value'],
      [result.snapshot.context, 'context'],
      [durable, 'durable'],
    ]);
  }

  private record(
    result: StepResult,
    durableBefore: DurableState,
    timersBefore: readonly number[],
  ): Transition {
    let durable = durableBefore;
    const sends: number[] = [];
    for (const effect of result.effects) {
      if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
      else if (effect.type === 'send') sends.push(this.envelopes.intern(this.index, effect.to, effect.message, this.definition.id));
    }
    const cancelled = new Set(result.cancelled.map((name) => this.timers.intern(name)));
    const timers = new Set(timersBefore.filter((t) => !cancelled.has(t)));
    for (const name of result.armed) timers.add(this.timers.intern(name));
    const next = this.intern(result.snapshot, durable, [...timers].sort((a, b) => a - b));
    return { next, sends: Int32Array.from(sends) };
  }

  private intern(snapshot: AnyMachineSnapshot | undefined, durable: DurableState, timers: number[]): number {
    const key = snapshot
      ? `${canonicalJson(snapshot.value)}|${canonicalJson(snapshot.context)}|${canonicalJson(durable)}|${timers.join(',')}`
      : `crashed|${canonicalJson(durable)}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.states.length;
      this.byKey.set(key, id);
      const view: NodeView = Object.freeze({
        id: this.definition.id,
        crashed: snapshot === undefined,
        value: snapshot?.value,
        context: snapshot?.context,
        durable,
        timers: timers.map((t) => timerDelayName(this.timers.names[t]!)),
      });
      this.states.push({ id, snapshot, durable, timers, view });
      if (id >= this.crashed.length) {
        const grown = new Uint8Array(this.crashed.length * 2);
        grown.set(this.crashed);
        this.crashed = grown;
      }
      this.crashed[id] = snapshot === undefined ? 1 : 0;
    }
    return id;
  }
}

/** A state value as JSON text (`"idle"`, `{"leader":"replicating"}`), or a placeholder if it is not JSON. */
function stateValueText(snapshot: AnyMachineSnapshot): string {
  try {
    return canonicalJson(snapshot.value);
  } catch {
    return '(a value that is not JSON)';
  }
}

/** Interns timer event types (`xstate.after.<delay>.<state>`) to integers. */
export class TimerNames {
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();

  intern(name: string): number {
    let id = this.byName.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.byName.set(name, id);
      this.names.push(name);
    }
    return id;
  }
}

