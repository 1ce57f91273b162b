import type { AnyEventObject, StateValue } from 'xstate';
import type { DurableState } from '../node/index.ts';
import { ActionKind, type SuccessorSink } from './actions.ts';
import type { Envelope, NodeView } from './global-view.ts';
import type { StateStore } from './state-store.ts';
import type { ComposedSystem } from './system.ts';

/** A node's state in a trace, as plain JSON. */
export interface TraceNode {
  readonly id: string;
  readonly crashed: boolean;
  readonly value?: StateValue;
  readonly context?: unknown;
  readonly durable: DurableState;
  readonly timers: readonly string[];
}

export type TraceAction =
  | { readonly kind: 'deliver'; readonly node: string; readonly message: Envelope }
  | { readonly kind: 'timer'; readonly node: string; readonly timer: string }
  | { readonly kind: 'spontaneous'; readonly node: string; readonly event: AnyEventObject }
  /** A crash; under FaultBudgets.failover the node is back in the same step (no `changed` entry shows it crashed). */
  | { readonly kind: 'crash'; readonly node: string }
  | { readonly kind: 'restart'; readonly node: string }
  | { readonly kind: 'drop'; readonly node: string; readonly message: Envelope }
  | { readonly kind: 'duplicate'; readonly node: string; readonly message: Envelope };

export interface TraceStep {
  readonly action: TraceAction;
  /** The nodes whose local state changed, before and after. */
  readonly changed: readonly { readonly before: TraceNode; readonly after: TraceNode }[];
  /** The messages the step sent. */
  readonly sent: readonly Envelope[];
}

export interface TraceState {
  readonly nodes: readonly TraceNode[];
  readonly messages: readonly Envelope[];
  /** The model's history variable, if it has one. */
  readonly history?: unknown;
}

/** A behaviour from the initial state, step by step: a counterexample when a property fails. */
export interface Trace {
  /** The property that fails at the end ('' for a recorded run in which nothing failed). */
  readonly property: string;
  /**
   * A run recorded by hosts in production and replayed against a model (`unanimous trace
   * validate`), not a counterexample the checker found.
   */
  readonly recorded?: boolean;
  readonly initial: TraceState;
  readonly steps: readonly TraceStep[];
  readonly final: TraceState;
  /**
   * Set on a lasso, the counterexample to a liveness property: an infinite behaviour that takes
   * steps 1..loopsTo once (the stem) and then repeats steps loopsTo+1..steps.length forever (the
   * cycle), so the last state is the state after step `loopsTo` again (0: the initial state).
   * `loopsTo === steps.length`: the cycle is empty — the behaviour stays in its last state forever
   * (stutters), which fairness allows because no fair action is enabled there.
   */
  readonly loopsTo?: number;
}

/** Rebuilds the steps along `path` (state indices from the initial state) by re-expanding each state. */
export function buildTrace(system: ComposedSystem, store: StateStore, path: readonly number[], property: string): Trace {
  return traceFromStates(system, readStates(store, path), property);
}

/** The stored states at the given indices, each in an array of its own length. */
export function readStates(store: StateStore, indices: readonly number[]): Int32Array[] {
  return indices.map((index) => {
    const words = new Int32Array(store.lengthOf(index));
    store.read(index, words);
    return words;
  });
}

/**
 * The trace of a behaviour given as its global states, the initial state first, each a successor
 * of the one before (each vector exactly as long as the state). A step is described by the first
 * action that leads from one state to the next.
 */
export function traceFromStates(system: ComposedSystem, states: readonly Int32Array[], property: string, loopsTo?: number): Trace {
  if (states.length === 0) throw new Error('internal error: a trace needs at least its initial state');
  const steps = states.slice(1).map((to, i) => describeStep(system, states[i]!, to));
  return {
    property,
    initial: traceState(system, states[0]!),
    steps,
    final: traceState(system, states[states.length - 1]!),
    ...(loopsTo !== undefined ? { loopsTo } : {}),
  };
}

function describeStep(system: ComposedSystem, from: Int32Array, to: Int32Array): TraceStep {
  const finder = new StepFinder(to);
  system.successors(from, from.length, finder);
  if (finder.kind < 0) throw new Error('internal error: a trace step could not be reproduced');
  const { kind, node, item } = finder;
  const nodeId = system.model.nodes[node]!.id;
  const local = system.nodes[node]!;
  const envelope = () => system.envelopes.all[item]!;
  let action: TraceAction;
  let sends: Int32Array = new Int32Array(0);
  switch (kind) {
    case ActionKind.Deliver:
      action = { kind: 'deliver', node: nodeId, message: plain(envelope()) };
      sends = local.deliver(from[node]!, item).sends;
      break;
    case ActionKind.Timer:
      action = { kind: 'timer', node: nodeId, timer: system.timers.names[item]! };
      sends = local.fireTimer(from[node]!, item).sends;
      break;
    case ActionKind.Spontaneous:
      action = { kind: 'spontaneous', node: nodeId, event: local.definition.spontaneous![item]! };
      sends = local.spontaneous(from[node]!, item).sends;
      break;
    case ActionKind.Crash:
      action = { kind: 'crash', node: nodeId };
      sends = system.failover ? local.restart(local.crash(from[node]!)).sends : system.crashNotices[node]!;
      break;
    case ActionKind.Restart:
      action = { kind: 'restart', node: nodeId };
      sends = local.restart(from[node]!).sends;
      break;
    case ActionKind.Drop:
      action = { kind: 'drop', node: nodeId, message: plain(envelope()) };
      break;
    default:
      action = { kind: 'duplicate', node: nodeId, message: plain(envelope()) };
  }
  const changed = system.nodes
    .filter((states) => from[states.index] !== to[states.index])
    .map((states) => ({ before: traceNode(states.states[from[states.index]!]!.view), after: traceNode(states.states[to[states.index]!]!.view) }));
  return { action, changed, sent: Array.from(sends, (id) => plain(system.envelopes.all[id]!)) };
}

class StepFinder implements SuccessorSink {
  kind = -1;
  node = -1;
  item = -1;
  constructor(private readonly target: Int32Array) {}

  accept(next: Int32Array, length: number, kind: ActionKind, node: number, item: number): boolean {
    if (length !== this.target.length) return true;
    for (let i = 0; i < length; i++) if (next[i] !== this.target[i]) return true;
    this.kind = kind;
    this.node = node;
    this.item = item;
    return false;
  }
}

function traceState(system: ComposedSystem, state: Int32Array): TraceState {
  const view = system.view(state, state.length);
  return { nodes: view.nodes.map(traceNode), messages: view.messages.map(plain), ...(view.history !== undefined ? { history: view.history } : {}) };
}

function traceNode(view: NodeView): TraceNode {
  return view.crashed
    ? { id: view.id, crashed: true, durable: view.durable, timers: [] }
    : { id: view.id, crashed: false, value: view.value, context: view.context, durable: view.durable, timers: view.timers };
}

const plain = (envelope: Envelope): Envelope => ({ from: envelope.from, to: envelope.to, message: envelope.message });
