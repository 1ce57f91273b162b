import { isReservedEventType } from './transport.ts';

/**
 * The protocol's message schema, supplied by whoever runs the node: `true` if a decoded frame is one
 * of the protocol's messages, otherwise `false` or the reason it is not. Every frame from the
 * network passes it before a machine sees it — a machine trusts its messages' shapes, the network
 * must not be trusted with them.
 */
export type MessageValidator = (message: unknown) => boolean | string;

/**
 * Checks what every message must be whatever the protocol — a JSON object with a string `type`
 * that is not one of XState's reserved event types — and then the protocol's schema. Returns the
 * reason a value is refused, or undefined for a message.
 */
export function refusalOf(value: unknown, validate: MessageValidator): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a frame that is not a JSON object';
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return 'a message without a string "type"';
  if (isReservedEventType(type)) return `a message of the reserved type ${JSON.stringify(type)}`;
  let verdict: boolean | string;
  try {
    verdict = validate(value);
  } catch (error) {
    return `the message validator threw on a ${type}: ${(error as Error).message}`;
  }
  if (verdict === true) return undefined;
  return typeof verdict === 'string' ? `an invalid ${type}: ${verdict}` : `a ${type} that fails the message schema`;
}
