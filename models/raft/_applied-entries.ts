import type { AnyEventObject } from 'xstate';
import type { NodeMachine } from '../../src/node/index.ts';
import type { Compact, LogEntry, RaftContext } from '../../src/protocols/raft/index.ts';
import type { Entry } from '../../spec/raft.ts';
import { logsUpTo } from '../../spec/raft.ts';

/**
 * The application the compaction models run on each server: a state machine whose state is the
 * sequence of entries it has applied (term and command). Its snapshot at index k is therefore the
 * committed prefix itself, so the refinement mapping can put a compacted prefix back in front of
 * the log suffix and the spec compares whole logs — LogMatching, StateMachineSafety and
 * LeaderCompleteness are stated over every entry a server stands for, snapshot included.
 */

/** The snapshot text of the applied entries (what a host hands in `Compact.snapshot`). */
export const appliedEntriesSnapshot = (entries: readonly Entry[]): string => JSON.stringify(entries.map((entry) => [entry.term, entry.value]));

/** The entries a snapshot of this application stands for. */
export const entriesOfSnapshot = (data: string): Entry[] => (JSON.parse(data) as [number, string][]).map(([term, value]) => ({ term, value }));

const entryOf = (entry: LogEntry): Entry => ({ term: entry.term, value: entry.value });

/** Every entry a server stands for, through its last: the snapshot's, then the log suffix's. */
export const wholeLog = (snapshot: string | null | undefined, suffix: readonly LogEntry[]): Entry[] => [
  ...(snapshot === null || snapshot === undefined ? [] : entriesOfSnapshot(snapshot)),
  ...suffix.map(entryOf),
];

/**
 * The Compact events a host of this application may hand a server, one per prefix a log within
 * the bounds may have: the checker's spontaneous events are fixed, so every candidate snapshot is
 * listed and `withHonestHost` lets through only the one that is the server's own prefix.
 */
export function compactEvents(bounds: { readonly maxTerm: number; readonly maxLog: number }, values: readonly string[]): AnyEventObject[] {
  return logsUpTo(bounds.maxTerm, bounds.maxLog, values)
    .filter((log) => log.length > 0)
    .map((log): Compact => ({ type: 'Compact', index: log.length, snapshot: appliedEntriesSnapshot(log) }));
}

/**
 * The machine with its host's side of Compact made explicit: the host asks to compact through
 * index k with the snapshot of exactly the server's first k entries — the state its state machine
 * reached by applying them. The server's own rule (`mayCompact`: k is committed, past the last
 * snapshot) is kept as the machine defines it, broken variants included; nothing else changes.
 */
export function withHonestHost(machine: NodeMachine): NodeMachine {
  const own = machine.implementations.guards.mayCompact as (args: { context: RaftContext; event: AnyEventObject }, params: unknown) => boolean;
  return machine.provide({
    guards: {
      mayCompact: (args: { context: RaftContext; event: AnyEventObject }, params: unknown) => {
        if (!own(args, params)) return false;
        const { context, event } = args;
        const compact = event as Compact;
        return compact.snapshot === appliedEntriesSnapshot(wholeLog(context.snapshot, context.log).slice(0, compact.index));
      },
    },
  });
}
