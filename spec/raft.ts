import { assign, setup } from 'xstate';

/**
 * Safety of Raft, after Figure 3 of Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm" (2014) and the invariants checked against Ongaro's raft.tla: Election Safety, Leader
 * Append-Only, Log Matching, Leader Completeness and State Machine Safety.
 *
 * Most predicates read a snapshot of every server — role, term, log, commitIndex. Where the
 * paper's property speaks of the past ("at most one leader can be elected in a given term", "an
 * entry committed in a given term"), it is stated twice: over the snapshot (what servers know
 * now: `ElectionSafety`, `LeaderCompleteness`), and over a history variable like raft.tla's
 * `elections`, which remembers what the servers may since have forgotten by crashing or being
 * overwritten (`ElectionSafetyEver`, `LeaderCompletenessEver`). Leader Append-Only is a property
 * of steps, checked as refinement of `leaderLog`.
 */

/** A log entry as the properties see it. */
export type Entry = {
  readonly term: number;
  readonly value: string;
};

export type Role = 'follower' | 'candidate' | 'leader' | 'crashed';

/** One server as the properties see it. A crashed server has its durable term and log and knows nothing committed. */
export type ServerState = {
  readonly role: Role;
  readonly term: number;
  readonly log: readonly Entry[];
  readonly commitIndex: number;
};

/** Every server, by id. */
export type Servers = { readonly [server: string]: ServerState };

const sameEntry = (a: Entry | undefined, b: Entry | undefined): boolean =>
  a !== undefined && b !== undefined && a.term === b.term && a.value === b.value;

/** Whether the first `n` entries of two logs are the same. */
const samePrefix = (a: readonly Entry[], b: readonly Entry[], n: number): boolean => {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (!sameEntry(a[i], b[i])) return false;
  return true;
};

const pairs = <T>(items: readonly T[]): [T, T][] => items.flatMap((a, i) => items.slice(i + 1).map((b) => [a, b] as [T, T]));

/** Election Safety: at most one leader can be elected in a given term (§5.2). Here: no two leaders of one term at once. */
export const ElectionSafety = (servers: Servers): boolean => {
  const leaders = Object.values(servers).filter((s) => s.role === 'leader');
  return new Set(leaders.map((s) => s.term)).size === leaders.length;
};

/**
 * Log Matching: if two logs contain an entry with the same index and term, the logs are identical
 * in all entries up through that index (§5.3). Crashed servers' durable logs included.
 */
export const LogMatching = (servers: Servers): boolean =>
  pairs(Object.values(servers)).every(([a, b]) => {
    const n = Math.min(a.log.length, b.log.length);
    for (let i = n; i >= 1; i--) {
      if (a.log[i - 1]!.term === b.log[i - 1]!.term) return samePrefix(a.log, b.log, i);
    }
    return true;
  });

/**
 * Leader Completeness: if a log entry is committed in a given term, that entry is present in the
 * logs of the leaders of all higher-numbered terms (§5.4). Stated without history: server s knows
 * its first s.commitIndex entries committed, in a term no later than s.term; so every leader whose
 * term is greater than s.term must hold those same entries.
 */
export const LeaderCompleteness = (servers: Servers): boolean => {
  const all = Object.values(servers);
  return all.every((s) => s.commitIndex === 0 || all.every((l) => l.role !== 'leader' || l.term <= s.term || samePrefix(l.log, s.log, s.commitIndex)));
};

/**
 * State Machine Safety: if a server has applied a log entry at a given index to its state machine,
 * no other server will ever apply a different log entry for the same index (§5.4.3). Here: the
 * committed prefixes of any two servers agree where both reach.
 */
export const StateMachineSafety = (servers: Servers): boolean =>
  pairs(Object.values(servers)).every(([a, b]) => samePrefix(a.log, b.log, Math.min(a.commitIndex, b.commitIndex)));

/** Some server knows an entry committed. */
export const someCommitted = (servers: Servers): boolean => Object.values(servers).some((s) => s.commitIndex > 0);

/** A leader holds an entry of an earlier term: a second leader, elected in a later term than the one that made the entry. */
export const laterLeaderHoldsEarlierEntry = (servers: Servers): boolean =>
  Object.values(servers).some((s) => s.role === 'leader' && s.log.some((entry) => entry.term < s.term));

/** A leader has committed an entry of an earlier term — indirectly, with one of its own term (§5.4.2). */
export const committedIndirectly = (servers: Servers): boolean =>
  Object.values(servers).some((s) => s.role === 'leader' && s.log.slice(0, s.commitIndex).some((entry) => entry.term < s.term));

// ── History: raft.tla's elections, and the entries ever known committed ─────────────────────────

/**
 * What a behaviour has shown so far. `elections[term][leader]` is the leader's log when it was
 * first seen leading in that term (raft.tla's `elections` record eterm, eleader and elog).
 * `committed[index][entry]` is the earliest term in which some server knew that entry committed at
 * that index (a server in term t whose commitIndex covers it: it was committed in term t or
 * before). Maps keyed by term, server id and entry, so that the value is canonical JSON whatever
 * order things happened in, and renaming servers (symmetry) renames keys.
 */
export type RaftHistory = {
  readonly elections: { readonly [term: string]: { readonly [leader: string]: readonly Entry[] } };
  readonly committed: { readonly [index: string]: { readonly [entry: string]: number } };
};

export const NO_HISTORY: RaftHistory = { elections: {}, committed: {} };

const entryKey = (entry: Entry): string => `${entry.term}:${entry.value}`;

/** The history after a step into `servers`: new leaders' elections and newly known commits added. */
export function recordHistory(history: RaftHistory, servers: Servers): RaftHistory {
  let { elections, committed } = history;
  for (const [id, server] of Object.entries(servers)) {
    if (server.role === 'leader' && elections[server.term]?.[id] === undefined) {
      elections = { ...elections, [server.term]: { ...elections[server.term], [id]: server.log } };
    }
    if (server.role === 'crashed') continue;
    for (let index = 1; index <= server.commitIndex; index++) {
      const key = entryKey(server.log[index - 1]!);
      const known = committed[index]?.[key];
      if (known === undefined || known > server.term) committed = { ...committed, [index]: { ...committed[index], [key]: server.term } };
    }
  }
  return elections === history.elections && committed === history.committed ? history : { elections, committed };
}

/** Election Safety over the history: no term ever had two leaders (§5.2; raft.tla's ElectionSafety over `elections`). */
export const ElectionSafetyEver = (history: RaftHistory): boolean => Object.values(history.elections).every((leaders) => Object.keys(leaders).length <= 1);

/**
 * Leader Completeness over the history: every entry ever known committed in a term is in the log
 * of every leader elected in a later term, from its election on (§5.4). With Leader Append-Only,
 * the log at election is enough.
 */
export const LeaderCompletenessEver = (history: RaftHistory): boolean =>
  Object.entries(history.elections).every(([term, leaders]) =>
    Object.values(leaders).every((log) =>
      Object.entries(history.committed).every(([index, entries]) =>
        Object.entries(entries).every(([key, committedIn]) => committedIn >= Number(term) || (log[Number(index) - 1] !== undefined && entryKey(log[Number(index) - 1]!) === key)),
      ),
    ),
  );

// ── Leader Append-Only, as refinement ───────────────────────────────────────────────────────────

/** What `leaderLog` tracks of one server: its term and log while it leads, null otherwise. */
export type LeaderLogContext = { readonly leader: { readonly term: number; readonly log: readonly Entry[] } | null };

export type LeaderLogEvent =
  | { readonly type: 'Elect'; readonly term: number; readonly log: readonly Entry[] }
  | { readonly type: 'Append'; readonly entry: Entry }
  | { readonly type: 'Resign' };

/**
 * Leader Append-Only (§5.3): a leader never overwrites or deletes entries in its log; it only
 * appends new ones. As an abstract machine of one server: it may be elected with any log, append
 * entries while it leads, and stop leading; nothing else changes a leader's log. A server's steps
 * refine it when, mapped to `{ leader: { term, log } | null }`, each is one of these or leaves it
 * unchanged.
 */
export const leaderLog = setup({
  types: {
    context: {} as LeaderLogContext,
    events: {} as LeaderLogEvent,
  },
  guards: {
    notLeading: ({ context }) => context.leader === null,
    leading: ({ context }) => context.leader !== null,
  },
}).createMachine({
  id: 'LeaderAppendOnly',
  context: { leader: null },
  on: {
    Elect: { guard: 'notLeading', actions: assign(({ event }) => ({ leader: { term: event.term, log: event.log } })) },
    Append: {
      guard: 'leading',
      actions: assign(({ context, event }) => ({ leader: { term: context.leader!.term, log: [...context.leader!.log, event.entry] } })),
    },
    Resign: { guard: 'leading', actions: assign({ leader: null }) },
  },
});

/** The bounds within which `leaderLogEvents` lists abstract steps. */
export interface LeaderLogUniverse {
  /** The highest term a leader may be elected in. */
  readonly maxTerm: number;
  /** The longest log a server may be elected with. */
  readonly maxLog: number;
  readonly values: readonly string[];
}

/**
 * The steps `leaderLog` may take from `context`: Resign; Append of an entry of the leader's term;
 * Elect in any term T with any log whose terms do not decrease and are below T. The
 * refinement check sees only the source state, so the logs a server may be elected with are listed
 * from the bounds of the model (see the README: a checker limitation).
 */
export function leaderLogEvents(universe: LeaderLogUniverse): (context: LeaderLogContext) => LeaderLogEvent[] {
  const cache = new Map<number, LeaderLogEvent[]>();
  const electEvents = (): LeaderLogEvent[] => {
    const events: LeaderLogEvent[] = [];
    for (let term = 1; term <= universe.maxTerm; term++) {
      // A candidate of term T holds no entry of T: only T's leader makes those.
      for (const log of logsUpTo(term - 1, universe.maxLog, universe.values)) events.push({ type: 'Elect', term, log });
    }
    return events;
  };
  return (context) => {
    if (context.leader === null) {
      let events = cache.get(-1);
      if (!events) cache.set(-1, (events = electEvents()));
      return events;
    }
    const { term } = context.leader;
    return [{ type: 'Resign' }, ...universe.values.map((value): LeaderLogEvent => ({ type: 'Append', entry: { term, value } }))];
  };
}

/** Every log of at most `maxLog` entries, terms 1..`maxTerm` never decreasing, values from `values`. */
export function logsUpTo(maxTerm: number, maxLog: number, values: readonly string[]): Entry[][] {
  const logs: Entry[][] = [[]];
  let frontier: Entry[][] = [[]];
  for (let length = 1; length <= maxLog; length++) {
    const next: Entry[][] = [];
    for (const log of frontier) {
      const from = log.length === 0 ? 1 : log[log.length - 1]!.term;
      for (let term = from; term <= maxTerm; term++) for (const value of values) next.push([...log, { term, value }]);
    }
    logs.push(...next);
    frontier = next;
  }
  return logs;
}

// ── ReadIndex reads (Ongaro's thesis §6.4): linearizable reads over a history ───────────────────

/**
 * What the servers show of client reads in one state: `known`, the highest index any running
 * server knows committed; `issued`, the reads registered or answered so far (by request id); and
 * `answered`, the readIndex of each read answered with one.
 */
export type ReadsView = {
  readonly known: number;
  readonly issued: readonly string[];
  readonly answered: { readonly [read: string]: number };
};

/**
 * The reads of a behaviour so far. `committed` is the highest index ever known committed; for each
 * read, `after` is that index in the state before the read was issued (every write acknowledged
 * before the read began is at or below it), and `answered` its readIndex once answered.
 */
export type ReadHistory = {
  readonly committed: number;
  readonly reads: { readonly [read: string]: { readonly after: number; readonly answered?: number } };
};

export const NO_READS: ReadHistory = { committed: 0, reads: {} };

/** The read history after a step into `view`: new reads issued after what was committed before the step, answers, and new commits. */
export function recordReads(history: ReadHistory, view: ReadsView): ReadHistory {
  let reads = history.reads;
  for (const read of view.issued) if (reads[read] === undefined) reads = { ...reads, [read]: { after: history.committed } };
  for (const [read, readIndex] of Object.entries(view.answered)) {
    const known = reads[read] ?? { after: history.committed };
    if (known.answered === undefined) reads = { ...reads, [read]: { ...known, answered: readIndex } };
  }
  const committed = Math.max(history.committed, view.known);
  return reads === history.reads && committed === history.committed ? history : { committed, reads };
}

/**
 * Linearizable reads (thesis §6.4): a read answered with readIndex r is served from the state
 * machine after entry r, so it reflects every entry committed before it was issued only if each
 * such entry's index is at most r.
 */
export const LinearizableReads = (history: ReadHistory): boolean =>
  Object.values(history.reads).every((read) => read.answered === undefined || read.answered >= read.after);

/** Some read has been answered with a readIndex. */
export const someReadAnswered = (history: ReadHistory): boolean => Object.values(history.reads).some((read) => read.answered !== undefined);

// ── Leadership transfer (Ongaro's thesis §3.10) ─────────────────────────────────────────────────

/** A leader's transfer as the transfer properties see it: its term, target, whether TimeoutNow went out, its whole log. */
export type TransferState = {
  readonly term: number;
  readonly to: string;
  readonly timeoutNowSent: boolean;
  readonly log: readonly Entry[];
};

/** What the transfer history sees: every leader transferring its leadership now, by leader id; every server's term. */
export type Transfers = {
  readonly transfers: { readonly [leader: string]: TransferState };
  readonly terms: { readonly [server: string]: number };
};

/**
 * The transfers of a behaviour so far. `begun` counts the transfers leaders have taken on (so a
 * model can bound them); `active` is each leader's transfer under way — its term, and whether it
 * has sent TimeoutNow — to tell a new transfer, or a new sending, from one going on.
 * `timeoutNow[term][target]` is the leader of that term that last sent TimeoutNow to the target,
 * the target's term then, and the leader's log as it was when it sent it (a transferring leader takes no client request,
 * so its log at the state after the sending is its log at the moment of sending; and a leader's
 * log only grows, so the last sending's log covers every earlier one's). Keyed by term and server
 * id, so that the value is canonical and renaming servers (symmetry) renames keys and values.
 */
export type TransferHistory = {
  readonly begun: number;
  readonly active: { readonly [leader: string]: { readonly term: number; readonly timeoutNowSent: boolean } };
  readonly timeoutNow: { readonly [term: string]: { readonly [target: string]: { readonly leader: string; readonly targetTerm: number; readonly log: readonly Entry[] } } };
};

export const NO_TRANSFERS: TransferHistory = { begun: 0, active: {}, timeoutNow: {} };

/** The transfer history after a step into `transfers`: transfers begun counted, TimeoutNow sendings recorded. */
export function recordTransfers(history: TransferHistory, { transfers, terms }: Transfers): TransferHistory {
  let { begun, timeoutNow } = history;
  const active: { [leader: string]: { term: number; timeoutNowSent: boolean } } = {};
  let sameActive = Object.keys(transfers).length === Object.keys(history.active).length;
  for (const [leader, transfer] of Object.entries(transfers)) {
    const before = history.active[leader];
    active[leader] = { term: transfer.term, timeoutNowSent: transfer.timeoutNowSent };
    if (before?.term !== transfer.term || before.timeoutNowSent !== transfer.timeoutNowSent) sameActive = false;
    // A transfer whose leader was not transferring in that term in the state before is a new one
    // (between two transfers of one term there is a state with none: the one the first ended in).
    if (before?.term !== transfer.term) begun++;
    if (transfer.timeoutNowSent && !(before?.term === transfer.term && before.timeoutNowSent)) {
      timeoutNow = { ...timeoutNow, [transfer.term]: { ...timeoutNow[transfer.term], [transfer.to]: { leader, targetTerm: terms[transfer.to] ?? 0, log: transfer.log } } };
    }
  }
  return sameActive && begun === history.begun && timeoutNow === history.timeoutNow ? history : { begun, active: sameActive ? history.active : active, timeoutNow };
}

/** A TimeoutNow message in flight: its sender, its target and its term. */
export type TimeoutNowInFlight = { readonly from: string; readonly to: string; readonly term: number };

/**
 * Thesis §3.10: a leader sends TimeoutNow only to a server whose log holds its own — it waits
 * until the target's matchIndex is its last log index — so that the election it starts can be
 * won. Stated over the logs themselves, not the leader's belief: every TimeoutNow in flight was
 * sent by the leader of its term in a transfer to its target, and while the target has not moved
 * past that term (it cannot have lost the leader's entries), its log begins with the whole log the
 * leader had when it sent it. A target of a later term had heard of a later leader; to it the
 * message is stale.
 */
export function TimeoutNowOnlyToUpToDate(history: TransferHistory, servers: Servers, inFlight: readonly TimeoutNowInFlight[]): boolean {
  return inFlight.every(({ from, to, term }) => {
    const sent = history.timeoutNow[term]?.[to];
    if (sent === undefined || sent.leader !== from) return false;
    const target = servers[to];
    return target === undefined || target.term > term || samePrefix(target.log, sent.log, sent.log.length);
  });
}

/**
 * A transfer completed: the target of a TimeoutNow leads a term later than both the one it was
 * sent in and the target's own term then — a term it was elected in after the TimeoutNow was sent
 * (a stale leader may send TimeoutNow to a server that leads a later term already).
 */
export const transferCompleted = (history: TransferHistory, servers: Servers): boolean =>
  Object.entries(history.timeoutNow).some(([term, targets]) =>
    Object.entries(targets).some(([to, { targetTerm }]) => servers[to]?.role === 'leader' && servers[to]!.term > Math.max(Number(term), targetTerm)),
  );
