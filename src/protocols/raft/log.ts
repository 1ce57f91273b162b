import type { LogEntry } from './messages.ts';

/**
 * A server's log after compaction (Ongaro's thesis §5.1, Figure 5.1): a snapshot stands for every
 * entry up through `lastIncludedIndex` (whose term, `lastIncludedTerm`, it remembers for the
 * AppendEntries consistency check), and `log` holds only the entries after it. Entry i (1-based, as
 * in the paper) is `log[i - lastIncludedIndex - 1]`. With no snapshot both are 0 and the log is
 * whole. Every index a server compares or sends goes through these functions, never `log[i - 1]`.
 */
export interface CompactedLog {
  readonly lastIncludedIndex: number;
  readonly lastIncludedTerm: number;
  readonly log: readonly LogEntry[];
}

/** The index of the last entry, compacted or not (0 for none). */
export const lastLogIndex = (server: CompactedLog): number => server.lastIncludedIndex + server.log.length;

/** The term of the last entry: the snapshot's when the suffix is empty (0 for no entry at all). */
export const lastLogTerm = (server: CompactedLog): number => (server.log.length === 0 ? server.lastIncludedTerm : server.log[server.log.length - 1]!.term);

/**
 * The term of entry `index`: known for the snapshot's last entry and every entry after it;
 * undefined beyond the log and before lastIncludedIndex (compacted: only the snapshot knows). Index
 * 0, before the first entry, has term 0.
 */
export const termAt = (server: CompactedLog, index: number): number | undefined => {
  if (index === server.lastIncludedIndex) return server.lastIncludedTerm;
  return entryAt(server, index)?.term;
};

/** Entry `index`, if the log still holds it (after lastIncludedIndex, up to the last). */
export const entryAt = (server: CompactedLog, index: number): LogEntry | undefined =>
  index > server.lastIncludedIndex ? server.log[index - server.lastIncludedIndex - 1] : undefined;

/** The entries from `from` (> lastIncludedIndex) on, at most `count` of them (all when absent). */
export const entriesFrom = (server: CompactedLog, from: number, count?: number): LogEntry[] => {
  const start = from - server.lastIncludedIndex - 1;
  if (start < 0) throw new RangeError(`entries from ${from}: compacted up to ${server.lastIncludedIndex}`);
  return server.log.slice(start, count === undefined ? undefined : start + count);
};

/** A compacted log with the configuration its snapshot records (Ongaro's thesis §4.1, §5.1). */
export interface ConfiguredLog extends CompactedLog {
  /** The configuration at lastIncludedIndex as the snapshot records it; null when no configuration entry at or before it set one. */
  readonly snapshotConfig: readonly string[] | null;
}

/** A configuration (thesis §4.1): its members, sorted, and the index of the entry that set it (0 for the initial one). */
export interface Configuration {
  readonly members: readonly string[];
  readonly index: number;
}

/**
 * The configuration in force at entry `index` as set by the log (§4.1: the latest configuration
 * entry at or before it, committed or not), or by the snapshot when the entries that set it are
 * compacted away; null when none set one — the initial configuration holds. Reading the log
 * backwards from `index` is what makes a truncated log fall back to the previous configuration.
 */
export function configurationSetAt(server: ConfiguredLog, index: number): Configuration | null {
  const positions = configurationPositions(server.log);
  const last = Math.min(index, lastLogIndex(server)) - server.lastIncludedIndex - 1;
  for (let i = positions.length - 1; i >= 0; i--) {
    const position = positions[i]!;
    if (position <= last) return { members: server.log[position]!.config!, index: server.lastIncludedIndex + position + 1 };
  }
  return server.snapshotConfig === null ? null : { members: server.snapshotConfig, index: server.lastIncludedIndex };
}

/**
 * The positions in `log` of its configuration entries, ascending. A log array is never changed
 * (a server's step makes a new one), so the answer is remembered per array: a server asks for its
 * configuration many times a step (every majority it counts, every peer it sends to), and reading
 * ten thousand entries each time made a step cost what the log is long.
 */
const configurationPositionsByLog = new WeakMap<readonly LogEntry[], readonly number[]>();
function configurationPositions(log: readonly LogEntry[]): readonly number[] {
  let positions = configurationPositionsByLog.get(log);
  if (positions === undefined) {
    const found: number[] = [];
    for (let i = 0; i < log.length; i++) if (log[i]!.config !== undefined) found.push(i);
    configurationPositionsByLog.set(log, (positions = found));
  }
  return positions;
}
