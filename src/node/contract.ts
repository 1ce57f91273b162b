import type { AnyStateMachine } from 'xstate';
import type { DurableState } from './durable.ts';
import type { Message } from './effects.ts';

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

/**
 * The notice a perfect failure detector gives a node when one of its peers has crashed (Chandra
 * and Toueg, "Unreliable Failure Detectors for Reliable Distributed Systems", 1996: strong
 * completeness and strong accuracy). It arrives as a message from the crashed peer, only after
 * that peer really crashed. The checker sends it when a model asks for it (`faults.notifyCrashes`);
 * machines that do not handle it ignore it.
 */
export interface PeerCrashed extends Message {
  readonly type: 'PeerCrashed';
}

export const PEER_CRASHED: PeerCrashed = Object.freeze({ type: 'PeerCrashed' });

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
