import type { FaultBudgets, GlobalView, Model, NodeDefinition, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, history, refines, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { LogEntry, RaftConfig, Snapshot } from '../../src/protocols/raft/index.ts';
import { server } from '../../src/protocols/raft/index.ts';
import type { Entry, LeaderLogContext, RaftHistory, Role, Servers, ServerState } from '../../spec/raft.ts';
import {
  committedIndirectly,
  ElectionSafety,
  ElectionSafetyEver,
  LeaderCompletenessEver,
  NO_HISTORY,
  recordHistory,
  LeaderCompleteness,
  laterLeaderHoldsEarlierEntry,
  leaderLog,
  leaderLogEvents,
  LogMatching,
  someCommitted,
  StateMachineSafety,
} from '../../spec/raft.ts';
import { compactEvents, wholeLog, withHonestHost } from './_applied-entries.ts';

export const serverIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `s${i + 1}`);

/**
 * The refinement mapping of one server: its role, term, log and commitIndex; a crashed one as its
 * durable image left it. The log is every entry the server stands for (client bookkeeping left
 * out): a compacted prefix counts, as the entries its snapshot holds (models/raft/_applied-entries.ts),
 * followed by the log suffix.
 */
export function serverState(node: NodeView): ServerState {
  if (node.crashed) {
    const snapshot = node.durable.snapshot as Snapshot | undefined;
    return { role: 'crashed', term: (node.durable.currentTerm as number | undefined) ?? 0, log: wholeLog(snapshot?.data, (node.durable.log as LogEntry[] | undefined) ?? []), commitIndex: 0 };
  }
  const role = (typeof node.value === 'string' ? node.value : Object.keys(node.value as object)[0]) as Role;
  return { role, term: node.context.currentTerm, log: wholeLog(node.context.snapshot, node.context.log), commitIndex: node.context.commitIndex };
}

/**
 * Every server's state: the one abstraction all the state invariants are stated over, so that each
 * is evaluated once per distinct combination of server states, whatever the network holds.
 */
export const raftServers = abstraction<Servers>(serverState, (parts) => parts as Servers);

/** Leader Append-Only for one server: refinement of `leaderLog` by the mapping leader → { term, log }, anything else → null. */
export function leaderAppendOnly(id: string, universe: Parameters<typeof leaderLogEvents>[0]): Property {
  const over = abstraction<LeaderLogContext>(
    (node) => {
      if (node.id !== id) return undefined;
      const state = serverState(node);
      return state.role === 'leader' ? { term: state.term, log: state.log as Entry[] } : null;
    },
    (parts) => ({ leader: (parts[id] ?? null) as LeaderLogContext['leader'] }),
  );
  return refines<LeaderLogContext>({ name: `LeaderAppendOnly(${id})`, over, spec: leaderLog, specInput: {}, events: leaderLogEvents(universe) });
}

export interface RaftBounds {
  /** No state in which a server's term exceeds this is expanded. */
  readonly maxTerm: number;
  /** No state in which a log is longer than this is expanded. */
  readonly maxLog: number;
  /** No state with more messages in flight than this is expanded; none by default. */
  readonly maxInFlight?: number;
}

/** Which properties a model checks. */
export interface RaftPropertySelection {
  readonly invariants?: readonly ('ElectionSafety' | 'LogMatching' | 'LeaderCompleteness' | 'StateMachineSafety')[];
  /** Leader Append-Only by refinement, one property per server. */
  readonly leaderAppendOnly?: boolean;
  readonly goals?: readonly ('EntryCommitted' | 'LaterLeaderHoldsEarlierEntry' | 'CommittedIndirectly' | 'SnapshotInstalled' | 'RestartFromSnapshot')[];
  /** Properties over the history variable (raft.tla's `elections`, and every entry known committed). */
  readonly overHistory?: readonly ('ElectionSafetyEver' | 'LeaderCompletenessEver')[];
}

/** The history variable of the Raft models: see `RaftHistory` in spec/raft.ts. */
export const raftHistory = history<RaftHistory, Servers>({
  name: 'elections',
  over: raftServers,
  initial: (servers) => recordHistory(NO_HISTORY, servers),
  next: recordHistory,
});

const HISTORY_INVARIANTS = { ElectionSafetyEver, LeaderCompletenessEver } as const;

/** An invariant over the history alone, judged once per history value (values are shared per history id). */
function overHistory(name: keyof typeof HISTORY_INVARIANTS): Property {
  const verdicts = new WeakMap<RaftHistory, boolean>();
  const holds = HISTORY_INVARIANTS[name];
  return always(name, (state) => {
    const value = state.history as RaftHistory;
    let verdict = verdicts.get(value);
    if (verdict === undefined) verdicts.set(value, (verdict = holds(value)));
    return verdict;
  });
}

const INVARIANTS = { ElectionSafety, LogMatching, LeaderCompleteness, StateMachineSafety } as const;
const GOALS = { EntryCommitted: someCommitted, LaterLeaderHoldsEarlierEntry: laterLeaderHoldsEarlierEntry, CommittedIndirectly: committedIndirectly } as const;

/**
 * Goals of the compaction models, over the network and durable images (the spec's view of a server
 * cannot tell a compacted prefix from a whole log, by design). SnapshotInstalled: a follower has
 * answered an InstallSnapshot by installing it (done, with data received: a follower that needed
 * none of it receives nothing). RestartFromSnapshot: a crashed server whose durable image holds a
 * snapshot, in a state the checker expands — so its restart from the snapshot and the log suffix
 * is explored.
 */
const stateGoals = (bounds: RaftBounds) =>
  ({
    SnapshotInstalled: (state: GlobalView) =>
      state.messages.some(({ message }) => message.type === 'InstallSnapshotResponse' && message.done === true && (message.received as number) > 0),
    RestartFromSnapshot: (state: GlobalView) => withinBounds(bounds)(state) && state.nodes.some((node) => node.crashed && node.durable.snapshot !== undefined),
  }) as const;

export const ALL_PROPERTIES: Required<RaftPropertySelection> = {
  invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'],
  leaderAppendOnly: true,
  goals: ['EntryCommitted', 'LaterLeaderHoldsEarlierEntry'],
  overHistory: ['ElectionSafetyEver', 'LeaderCompletenessEver'],
};

export function raftProperties(ids: readonly string[], bounds: RaftBounds, values: readonly string[], selection: RaftPropertySelection): Property[] {
  return [
    ...(selection.invariants ?? []).map((name) => always<Servers>(name, raftServers, INVARIANTS[name])),
    ...(selection.leaderAppendOnly ? ids.map((id) => leaderAppendOnly(id, { maxTerm: bounds.maxTerm, maxLog: bounds.maxLog, values })) : []),
    ...(selection.goals ?? []).map((name) =>
      name === 'SnapshotInstalled' || name === 'RestartFromSnapshot' ? sometimes(name, stateGoals(bounds)[name]) : sometimes<Servers>(name, raftServers, GOALS[name]),
    ),
    ...(selection.overHistory ?? []).map(overHistory),
  ];
}

export interface RaftSetup {
  readonly servers: number;
  readonly bounds: RaftBounds;
  /** The commands clients may ask a leader to append: one spontaneous ClientRequest per value. */
  readonly values: readonly string[];
  readonly machine?: NodeMachine;
  readonly config?: Partial<RaftConfig>;
  readonly faults?: FaultBudgets;
  /** raft.tla's bag of messages (`multiset`, the default), or a message `set` (see the Figure 8 model). */
  readonly network?: 'multiset' | 'set';
  /**
   * Whether the checker may fire a leader's `heartbeatTimeout`. A leader replicates without it —
   * upon election, on each client request, on each rejection (the retry of §5.3) and when its
   * commitIndex advances — so a heartbeat only repeats, with the leader's current nextIndex and
   * commitIndex, what was already sent; yet each may fire at any moment, so they flood a multiset
   * network and call for `maxInFlight`. Off, messages in flight stay bounded by the terms and logs.
   */
  readonly heartbeats?: boolean;
  /** The servers whose election timer may fire (every server by default): a narrowing for bug-hunting models. */
  readonly candidates?: readonly string[];
  /** The servers clients send requests to (every server by default): another such narrowing. */
  readonly clientsAt?: readonly string[];
  /**
   * Whether each server's host may ask it to compact its log at any moment, through any index, with
   * the snapshot of its own entries through that index (models/raft/_applied-entries.ts); the
   * server's `mayCompact` decides which it takes.
   */
  readonly compaction?: boolean;
  /** Explore states equal up to a renaming of the servers once (they are interchangeable unless narrowed). */
  readonly symmetry?: boolean;
  readonly properties: RaftPropertySelection;
}

/** The boundary: TLC's state constraint over terms, log lengths and messages in flight. */
export const withinBounds = (bounds: RaftBounds) => (state: GlobalView) =>
  (bounds.maxInFlight === undefined || state.messageCount <= bounds.maxInFlight) &&
  state.nodes.every((node) => {
    const term = node.crashed ? ((node.durable.currentTerm as number | undefined) ?? 0) : node.context.currentTerm;
    // Every entry a server stands for, compacted or not: compaction does not make room for more.
    const length = node.crashed
      ? ((node.durable.snapshot as Snapshot | undefined)?.lastIncludedIndex ?? 0) + ((node.durable.log as unknown[] | undefined)?.length ?? 0)
      : node.context.lastIncludedIndex + node.context.log.length;
    return term <= bounds.maxTerm && length <= bounds.maxLog;
  });

/** Servers s1..sN, each the peer of every other, on a multiset network (raft.tla's bag of messages) unless told otherwise. */
export function raftModel(setup: RaftSetup): Model {
  const ids = serverIds(setup.servers);
  const config: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50, ...setup.config };
  const machine = setup.compaction ? withHonestHost(setup.machine ?? server) : (setup.machine ?? server);
  const nodes: NodeDefinition[] = ids.map((id) => ({
    id,
    machine,
    peers: ids.filter((peer) => peer !== id),
    config,
    spontaneous: [
      ...(!setup.clientsAt || setup.clientsAt.includes(id) ? setup.values.map((value) => ({ type: 'ClientRequest', value })) : []),
      ...(setup.compaction ? compactEvents(setup.bounds, setup.values) : []),
    ],
    timers: [
      ...(!setup.candidates || setup.candidates.includes(id) ? ['electionTimeout'] : []),
      ...(setup.heartbeats ? ['heartbeatTimeout'] : []),
    ],
  }));
  return {
    nodes,
    network: setup.network ?? 'multiset',
    ...(setup.symmetry ? { symmetry: [ids] } : {}),
    ...(setup.faults ? { faults: setup.faults } : {}),
    boundary: withinBounds(setup.bounds),
    ...(setup.properties.overHistory?.length ? { history: raftHistory } : {}),
    properties: raftProperties(ids, setup.bounds, setup.values, setup.properties),
  };
}
