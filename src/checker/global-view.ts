import type { StateValue } from 'xstate';
import type { DurableState, Message } from '../node/index.ts';

// What properties and boundaries read of a global state. It stands apart from the model so that
// the model (which lists its properties) and the properties (which read these views) both
// depend on it rather than on each other.

/** A message in flight. */
export interface Envelope {
  readonly from: string;
  readonly to: string;
  readonly message: Message;
}

/** One node as properties see it. */
export interface NodeView {
  readonly id: string;
  readonly crashed: boolean;
  /** The machine's state value; undefined while crashed. */
  readonly value: StateValue | undefined;
  /** The machine's context; undefined while crashed. */
  readonly context: any;
  readonly durable: DurableState;
  /** Armed timers, by named delay. */
  readonly timers: readonly string[];
}

/** A global state as properties and boundaries see it. Do not keep it past the call. */
export interface GlobalView {
  readonly nodes: readonly NodeView[];
  node(id: string): NodeView;
  /** Messages in flight (each copy once for `multiset` and `fifo`). */
  readonly messages: readonly Envelope[];
  /** `messages.length`, without decoding the messages: the cheap way to bound them. */
  readonly messageCount: number;
  readonly budgets: { readonly loss: number; readonly duplication: number; readonly crash: number };
  /** The value of the model's history variable; undefined when it has none. */
  readonly history: any;
}
