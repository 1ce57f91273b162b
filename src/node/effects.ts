import type { DurableChange } from './durable.ts';
import type { Json } from './json.ts';

/** A protocol message: a plain JSON object with a `type`. The sender is added on delivery. */
export interface Message {
  readonly type: string;
  readonly [field: string]: Json;
}

/** A message as the receiving machine sees it: the message plus who sent it. */
export type Delivered<M extends Message> = M & { readonly from: string };

/** Send `message` to the peer `to`. */
export interface SendEffect<M extends Message = Message> {
  readonly type: 'send';
  readonly to: string;
  readonly message: M;
}

/** Make a change to the node's durable state. Released before any send of the same step. */
export interface PersistEffect extends DurableChange {
  readonly type: 'persist';
}

/** Answer a client request. */
export interface ReplyEffect {
  readonly type: 'reply';
  readonly client: string;
  readonly requestId: string | number;
  readonly result: Json;
}

/** Everything a protocol machine may ask of its host, emitted with XState's `emit`. */
export type Effect<M extends Message = Message> = SendEffect<M> | PersistEffect | ReplyEffect;

export const send = <M extends Message>(to: string, message: M): SendEffect<M> => ({ type: 'send', to, message });

export const persist = (change: DurableChange): PersistEffect => ({ type: 'persist', ...change });

export const reply = (client: string, requestId: string | number, result: Json): ReplyEffect => ({ type: 'reply', client, requestId, result });
