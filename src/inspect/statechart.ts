import type { AnyStateMachine } from 'xstate';
import { isTimerEvent, timerDelayName } from '../node/index.ts';

/** A machine's statechart as plain data, read from its XState definition. */
export interface Statechart {
  readonly id: string;
  readonly root: ChartState;
}

export interface ChartState {
  /** The state's id (dotted path from the machine's id). */
  readonly id: string;
  /** Its name within its parent. */
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The id of the initial child, for compound states. */
  readonly initial?: string;
  /** Named entry actions (timer arming left out: it shows as `after` transitions). */
  readonly entry: readonly string[];
  readonly transitions: readonly ChartTransition[];
  readonly states: readonly ChartState[];
}

export interface ChartTransition {
  /** An event type, `after <delay>` for a timer, or `always` for an eventless transition. */
  readonly trigger: string;
  readonly guard?: string;
  /** Target state ids; empty for a transition that stays (actions only). */
  readonly targets: readonly string[];
  readonly actions: readonly string[];
  readonly reenter: boolean;
}

/** Reads the statechart of `machine`: states, nesting, transitions with their guards and actions. */
export function statechartOf(machine: AnyStateMachine): Statechart {
  return { id: machine.id, root: stateOf(machine.root) };
}

interface StateNodeLike {
  id: string;
  key: string;
  type: ChartState['type'];
  initial?: { target: readonly StateNodeLike[] };
  entry: readonly unknown[];
  transitions: Map<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[];
  states: Record<string, StateNodeLike>;
}

interface TransitionLike {
  target?: readonly StateNodeLike[];
  guard?: unknown;
  actions: readonly unknown[];
  reenter: boolean;
}

function stateOf(node: StateNodeLike): ChartState {
  const transitions: ChartTransition[] = [];
  for (const [eventType, list] of node.transitions) {
    const trigger = isTimerEvent(eventType) ? `after ${timerDelayName(eventType)}` : eventType;
    for (const transition of list) transitions.push(transitionOf(trigger, transition));
  }
  for (const transition of node.always ?? []) transitions.push(transitionOf('always', transition));
  const initial = node.initial?.target[0]?.id;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    ...(initial ? { initial } : {}),
    entry: node.entry.map(nameOf).filter((name) => name !== 'xstate.raise' && name !== 'raise'),
    transitions,
    states: Object.values(node.states).map(stateOf),
  };
}

function transitionOf(trigger: string, transition: TransitionLike): ChartTransition {
  const guard = transition.guard === undefined ? undefined : guardName(transition.guard);
  return {
    trigger,
    ...(guard ? { guard } : {}),
    targets: (transition.target ?? []).map((target) => target.id),
    actions: transition.actions.map(nameOf),
    reenter: transition.reenter,
  };
}

/** A guard's name: its type, or its parts joined for `and`/`or`/`not`. */
function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown[]; guard?: unknown }).guards;
    if (parts) return parts.map(guardName).join(guard.name === 'or' ? ' or ' : ' and ');
    const inner = (guard as { guard?: unknown }).guard;
    if (guard.name === 'not' && inner !== undefined) return `not ${guardName(inner)}`;
    return guard.name || 'guard';
  }
  if (guard && typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

function nameOf(action: unknown): string {
  if (typeof action === 'string') return action;
  if (action && typeof action === 'object' && 'type' in action) return String((action as { type: unknown }).type);
  if (typeof action === 'function') return action.name || 'action';
  return 'action';
}
