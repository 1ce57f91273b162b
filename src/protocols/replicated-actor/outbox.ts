import type { ReplyEffect, SendEffect } from '../../node/index.ts';

/** The effects a hosted actor may ask to be released: messages to logical ids, and replies. */
export type OutboxEffect = SendEffect | ReplyEffect;

/**
 * What a new leader re-sends: for each key, the effects of the latest applied event that produced
 * any effect under that key. An actor's effects pass through it in log order on every replica, so
 * every replica holds the same outbox.
 *
 * Why the latest per key suffices: a leader releases an event's effects when it applies the event.
 * A leader that fails may not have released those of the last events it applied (the runtime
 * releases sends only after the batch's persists are durable), and it may have committed events it
 * never applied. Its successor applies every committed event itself, as leader, and releases their
 * effects; for those it had applied while a follower, it re-sends its outbox on election. With the
 * default key (the destination) a message supersedes earlier ones to the same actor — true of
 * protocols whose latest message to a peer states what the peer needs to know (2PC: Prepare, then
 * the decision; a vote, then an acknowledgement). An actor running many conversations at once
 * keys by conversation as well (the participant: destination and transaction).
 */
export type Outbox = { readonly [key: string]: readonly OutboxEffect[] };

/** How effects are grouped in the outbox: the latest effects under a key replace earlier ones. */
export type OutboxKey = (effect: OutboxEffect) => string;

export const byDestination: OutboxKey = (effect) => (effect.type === 'send' ? `send:${effect.to}` : `reply:${effect.client}`);

/** Keys by destination and the message's `field` (e.g. `txn`): one conversation per key. */
export const byDestinationAnd =
  (field: string): OutboxKey =>
  (effect) =>
    effect.type === 'send' ? `send:${effect.to}:${JSON.stringify(effect.message[field] ?? null)}` : `reply:${effect.client}:${String(effect.requestId)}`;

/** The outbox after one applied event emitted `effects` (in order); unchanged when it emitted none. */
export function recordInOutbox(outbox: Outbox, effects: readonly OutboxEffect[], keyOf: OutboxKey): Outbox {
  if (effects.length === 0) return outbox;
  const fresh: Record<string, OutboxEffect[]> = {};
  for (const effect of effects) (fresh[keyOf(effect)] ??= []).push(effect);
  return { ...outbox, ...fresh };
}

/** Every effect of the outbox, in a canonical order (by key). */
export function outboxEffects(outbox: Outbox): OutboxEffect[] {
  return Object.keys(outbox)
    .sort()
    .flatMap((key) => outbox[key]!);
}
