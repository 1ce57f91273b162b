import fc from 'fast-check';
import { canonicalJson } from '../node/index.ts';
import { ActionKind, isFault, type SuccessorSink } from './actions.ts';
import { fingerprint, FingerprintSet, fingerprintLowOfLast } from './fingerprint.ts';
import type { GlobalView } from './global-view.ts';
import type { Model } from './model.ts';
import { PropertyChecks, type PropertyFailure } from './property-checks.ts';
import { ComposedSystem } from './system.ts';
import { traceFromStates, type Trace } from './trace.ts';

export interface SimulateOptions {
  /** fast-check's seed: the same seed, depth and model give the same walks and the same result. */
  readonly seed: number;
  /** Random walks to run (fast-check's numRuns). */
  readonly walks: number;
  /** The most steps in one walk. */
  readonly depth: number;
  /**
   * Replays one failing walk instead of running them all: the `path` of an earlier violation
   * (fast-check's counterexample path), with that run's seed and depth.
   */
  readonly path?: string;
  /** Called about every `progressEveryMs` during long runs. */
  readonly onProgress?: (progress: SimulationProgress) => void;
  readonly progressEveryMs?: number;
}

export interface SimulationProgress {
  /** Walks run so far, shrinking attempts included. */
  readonly walks: number;
  readonly steps: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
}

export interface SimulationViolation {
  readonly property: string;
  readonly kind: 'always' | 'quiescent' | 'refines';
  readonly message: string;
  /** The failing walk after shrinking, from the initial state to the state (or step) that fails. */
  readonly trace: Trace;
  /** The shrunk walk's choices, one per step: the position of the successor taken, in the canonical order. */
  readonly choices: readonly number[];
  /** fast-check's counterexample path: with the seed and depth, `path` replays exactly this walk. */
  readonly path: string;
  /** The random walk (1-based) that first failed, before shrinking. */
  readonly foundByWalk: number;
  /** Successful shrinks from the first failing walk to this one. */
  readonly shrinks: number;
}

export interface SimulationResult {
  /** `ok` says only that no walk failed: simulation cannot prove that no behaviour does. */
  readonly verdict: 'ok' | 'violation';
  readonly seed: number;
  readonly depth: number;
  /** Random walks run (up to and including the first failing one). */
  readonly walks: number;
  /** Steps taken over every walk, the walks tried while shrinking included. */
  readonly steps: number;
  /** The longest walk, in steps. */
  readonly longest: number;
  /** Distinct global states visited (counted up to `DISTINCT_LIMIT`). */
  readonly distinct: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  /** Reachability goals: whether some walk reached each. A goal not reached is not a failure here. */
  readonly goals: readonly { readonly name: string; readonly reached: boolean }[];
  readonly violation?: SimulationViolation;
}

/** Distinct states are counted up to this many (a fingerprint table of about 24 MB). */
export const DISTINCT_LIMIT = 1 << 20;

/**
 * Seeded random walks through the same action space as the exhaustive checker, for models too
 * large to exhaust. fast-check generates each walk as a list of choices and, when a walk breaks an
 * invariant or a refinement, shrinks it; then single steps that the failure does not need are
 * removed by what they do (see `withoutNeedlessSteps`), giving a short failing schedule.
 *
 * A walk starts at the initial state; at step i it lists the successors of the current state in a
 * canonical order — by action kind, node, and the message's or timer's content, never by interned
 * ids, which depend on the order things were first met — and takes successor `choices[i] % count`.
 * It ends after its last choice, in a state with no successors, or in a state outside the model's
 * boundary (checked, not expanded, as by the checker). So a walk is a function of its choices
 * alone, as fast-check's shrinking needs and as replay by seed and path relies on. Every `always`
 * invariant is checked on every state of every walk and every refinement on every step; goals are
 * recorded as reached or not.
 */
export function simulate(model: Model, options: SimulateOptions): SimulationResult {
  return new Simulation(model, options).run();
}

/** A walk as it went: its states (the initial one first), and each step's position and action key. */
interface WalkRecord {
  readonly states: Int32Array[];
  readonly positions: number[];
  readonly actions: string[];
}

/** Where and how a walk failed: at the state after `step` steps. */
interface Failure extends PropertyFailure {
  readonly step: number;
}

class Simulation {
  private readonly system: ComposedSystem;
  private readonly properties: PropertyChecks;
  private readonly successors: Successors;
  private readonly seen = new FingerprintSet();
  private state = new Int32Array(1024);
  private length = 0;
  private view: GlobalView | undefined;
  private walksRun = 0;
  /** Whether the last walk stopped because the action it was told to take was not enabled. */
  private blocked = false;
  private steps = 0;
  private longest = 0;
  private readonly started = performance.now();
  private lastProgress = this.started;

  constructor(
    model: Model,
    private readonly options: SimulateOptions,
  ) {
    for (const [name, value, min] of [
      ['walks', options.walks, 1],
      ['depth', options.depth, 0],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`simulate: ${name} must be a whole number >= ${min}, not ${value}`);
    }
    if (!Number.isSafeInteger(options.seed)) throw new RangeError(`simulate: seed must be a whole number, not ${options.seed}`);
    if (options.path !== undefined && !/^\d+(:\d+)*$/.test(options.path)) throw new RangeError(`simulate: a path is numbers separated by ":", not "${options.path}"`);
    this.system = new ComposedSystem(model);
    this.successors = new Successors(this.system);
    this.properties = new PropertyChecks(model, this.system);
  }

  run(): SimulationResult {
    const { options } = this;
    const choices = fc.array(fc.nat(), { maxLength: options.depth, size: 'max' });
    const details = fc.check(
      fc.property(choices, (walk) => this.walkChoices(walk) === undefined),
      { seed: options.seed, numRuns: options.walks, ...(options.path !== undefined ? { path: options.path } : {}) },
    );
    let violation: SimulationViolation | undefined;
    if (details.failed) {
      const [shrunk] = details.counterexample ?? [];
      if (!shrunk) throw details.errorInstance ?? new Error('simulate: fast-check failed without a counterexample');
      // Walk the shrunk choices once more: an error thrown by a machine surfaces here.
      const found: WalkRecord = { states: [], positions: [], actions: [] };
      const failure = this.walkChoices(shrunk, found);
      if (!failure) throw new Error('internal error: the shrunk walk did not fail when replayed');
      const shortest: WalkRecord = { states: [], positions: [], actions: [] };
      const last = this.walkActions(this.withoutNeedlessSteps(found.actions, failure.property), shortest);
      if (last?.property !== failure.property) throw new Error('internal error: the shortened walk did not fail when replayed');
      // The path is "run:shrink:shrink...": the same whether found now or replayed from it.
      const path = details.counterexamplePath ?? String(details.numRuns - 1);
      const segments = path.split(':');
      violation = {
        property: last.property,
        kind: last.kind,
        message: last.message,
        trace: traceFromStates(this.system, shortest.states, last.property),
        choices: shortest.positions,
        path,
        foundByWalk: Number(segments[0]) + 1,
        shrinks: segments.length - 1,
      };
    }
    const seconds = (performance.now() - this.started) / 1000;
    return {
      verdict: violation ? 'violation' : 'ok',
      seed: options.seed,
      depth: options.depth,
      walks: details.numRuns,
      steps: this.steps,
      longest: this.longest,
      distinct: this.seen.size,
      seconds,
      stepsPerSecond: this.steps / Math.max(seconds, 1e-9),
      goals: this.properties.goalResults(),
      ...(violation ? { violation } : {}),
    };
  }

  /** A walk as fast-check generates it: step i takes the successor at position `choices[i] % count`. */
  private walkChoices(choices: readonly number[], record?: WalkRecord): Failure | undefined {
    return this.walk(choices.length, (step, count) => choices[step]! % count, record);
  }

  /** A walk that takes the given actions (keys from `Successors.actionKey`); `blocked` when one is not enabled. */
  private walkActions(actions: readonly string[], record?: WalkRecord): Failure | undefined {
    return this.walk(actions.length, (step) => this.successors.positionOf(actions[step]!), record);
  }

  /**
   * fast-check shrinks a walk by its choices, and a choice means a different action once an
   * earlier step is gone. This removes single steps by what they do instead: a step goes when
   * the remaining actions, replayed by identity, are all enabled and still break `property`
   * (possibly sooner, which shortens the walk further). Deterministic, like everything here.
   */
  private withoutNeedlessSteps(actions: readonly string[], property: string): string[] {
    let shortest = [...actions];
    for (let removed = true; removed; ) {
      removed = false;
      for (let i = shortest.length - 1; i >= 0; i--) {
        if (i >= shortest.length) continue;
        const candidate = [...shortest.slice(0, i), ...shortest.slice(i + 1)];
        const failure = this.walkActions(candidate);
        if (failure && !this.blocked && failure.property === property) {
          shortest = candidate.slice(0, failure.step);
          removed = true;
        }
      }
    }
    return shortest;
  }

  /**
   * One walk of at most `steps` steps: at step i, `choose(i, count)` gives the position (in the
   * canonical order) of the successor to take, or -1 to stop there, blocked. Checks every state and
   * step and returns the first failure, or undefined. `record` keeps every state visited, each
   * step's position and each step's action. Walk positions double as state indices for the
   * abstractions and refinements (0 the initial state).
   */
  private walk(steps: number, choose: (step: number, count: number) => number, record?: WalkRecord): Failure | undefined {
    const { system, successors } = this;
    const boundary = system.model.boundary;
    this.walksRun++;
    this.blocked = false;
    this.moveTo(system.initial, system.initial.length);
    this.properties.record(0, this.state, this.length, -1, -1);
    record?.states.push(this.state.slice(0, this.length));
    const initialFailure = this.properties.checkState(0) ?? this.properties.checkInitial();
    if (initialFailure) return { ...initialFailure, step: 0 };
    let failure: Failure | undefined;
    let step = 0;
    for (; ; step++) {
      if (boundary && !boundary(this.currentView())) break;
      // The last state of a walk is expanded only to judge it for quiescence.
      if (step >= steps && !this.properties.hasQuiescence) break;
      successors.clear();
      system.successors(this.state, this.length, successors);
      // The last state of a walk is judged for quiescence too: a replayed walk ends exactly there.
      if (this.properties.hasQuiescence && successors.onlyFaults()) {
        const quiescentFailure = this.properties.checkQuiescent(step, this.state, this.length);
        if (quiescentFailure) {
          failure = { ...quiescentFailure, step };
          break;
        }
      }
      if (step >= steps || successors.count === 0) break;
      successors.sort();
      const position = choose(step, successors.count);
      if (position < 0) {
        this.blocked = true;
        break;
      }
      const pick = successors.at(position);
      record?.positions.push(position);
      record?.actions.push(successors.actionKey(pick));
      this.moveTo(successors.words, successors.lengths[pick]!, successors.starts[pick]!);
      this.steps++;
      this.properties.record(step + 1, this.state, this.length, step, successors.nodes[pick]!);
      record?.states.push(this.state.slice(0, this.length));
      const stepFailure = this.properties.checkState(step + 1) ?? this.properties.checkStep(step, this.state, successors.nodes[pick]!);
      if (stepFailure) {
        failure = { ...stepFailure, step: step + 1 };
        break;
      }
    }
    const taken = failure ? failure.step : step;
    if (taken > this.longest) this.longest = taken;
    this.reportProgress();
    return failure;
  }

  /** Makes `words[from, from + length)` the current state and counts it if it is new. */
  private moveTo(words: Int32Array, length: number, from = 0): void {
    if (this.state.length < length) this.state = new Int32Array(length * 2);
    const state = this.state;
    for (let i = 0; i < length; i++) state[i] = words[from + i]!;
    this.length = length;
    this.view = undefined;
    if (this.seen.size < DISTINCT_LIMIT) this.seen.addOrGet(fingerprint(state, length), fingerprintLowOfLast, 0);
  }

  private currentView(): GlobalView {
    return (this.view ??= this.system.view(this.state, this.length));
  }

  private reportProgress(): void {
    const { onProgress } = this.options;
    if (!onProgress) return;
    const now = performance.now();
    if (now - this.lastProgress < (this.options.progressEveryMs ?? 2000)) return;
    this.lastProgress = now;
    const seconds = (now - this.started) / 1000;
    onProgress({ walks: this.walksRun, steps: this.steps, seconds, stepsPerSecond: this.steps / seconds });
  }
}

/**
 * Collects the successors of one state (copies of the scratch vectors the system hands out) and
 * orders them canonically: by action kind, then node, then the message's content (deliver, drop,
 * duplicate) or the timer's name, then enumeration order. Interned envelope and timer ids depend
 * on which walks ran before, so ordering by them would make a walk depend on its predecessors.
 */
class Successors implements SuccessorSink {
  words = new Int32Array(4096);
  starts = new Int32Array(64);
  lengths = new Int32Array(64);
  kinds = new Int32Array(64);
  nodes = new Int32Array(64);
  items = new Int32Array(64);
  count = 0;
  private used = 0;
  private order: number[] = [];
  private readonly envelopeKeys: string[] = [];
  private readonly compare = (a: number, b: number): number => {
    const { kinds, nodes, items } = this;
    const kind = kinds[a]! - kinds[b]!;
    if (kind !== 0) return kind;
    const node = nodes[a]! - nodes[b]!;
    if (node !== 0) return node;
    const x = items[a]!;
    const y = items[b]!;
    if (x !== y) {
      switch (kinds[a]) {
        case ActionKind.Deliver:
        case ActionKind.Drop:
        case ActionKind.Duplicate:
          return compareStrings(this.envelopeKey(x), this.envelopeKey(y)) || a - b;
        case ActionKind.Timer:
          return compareStrings(this.system.timers.names[x]!, this.system.timers.names[y]!) || a - b;
        default:
          return x - y;
      }
    }
    return a - b;
  };

  constructor(private readonly system: ComposedSystem) {}

  clear(): void {
    this.count = 0;
    this.used = 0;
  }

  accept(next: Int32Array, length: number, kind: ActionKind, node: number, item: number): boolean {
    const index = this.count++;
    if (index === this.starts.length) {
      const grow = (array: Int32Array) => {
        const grown = new Int32Array(array.length * 2);
        grown.set(array);
        return grown;
      };
      this.starts = grow(this.starts);
      this.lengths = grow(this.lengths);
      this.kinds = grow(this.kinds);
      this.nodes = grow(this.nodes);
      this.items = grow(this.items);
    }
    if (this.used + length > this.words.length) {
      const grown = new Int32Array(Math.max(this.words.length * 2, this.used + length));
      grown.set(this.words.subarray(0, this.used));
      this.words = grown;
    }
    const { words } = this;
    const start = this.used;
    for (let i = 0; i < length; i++) words[start + i] = next[i]!;
    this.used += length;
    this.starts[index] = start;
    this.lengths[index] = length;
    this.kinds[index] = kind;
    this.nodes[index] = node;
    this.items[index] = item;
    return true;
  }

  /** Whether every successor collected is a fault (or there are none): the state is quiescent. */
  onlyFaults(): boolean {
    for (let i = 0; i < this.count; i++) if (!isFault(this.kinds[i]! as ActionKind)) return false;
    return true;
  }

  /** Puts the successors collected in canonical order. */
  sort(): void {
    const { order, count } = this;
    order.length = count;
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort(this.compare);
  }

  /** The successor at `position` in canonical order (after `sort`). */
  at(position: number): number {
    return this.order[position]!;
  }

  /** The position in canonical order of the first successor taken by action `key`, or -1. */
  positionOf(key: string): number {
    for (let position = 0; position < this.count; position++) if (this.actionKey(this.order[position]!) === key) return position;
    return -1;
  }

  /** What successor `index` does, independent of interned ids: kind, node and item. */
  actionKey(index: number): string {
    const kind = this.kinds[index]!;
    const item = this.items[index]!;
    const what =
      kind === ActionKind.Deliver || kind === ActionKind.Drop || kind === ActionKind.Duplicate
        ? this.envelopeKey(item)
        : kind === ActionKind.Timer
          ? this.system.timers.names[item]!
          : String(item);
    return `${kind}:${this.nodes[index]}:${what}`;
  }

  private envelopeKey(id: number): string {
    let key = this.envelopeKeys[id];
    if (key === undefined) {
      const envelope = this.system.envelopes.all[id]!;
      key = `${envelope.fromIndex}|${envelope.toIndex}|${canonicalJson(envelope.message)}`;
      this.envelopeKeys[id] = key;
    }
    return key;
  }
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
