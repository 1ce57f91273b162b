import type { ReplyEffect, SendEffect } from '../../node/index.ts';

/** The effects a hosted actor may ask to be released: messages to logical ids, and replies. */
export type OutboxEffect = SendEffect | ReplyEffect;

/**
 * What a new leader re-sends: for each destination and conversation, the effects of the latest
 * applied event that produced any there. An actor's effects pass through it in log order on every replica, so
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
export type Outbox = { readonly [destination: string]: { readonly [conversation: string]: readonly OutboxEffect[] } };

/**
 * Where an effect is filed in the outbox: its destination (a send's receiver — the node id itself,
 * so that the checker's symmetry reduction renames it with the node — or `reply:<client>`), and a
 * conversation within it. The latest effects of a (destination, conversation) replace earlier ones.
 */
export type OutboxKey = (effect: OutboxEffect) => string;

const destinationOf = (effect: OutboxEffect): string => (effect.type === 'send' ? effect.to : `reply:${effect.client}`);

/** One conversation per destination: the latest message to a peer supersedes earlier ones. */
export const byDestination: OutboxKey = () => '';

/** One conversation per destination and value of the message's `field` (e.g. `txn`); replies per request. */
export const byDestinationAnd =
  (field: string): OutboxKey =>
  (effect) =>
    effect.type === 'send' ? JSON.stringify(effect.message[field] ?? null) : String(effect.requestId);

/** The outbox after one applied event emitted `effects` (in order); unchanged when it emitted none. */
export function recordInOutbox(outbox: Outbox, effects: readonly OutboxEffect[], conversationOf: OutboxKey): Outbox {
  if (effects.length === 0) return outbox;
  const fresh: Record<string, Record<string, OutboxEffect[]>> = {};
  for (const effect of effects) ((fresh[destinationOf(effect)] ??= {})[conversationOf(effect)] ??= []).push(effect);
  const next: Record<string, { readonly [conversation: string]: readonly OutboxEffect[] }> = { ...outbox };
  for (const [destination, conversations] of Object.entries(fresh)) next[destination] = { ...outbox[destination], ...conversations };
  return next;
}

/** Every effect of the outbox, in a canonical order (by destination, then conversation). */
export function outboxEffects(outbox: Outbox): OutboxEffect[] {
  return Object.keys(outbox)
    .sort()
    .flatMap((destination) => {
      const conversations = outbox[destination]!;
      return Object.keys(conversations)
        .sort()
        .flatMap((conversation) => conversations[conversation]!);
    });
}
