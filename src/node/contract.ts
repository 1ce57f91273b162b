import type { AnyStateMachine } from 'xstate';
import type { DurableState } from './durable.ts';

/**
 * The input every protocol machine is created with. `durable` is what survived the last crash
 * (empty on first boot): the machine derives its initial state from it.
 */
export interface NodeInput<Config = unknown> {
  readonly id: string;
  readonly peers: readonly string[];
  readonly durable: DurableState;
  readonly config: Config;
}

/**
 * A protocol role: an XState v5 machine made with `setup().createMachine()`, taking a
 * `NodeInput`, emitting `Effect`s, and arming timers with `after` and named delays.
 */
export type NodeMachine = AnyStateMachine;

/** The event type XState raises when an `after` timer fires: `xstate.after.<delay>.<state id>`. */
const AFTER_PREFIX = 'xstate.after.';

export function isTimerEvent(type: string): boolean {
  return type.startsWith(AFTER_PREFIX);
}

/** The named delay of a timer event (`retryTimeout` in `xstate.after.retryTimeout.tm.committed`). */
export function timerDelayName(timerEvent: string): string {
  const rest = timerEvent.slice(AFTER_PREFIX.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? rest : rest.slice(0, dot);
}

/** The state that armed a timer (`tm.committed` in `xstate.after.retryTimeout.tm.committed`). */
export function timerStateId(timerEvent: string): string {
  const rest = timerEvent.slice(AFTER_PREFIX.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? '' : rest.slice(dot + 1);
}
