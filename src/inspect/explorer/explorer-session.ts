import type { StateValue } from 'xstate';
import { ComposedSystem, type Envelope, type GlobalView, type Model, type Parameters, type SuccessorSink, type TraceAction, traceFromStates, type TraceNode, type TraceState, type TraceStep } from '../../checker/index.ts';
import { canonicalJson, type DurableState } from '../../node/index.ts';
import { statechartOf, type Statechart } from '../statechart.ts';
import { describeAction, describeEnvelope, stateName } from '../trace-text.ts';
import { activeStateIds } from './active-states.ts';
import { PropertyVerdicts, type PropertyVerdict } from './property-verdicts.ts';

/** The model an explorer shows: what `unanimous explore` loaded, and how it was configured. */
export interface ExploredModel {
  readonly name: string;
  readonly description: string;
  readonly parameters: Parameters;
  readonly model: Model;
}

/** A path of action positions from the initial state, each in the canonical order of its state's actions. */
export type StatePath = readonly number[];

/** A path that leads nowhere: an action position that does not exist in the state it is taken from. */
export class PathError extends Error {
  override readonly name = 'PathError';
}

/** The longest path the explorer follows: a guard against requests that would walk for ever. */
export const MAX_PATH_LENGTH = 10_000;

/** One machine of the model (several nodes may run it), with its statechart. */
export interface MachineReport {
  readonly index: number;
  readonly id: string;
  readonly nodes: readonly string[];
  readonly chart: Statechart;
}

export interface ModelReport {
  readonly name: string;
  readonly description: string;
  readonly parameters: Parameters;
  readonly network: Model['network'];
  readonly budgets: { readonly loss: number; readonly duplication: number; readonly crash: number };
  readonly machines: readonly MachineReport[];
  readonly nodes: readonly { readonly id: string; readonly machine: number }[];
  readonly properties: readonly { readonly name: string; readonly kind: string }[];
}

export interface NodeReport extends TraceNode {
  readonly machine: number;
  /** The state value as a dotted path (`committed.awaitingAcks`), or `crashed`. */
  readonly state: string;
  /** The chart state ids the node is in, outermost first (none while crashed). */
  readonly activeStates: readonly string[];
}

/** One enabled action: `index` is its position in the path. */
export interface ActionReport {
  readonly index: number;
  readonly action: TraceAction;
  readonly label: string;
  /** What taking it does: nodes that change state, messages sent. */
  readonly outcome: string;
}

/** A global state as the page shows it. */
export interface StateReport {
  readonly path: StatePath;
  readonly nodes: readonly NodeReport[];
  readonly messages: readonly (Envelope & { readonly label: string })[];
  readonly budgets: GlobalView['budgets'];
  /** False outside the model's boundary: the checker checks such a state but does not expand it. */
  readonly insideBoundary: boolean;
  /** Nothing but faults can happen here (crashes, losses, duplications): where `quiescent` properties are judged. */
  readonly quiescent: boolean;
  readonly properties: readonly PropertyVerdict[];
  /** The step that led here (none in the initial state). */
  readonly arrivedBy?: TraceStep & { readonly label: string; readonly outcome: string };
  readonly actions: readonly ActionReport[];
}

/** A successor of a state: its words, and the step to it as a trace describes it. */
interface Successor {
  readonly words: Int32Array;
  readonly step: TraceStep;
  /** The canonical JSON of the step's action: how traces are matched against the model. */
  readonly actionKey: string;
}

interface ExploredState {
  readonly words: Int32Array;
  successors?: readonly Successor[];
}

/** States kept by path; past this many the cache starts afresh (states are cheap to recompute). */
const CACHE_LIMIT = 20_000;

/** Steps only the fault budgets allow (as src/checker/actions.ts's isFault). */
const FAULTS: readonly TraceAction['kind'][] = ['crash', 'drop', 'duplicate'];

const KIND_ORDER: readonly TraceAction['kind'][] = ['deliver', 'timer', 'spontaneous', 'crash', 'restart', 'drop', 'duplicate'];

/**
 * The explorer's model of one model: global states addressed by paths of action positions from the
 * initial state. A state's actions are listed in a canonical order — by kind, node, then the
 * action's content, never by interned ids, which depend on what was explored before — so a path
 * names the same state in every run of the explorer, and a URL holding it can be shared.
 *
 * Actions that lead to the same successor state are one action here, described as the checker's
 * traces describe that step (the first action found that leads there), so a counterexample's steps
 * match them exactly.
 */
export class ExplorerSession {
  readonly system: ComposedSystem;
  private readonly verdicts: PropertyVerdicts;
  private readonly machines: MachineReport[] = [];
  private readonly machineOf: number[];
  private readonly states = new Map<string, ExploredState>();

  constructor(readonly explored: ExploredModel) {
    this.system = new ComposedSystem(explored.model);
    this.verdicts = new PropertyVerdicts(explored.model);
    const indexOf = new Map<unknown, number>();
    this.machineOf = explored.model.nodes.map((node) => {
      let index = indexOf.get(node.machine);
      if (index === undefined) {
        index = this.machines.length;
        indexOf.set(node.machine, index);
        this.machines.push({ index, id: node.machine.id, nodes: [], chart: statechartOf(node.machine) });
      }
      (this.machines[index]!.nodes as string[]).push(node.id);
      return index;
    });
  }

  modelReport(): ModelReport {
    const { name, description, parameters, model } = this.explored;
    return {
      name,
      description,
      parameters,
      network: model.network,
      budgets: { loss: model.faults?.loss ?? 0, duplication: model.faults?.duplication ?? 0, crash: model.faults?.crash ?? 0 },
      machines: this.machines,
      nodes: model.nodes.map((node, k) => ({ id: node.id, machine: this.machineOf[k]! })),
      properties: model.properties.map((property) => ({ name: property.name, kind: property.kind })),
    };
  }

  /** The state at `path`, as the page shows it. Throws a PathError for a path that leads nowhere. */
  stateReport(path: StatePath): StateReport {
    const state = this.stateAt(path);
    const parent = path.length > 0 ? this.stateAt(path.slice(0, -1)) : undefined;
    const arrived = parent ? this.successorsOf(parent)[path[path.length - 1]!]!.step : undefined;
    const { system } = this;
    const view = system.view(state.words, state.words.length);
    const boundary = system.model.boundary;
    const traced = traceFromStates(system, [state.words], '').initial;
    const successors = this.successorsOf(state);
    const insideBoundary = boundary ? boundary(view) : true;
    const quiescent = insideBoundary && successors.every((successor) => FAULTS.includes(successor.step.action.kind));
    return {
      path: [...path],
      nodes: traced.nodes.map((node, k) => this.nodeReport(node, k)),
      messages: traced.messages.map((envelope) => ({ ...envelope, label: describeEnvelope(envelope) })),
      budgets: view.budgets,
      insideBoundary,
      quiescent,
      properties: this.verdicts.judge(view, parent ? system.view(parent.words, parent.words.length) : undefined, quiescent),
      ...(arrived ? { arrivedBy: { ...arrived, label: describeAction(arrived.action), outcome: describeOutcome(arrived) } } : {}),
      actions: successors.map((successor, index) => ({
        index,
        action: successor.step.action,
        label: describeAction(successor.step.action),
        outcome: describeOutcome(successor.step),
      })),
    };
  }

  /** The initial state as a trace gives it: to compare a trace's initial state with. */
  initialTraceState(): TraceState {
    return traceFromStates(this.system, [this.system.initial], '').initial;
  }

  /** The position of `action` among the actions enabled at `path`, or -1 when it is not enabled there. */
  positionOf(path: StatePath, action: TraceAction): number {
    const key = canonicalJson(action);
    return this.successorsOf(this.stateAt(path)).findIndex((successor) => successor.actionKey === key);
  }

  /** The nodes of the state at `path`, as a trace gives them. */
  traceNodesAt(path: StatePath): readonly TraceNode[] {
    return traceFromStates(this.system, [this.stateAt(path).words], '').initial.nodes;
  }

  private nodeReport(node: TraceNode, k: number): NodeReport {
    const machine = this.machineOf[k]!;
    return {
      ...node,
      machine,
      state: node.crashed ? 'crashed' : stateName(node.value),
      activeStates: node.crashed ? [] : activeStateIds(this.machines[machine]!.chart.root, node.value as StateValue),
    };
  }

  private stateAt(path: StatePath): ExploredState {
    if (path.length > MAX_PATH_LENGTH) throw new PathError(`a path has at most ${MAX_PATH_LENGTH} steps, not ${path.length}`);
    let key = '';
    let state = this.states.get(key);
    if (!state) {
      state = { words: this.system.initial.slice() };
      this.remember(key, state);
    }
    for (let i = 0; i < path.length; i++) {
      const position = path[i]!;
      key += `.${position}`;
      let next = this.states.get(key);
      if (!next) {
        const successors = this.successorsOf(state);
        const successor = successors[position];
        if (!Number.isInteger(position) || !successor) {
          throw new PathError(
            `step ${i + 1} of the path takes action ${position}, but that state has ${successors.length === 0 ? 'no actions' : `actions 0 to ${successors.length - 1}`}`,
          );
        }
        next = { words: successor.words };
        this.remember(key, next);
      }
      state = next;
    }
    return state;
  }

  private remember(key: string, state: ExploredState): void {
    if (this.states.size >= CACHE_LIMIT) this.states.clear();
    this.states.set(key, state);
  }

  /** The successors of `state`, one per distinct successor state, in canonical order. */
  private successorsOf(state: ExploredState): readonly Successor[] {
    if (state.successors) return state.successors;
    const { system } = this;
    const collector = new SuccessorCollector();
    system.successors(state.words, state.words.length, collector);
    const nodeIndex = system.nodeIndex;
    const successors = collector.found.map((words) => {
      const step = traceFromStates(system, [state.words, words], '').steps[0]!;
      return { words, step, actionKey: canonicalJson(step.action) };
    });
    successors.sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.step.action.kind) - KIND_ORDER.indexOf(b.step.action.kind) ||
        nodeIndex.get(a.step.action.node)! - nodeIndex.get(b.step.action.node)! ||
        compareStrings(a.actionKey, b.actionKey),
    );
    state.successors = successors;
    return successors;
  }
}

/** Copies every distinct successor state the system enumerates. */
class SuccessorCollector implements SuccessorSink {
  readonly found: Int32Array[] = [];
  private readonly seen = new Set<string>();

  accept(next: Int32Array, length: number): boolean {
    const words = next.slice(0, length);
    const key = words.join(',');
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.found.push(words);
    }
    return true;
  }
}

/** What a step does, in words: `tm: collecting → committed.awaitingAcks; sends Commit tm→rm1`. */
export function describeOutcome(step: TraceStep): string {
  const parts = step.changed.map(({ before, after }) => {
    const from = before.crashed ? 'crashed' : stateName(before.value);
    const to = after.crashed ? 'crashed' : stateName(after.value);
    const durable = durableChanged(before.durable, after.durable) ? ' (persists)' : '';
    const fields = before.crashed || after.crashed ? '' : changedFields(before.context, after.context);
    return `${after.id}: ${from === to ? `stays ${to}` : `${from} → ${to}`}${fields ? `, ${fields}` : ''}${durable}`;
  });
  if (step.sent.length > 0) parts.push(`sends ${step.sent.map(describeEnvelope).join(', ')}`);
  if (parts.length > 0) return parts.join('; ');
  if (step.action.kind === 'drop') return 'one copy fewer in flight';
  if (step.action.kind === 'duplicate') return 'one more copy in flight';
  return 'nothing visible changes';
}

/** The context fields a step changed (the static configuration left out), shortened: `prepared=["rm1"]`. */
function changedFields(before: unknown, after: unknown): string {
  const record = (context: unknown) => (context && typeof context === 'object' ? (context as Record<string, unknown>) : {});
  const [old, now] = [record(before), record(after)];
  return Object.keys(now)
    .filter((key) => key !== 'config' && canonicalJson(old[key]) !== canonicalJson(now[key]))
    .map((key) => {
      const value = canonicalJson(now[key]);
      return `${key}=${value.length > 60 ? `${value.slice(0, 57)}…` : value}`;
    })
    .join(' ');
}

const durableChanged = (before: DurableState, after: DurableState): boolean => canonicalJson(before) !== canonicalJson(after);

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
