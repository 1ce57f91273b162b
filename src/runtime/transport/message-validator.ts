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
 * that is not one of XState's reserved event types, nested at most MAX_MESSAGE_DEPTH deep — and
 * then the protocol's schema. Returns the reason a value is refused (at most MAX_REASON_LENGTH
 * characters), or undefined for a message.
 */
export function refusalOf(value: unknown, validate: MessageValidator): string | undefined {
  const reason = reasonToRefuse(value, validate);
  // Found by fuzzing: a frame whose `type` was a megabyte long had it repeated whole in the logged
  // reason (and a schema's verdict may quote it again), once per bad frame.
  return reason === undefined || reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH)}…`;
}

/** The longest reason `refusalOf` gives: enough to say what was wrong, not to copy the frame into the log. */
export const MAX_REASON_LENGTH = 300;

function reasonToRefuse(value: unknown, validate: MessageValidator): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a frame that is not a JSON object';
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return 'a message without a string "type"';
  if (isReservedEventType(type)) return `a message of the reserved type ${JSON.stringify(type)}`;
  if (nestedDeeperThan(value, MAX_MESSAGE_DEPTH)) return `a ${type} nested deeper than ${MAX_MESSAGE_DEPTH} levels`;
  let verdict: boolean | string;
  try {
    verdict = validate(value);
  } catch (error) {
    return `the message validator threw on a ${type}: ${(error as Error).message}`;
  }
  if (verdict === true) return undefined;
  return typeof verdict === 'string' ? `an invalid ${type}: ${verdict}` : `a ${type} that fails the message schema`;
}

/**
 * The deepest a message may nest objects and arrays, whatever the protocol (a Raft AppendEntries is
 * 3 deep: message, entries, entry). Found by fuzzing: JSON.parse takes 200,000 levels in its
 * stride, but everything after it that recurses — JSON.stringify in a store, structuredClone, a
 * step trace — overflows the stack on such a value, far from the socket it came on. A schema that
 * lets a field hold any JSON (a stray field it does not name, a protocol's opaque payload) would
 * pass it on; refusing it here keeps that out of every protocol.
 */
export const MAX_MESSAGE_DEPTH = 64;

/** Whether `value` nests objects or arrays more than `limit` deep (without recursing itself). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(item) ? item : Object.values(item as object);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
