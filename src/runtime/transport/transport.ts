import type { Message } from '../../node/index.ts';

/** Called for each message that arrives, with the peer that sent it (as the transport knows it, never as the message claims). */
export type MessageHandler = (from: string, message: Message) => void;

/**
 * How a host talks to its peers. Delivery is best effort — a message may be lost, delayed,
 * duplicated or reordered — which is exactly what the checker's networks allow, so the protocols
 * already tolerate it. A transport never throws at a sender for a peer being down.
 */
export interface Transport {
  send(to: string, message: Message): void;
  /** Sets the one handler incoming messages go to. */
  onMessage(handler: MessageHandler): void;
  /** Stops sending and receiving and releases every socket and timer. */
  close(): Promise<void>;
}

/**
 * A message type the runtime reserves: XState's own events (`xstate.after.*` is a timer firing).
 * A peer that could send one could fire another node's timers, so hosts and transports refuse them.
 */
export const isReservedEventType = (type: string): boolean => type.startsWith('xstate.');
