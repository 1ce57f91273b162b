import { NOOP, type Command, type SlotVote, type SlotVotes } from './messages.ts';

/**
 * The per-slot voting rule of Multi-Paxos (PMMC's `pmax`): of two reports of votes, keep in every
 * slot the vote cast in the higher ballot. A new leader folds every promise it receives into what it
 * will propose; a value voted in the highest ballot of a quorum's reports is the only safe one for
 * that slot ("Paxos Made Simple" §2.2, P2c, applied to each instance of §3).
 */
export function highestVotes(a: SlotVotes, b: SlotVotes): SlotVotes {
  const merged: (SlotVote | null)[] = [];
  for (let slot = 0; slot < Math.max(a.length, b.length); slot++) {
    const x = a[slot] ?? null;
    const y = b[slot] ?? null;
    merged.push(x === null ? y : y === null ? x : y.ballot > x.ballot ? y : x);
  }
  return trimmed(merged);
}

/**
 * What a new leader proposes, slot by slot, after phase 1: the command voted in the highest ballot
 * reported, and a no-op in every slot below the last one in which nobody in its quorum voted
 * ("Paxos Made Simple" §3: gaps are filled with no-op commands, so later commands can be applied).
 */
export const proposalsFrom = (adopted: SlotVotes): Command[] => adopted.map((vote) => vote?.value ?? NOOP);

/** `entries` with `entry` at `index`, padded with nulls, trailing nulls trimmed. */
export function setAt<T>(entries: readonly (T | null)[], index: number, entry: T | null): (T | null)[] {
  const next: (T | null)[] = [...entries];
  while (next.length <= index) next.push(null);
  next[index] = entry;
  return trimmed(next);
}

/**
 * The commands a replica may apply: the chosen commands of slots 0, 1, 2, … up to the first slot
 * not yet known chosen. A replica executes commands in slot order and never skips a slot.
 */
export function appliablePrefix(decided: readonly (Command | null)[]): Command[] {
  const prefix: Command[] = [];
  for (const command of decided) {
    if (command === null) break;
    prefix.push(command);
  }
  return prefix;
}

/** Without trailing nulls: one value per list of votes or decisions, whatever its history. */
function trimmed<T>(entries: (T | null)[]): (T | null)[] {
  let end = entries.length;
  while (end > 0 && entries[end - 1] === null) end--;
  return end === entries.length ? entries : entries.slice(0, end);
}
