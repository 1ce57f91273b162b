import type { Json } from './json.ts';

/**
 * What a node keeps across a crash: named values and named logs (arrays). It is empty on first
 * boot; the machine derives its initial state from it on every start.
 */
export type DurableState = { readonly [key: string]: Json };

/** One change to the durable state, carried by a `persist` effect. */
export interface DurableChange {
  /** Keys to overwrite. */
  readonly set?: { readonly [key: string]: Json };
  /**
   * Logs to cut at the front: the first n entries are removed (all of them if the log is shorter),
   * after `set` and before `truncate` and `append`, whose indexes then count from the new first
   * entry. Log compaction (Ongaro's thesis §5.1): the entries a snapshot now stands for go.
   */
  readonly drop?: { readonly [log: string]: number };
  /** Logs to cut back: every entry at an index >= the given one is removed (before appending). */
  readonly truncate?: { readonly [log: string]: number };
  /** Entries to append to named logs. */
  readonly append?: { readonly [log: string]: readonly Json[] };
}

export const EMPTY_DURABLE: DurableState = Object.freeze({});

/**
 * Applies a change to a durable image, returning a new image (the old one is left untouched): set,
 * then drop, then truncate, then append, whatever order the fields were written in.
 */
export function applyDurableChange(durable: DurableState, change: DurableChange): DurableState {
  const next: Record<string, Json> = { ...durable };
  for (const [key, value] of Object.entries(change.set ?? {})) next[key] = value;
  for (const [log, count] of Object.entries(change.drop ?? {})) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`drop ${count} entries of "${log}": a count must be a whole number >= 0`);
    next[log] = logOf(next, log).slice(count);
  }
  for (const [log, from] of Object.entries(change.truncate ?? {})) {
    if (!Number.isInteger(from) || from < 0) throw new RangeError(`truncate "${log}" at ${from}: an index must be a whole number >= 0`);
    next[log] = logOf(next, log).slice(0, from);
  }
  for (const [log, entries] of Object.entries(change.append ?? {})) {
    next[log] = [...logOf(next, log), ...entries];
  }
  return next;
}

function logOf(durable: Record<string, Json>, log: string): readonly Json[] {
  const value = durable[log];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`durable key "${log}" is not a log`);
  return value;
}
