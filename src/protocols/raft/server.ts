import { and, assign, emit, enqueueActions, not, raise, setup } from 'xstate';
import type { Delivered, Effect, NodeInput, ReplyEffect } from '../../node/index.ts';
import { persist, reply, send } from '../../node/index.ts';
import { configurationSetAt, entriesFrom, entryAt, lastLogIndex, lastLogTerm, termAt, type Configuration } from './log.ts';
import type {
  AppendEntries,
  ChangeMembership,
  ClientRequest,
  Compact,
  InstallSnapshot,
  LeadershipTransfer,
  LogEntry,
  MembershipAnswer,
  PendingMembershipChange,
  PendingRead,
  RaftMessage,
  ReadRequest,
  Snapshot,
  TransferAnswer,
  TransferLeadership,
} from './messages.ts';
import { configurationValue, isMajority, TRANSFER_IN_PROGRESS } from './messages.ts';

export interface RaftConfig {
  /** How long a follower waits to hear from a leader, and a candidate for a majority (§5.2). */
  readonly electionTimeoutMs: number;
  /** How often a leader sends AppendEntries, empty or not (§5.2). Well below the election timeout. */
  readonly heartbeatTimeoutMs: number;
  /** The command appended for a `ClientRequest` that carries none. */
  readonly value?: string;
  /**
   * The most entries one AppendEntries carries (all from nextIndex on when absent). With a cap, a
   * follower far behind is caught up in chunks — each acknowledged full chunk is followed at once
   * by the next — instead of one message that could exceed a transport's frame limit.
   */
  readonly maxEntriesPerAppend?: number;
  /**
   * The most characters of snapshot data one InstallSnapshot carries (the whole snapshot when
   * absent): the thesis's chunking (Figure 5.3, `offset` and `done`), so that a snapshot of any
   * size crosses a transport with a frame limit. A chunk's message is at most about six times this
   * many bytes (JSON escaping, UTF-8) plus a few dozen.
   */
  readonly maxSnapshotChunk?: number;
  /**
   * This server is being added to a group (Ongaro's thesis §4.2, §4.4): its initial configuration
   * is its `peers` — the group it joins — without itself, so it never campaigns until a
   * configuration entry in its log (or a snapshot's configuration) makes it a member. Without it,
   * the initial configuration is the peers and the server itself.
   */
  readonly joining?: boolean;
  /**
   * A leader writes its log to disk in parallel with replicating it (Ongaro's thesis §10.2.1):
   * an entry it appends goes out in AppendEntries at once, and to its own durable image only when
   * the `WriteLog` it sends itself is taken — meanwhile the leader counts itself toward a majority
   * for the entries it has written only. Without it, an entry is durable in the step that appends it.
   */
  readonly parallelLogWrite?: boolean;
}

export const DEFAULT_RAFT_CONFIG: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50, value: 'v' };

/** A server's state: Figure 2's "State", less lastApplied (applying commands is the host's job). */
export interface RaftContext {
  readonly config: RaftConfig;
  readonly id: string;
  /**
   * The other servers the host named at boot, sorted: with the server itself (unless `joining`),
   * the initial configuration (thesis §4.1), in force until a configuration entry replaces it.
   * Elections and commitment use the latest configuration (`latestConfiguration`), never this.
   */
  readonly peers: readonly string[];
  // Persistent state on all servers, mirrored in the durable image before anyone is told of it.
  /** The latest term this server has seen (0 on first boot, increases monotonically). */
  readonly currentTerm: number;
  /** The candidate that received this server's vote in currentTerm, or null. */
  readonly votedFor: string | null;
  /**
   * The log after the snapshot: entry i (1-based, as in the paper) is log[i - lastIncludedIndex - 1]
   * (see log.ts; with no snapshot, log[i - 1]).
   */
  readonly log: readonly LogEntry[];
  /** The snapshot replaces every entry up through this index (thesis §5.1; 0 for none). */
  readonly lastIncludedIndex: number;
  /** The term of entry lastIncludedIndex (0 for none). */
  readonly lastIncludedTerm: number;
  /** The snapshot's data: the application's state after entry lastIncludedIndex, as the host serialised it; null for none. */
  readonly snapshot: string | null;
  /** The configuration the snapshot records at lastIncludedIndex (thesis §4.1, §5.1); null when no configuration entry set one there. */
  readonly snapshotConfig: readonly string[] | null;
  // Volatile state on all servers.
  /**
   * The index of the highest entry known to be committed: lastIncludedIndex after every boot, since
   * a snapshot holds committed entries only (thesis §5.1), and never below it.
   */
  readonly commitIndex: number;
  /** The chunks of a leader's snapshot received so far in currentTerm (Figure 5.3 steps 2–4), or null. */
  readonly receiving: Snapshot | null;
  // Volatile state on candidates.
  /** The servers that granted this candidate their vote in currentTerm (itself included), sorted. */
  readonly votesGranted: readonly string[];
  // Volatile state on leaders, reinitialised after each election.
  /** For each follower, the index of the next entry to send it. */
  readonly nextIndex: Readonly<Record<string, number>>;
  /** For each follower, the index of the highest entry known to be replicated on it. */
  readonly matchIndex: Readonly<Record<string, number>>;
  /**
   * For each follower being sent the snapshot, how much of its data the follower is known to hold:
   * where the next chunk starts. Reset whenever the leader's snapshot changes.
   */
  readonly snapshotOffset: Readonly<Record<string, number>>;
  // Volatile state on leaders for ReadIndex reads (thesis §6.4); all empty while no read is asked.
  /** The reads registered and not yet answered, in the order they came. */
  readonly reads: readonly PendingRead[];
  /** The last heartbeat round started: 0 upon election, one more for each read registered. */
  readonly heartbeatRound: number;
  /** For each follower, the highest heartbeat round it has answered in this term. */
  readonly acknowledgedRound: Readonly<Record<string, number>>;
  // Volatile state on leaders for leadership transfer (thesis §3.10); null while none is asked.
  /** The transfer under way: the peer to hand the leadership to, and whom to answer when it ends. */
  readonly transfer: LeadershipTransfer | null;
  // Volatile state on leaders for membership changes (thesis §4.2); null while none is to be answered.
  /** The change this leader appended and has not seen committed, when its host is to be answered. */
  readonly membershipChange: PendingMembershipChange | null;
  // Volatile state on leaders writing their log in parallel (thesis §10.2.1); 0 on every other server.
  /** How many entries at the end of the log are not yet in the durable image. */
  readonly unwritten: number;
}

export type RaftEvent = Delivered<RaftMessage> | ClientRequest | ReadRequest | Compact | TransferLeadership | ChangeMembership;

type Message = Extract<RaftEvent, { term: number }>;
const isMessage = (event: RaftEvent): event is Message => 'term' in event;

/** What a follower's log becomes when it stores `entries` after entry `prevLogIndex` (§5.3, Figure 2 steps 3–4). */
export interface Merge {
  readonly log: readonly LogEntry[];
  /** Where the log was cut (every entry from this 0-based position on removed), if it was. */
  readonly truncatedAt?: number;
  /** Entries added at the end, after any cut. */
  readonly appended: readonly LogEntry[];
}

/**
 * Figure 2, AppendEntries receiver steps 3 and 4: an existing entry that conflicts with a new one
 * (same index, different term) is deleted with all that follow it; new entries not already in the
 * log are appended. Entries that agree are kept — a stale or reordered request must never cut a
 * log back (raft.tla's "already done with request" case).
 */
export function mergeEntries(log: readonly LogEntry[], prevLogIndex: number, entries: readonly LogEntry[]): Merge {
  for (let i = 0; i < entries.length; i++) {
    const at = prevLogIndex + i;
    if (at >= log.length) return { log: [...log, ...entries.slice(i)], appended: entries.slice(i) };
    if (log[at]!.term !== entries[i]!.term) {
      return { log: [...log.slice(0, at), ...entries.slice(i)], truncatedAt: at, appended: entries.slice(i) };
    }
  }
  return { log, appended: [] };
}

/**
 * Steps 3–4 on a compacted log: the request's entries up through lastIncludedIndex are skipped —
 * they are committed, so the leader's are ours (State Machine Safety) — and the rest merged into
 * the suffix, at positions relative to the snapshot.
 */
export function mergeRequest(context: RaftContext, request: Pick<AppendEntries, 'prevLogIndex' | 'entries'>): Merge {
  const remembered = mergesByRequest.get(request);
  if (remembered !== undefined && remembered.log === context.log && remembered.lastIncludedIndex === context.lastIncludedIndex) return remembered.merge;
  const skipped = Math.max(0, context.lastIncludedIndex - request.prevLogIndex);
  const merge = mergeEntries(context.log, Math.max(0, request.prevLogIndex - context.lastIncludedIndex), request.entries.slice(skipped));
  mergesByRequest.set(request, { log: context.log, lastIncludedIndex: context.lastIncludedIndex, merge });
  return merge;
}

/**
 * The last merge of each request, for the log it was merged into: a step persists the merge and
 * then stores it (two actions), and copying a long log twice per AppendEntries was most of a
 * follower's step. Logs and requests are never changed, so a remembered merge is the merge.
 */
const mergesByRequest = new WeakMap<object, { readonly log: readonly LogEntry[]; readonly lastIncludedIndex: number; readonly merge: Merge }>();

/** The initial configuration (thesis §4.1): the peers and the server itself — or, for a server being added, the peers alone. */
export const initialMembers = (context: Pick<RaftContext, 'id' | 'peers' | 'config'>): readonly string[] =>
  context.config.joining ? context.peers : [...context.peers, context.id].sort();

/**
 * The configuration a server uses for elections and commitment (thesis §4.1): the latest in its
 * log, committed or not, from the moment the entry is appended; the snapshot's when the log holds
 * none after it; else the initial one. A truncated log falls back to the one before.
 */
export const latestConfiguration = (context: RaftContext): Configuration =>
  configurationSetAt(context, lastLogIndex(context)) ?? { members: initialMembers(context), index: 0 };

/** The other members of the latest configuration: whom a candidate asks for votes and a leader replicates to. */
export const otherMembers = (context: RaftContext): readonly string[] => latestConfiguration(context).members.filter((member) => member !== context.id);

/** Whether `count` servers are a majority of the latest configuration (§5.2, §4.1). */
const isConfigurationMajority = (context: RaftContext, count: number): boolean => isMajority(count, latestConfiguration(context).members.length);

/** The last index of the log that is in the durable image: the whole log, but for a leader's unwritten entries (§10.2.1). */
export const writtenIndex = (context: RaftContext): number => lastLogIndex(context) - context.unwritten;

/**
 * The members of the latest configuration that store entry `index` (1-based) durably: the leader
 * itself if it is one and has written the entry (a leader removing itself does not count itself,
 * thesis §4.2.2; one writing its log in parallel counts itself only once the entry is written,
 * §10.2.1), and every follower whose matchIndex reaches it — a follower acknowledges entries only
 * once they are durable. `ownIndex` is how far the leader counts its own log.
 */
export const replicasOf = (context: RaftContext, index: number, ownIndex = writtenIndex(context)): number =>
  latestConfiguration(context).members.filter((member) => (member === context.id ? ownIndex >= index : (context.matchIndex[member] ?? 0) >= index)).length;

/**
 * Whether the leader has committed an entry of its own term: then its commitIndex is at least that
 * of any committed entry (thesis §6.4 step 1). Entries of its term follow every earlier one in its
 * log, so it is enough that the entry at commitIndex is of the current term.
 */
export const hasCommittedInTerm = (context: RaftContext): boolean => termAt(context, context.commitIndex) === context.currentTerm;

/** The members that have answered heartbeat round `round` or a later one of this term: the leader itself (if a member), and its followers. */
export const acknowledgersOf = (context: RaftContext, round: number): number =>
  latestConfiguration(context).members.filter((member) => member === context.id || (context.acknowledgedRound[member] ?? 0) >= round).length;

/** A change names exactly one server, to add or to remove (thesis §4.2), by a non-empty id. */
const namesOneServer = (change: ChangeMembership): boolean => {
  const target = change.add ?? change.remove;
  return (change.add === undefined) !== (change.remove === undefined) && typeof target === 'string' && target.length > 0;
};

/** §5.4.1: the candidate's log is at least as up-to-date as ours (later last term, or same term and at least as long). */
const candidateIsUpToDate = (context: RaftContext, request: { lastLogTerm: number; lastLogIndex: number }): boolean => {
  const ours = lastLogTerm(context);
  return request.lastLogTerm > ours || (request.lastLogTerm === ours && request.lastLogIndex >= lastLogIndex(context));
};

/**
 * Figure 2, AppendEntries receiver step 2: our log holds an entry at prevLogIndex whose term is
 * prevLogTerm — the snapshot's last entry counting as one (thesis §5.1). An index inside the
 * snapshot matches: it is committed, and the leader of our term holds every committed entry
 * (Leader Completeness).
 */
const logMatches = (context: RaftContext, prevLogIndex: number, prevLogTerm: number): boolean =>
  prevLogIndex < context.lastIncludedIndex || termAt(context, prevLogIndex) === prevLogTerm;

/** Whether a chunk continues the snapshot being received: the first, or the next one of the same snapshot. */
const continuesSnapshot = (context: RaftContext, chunk: InstallSnapshot): boolean =>
  chunk.offset === 0 ||
  (context.receiving !== null &&
    context.receiving.lastIncludedIndex === chunk.lastIncludedIndex &&
    context.receiving.lastIncludedTerm === chunk.lastIncludedTerm &&
    context.receiving.data.length === chunk.offset);

/** The snapshot received so far with `chunk` added (Figure 5.3 steps 2–3: a first chunk starts a new one). */
const withChunk = (context: RaftContext, chunk: InstallSnapshot): Snapshot => ({
  lastIncludedIndex: chunk.lastIncludedIndex,
  lastIncludedTerm: chunk.lastIncludedTerm,
  data: (chunk.offset === 0 ? '' : context.receiving!.data) + chunk.data,
  ...(chunk.config !== undefined ? { config: chunk.config } : {}),
});

/** How much of the snapshot a chunk belongs to the follower holds, 0 when it holds none of it. */
const heldOf = (context: RaftContext, chunk: Pick<InstallSnapshot, 'lastIncludedIndex' | 'lastIncludedTerm'>): number =>
  context.receiving !== null && context.receiving.lastIncludedIndex === chunk.lastIncludedIndex && context.receiving.lastIncludedTerm === chunk.lastIncludedTerm
    ? context.receiving.data.length
    : 0;

/**
 * The server's state after its log is compacted through `snapshot.lastIncludedIndex`, which it
 * holds or has been sent: the entries after that index are kept if the log holds the snapshot's
 * last entry (same index and term), else the whole log goes (Figure 5.3 steps 6–7). commitIndex
 * moves up to the snapshot's index, for a snapshot holds committed entries only.
 */
export function compacted(context: RaftContext, snapshot: Snapshot): Partial<RaftContext> {
  const keepsSuffix = termAt(context, snapshot.lastIncludedIndex) === snapshot.lastIncludedTerm;
  return {
    log: keepsSuffix ? context.log.slice(snapshot.lastIncludedIndex - context.lastIncludedIndex) : [],
    lastIncludedIndex: snapshot.lastIncludedIndex,
    lastIncludedTerm: snapshot.lastIncludedTerm,
    snapshot: snapshot.data,
    // The configuration entries through lastIncludedIndex go with the log: the snapshot keeps the latest (thesis §5.1).
    snapshotConfig: snapshot.config ?? null,
    commitIndex: Math.max(context.commitIndex, snapshot.lastIncludedIndex),
    receiving: null,
    // The followers being sent the old snapshot start the new one from its first chunk.
    snapshotOffset: {},
  };
}

/** The durable change of `compacted`: the snapshot set, and the log's prefix dropped or the whole log cut. */
const compactionChange = (context: RaftContext, snapshot: Snapshot) =>
  persist({
    set: { snapshot },
    ...(termAt(context, snapshot.lastIncludedIndex) === snapshot.lastIncludedTerm
      ? { drop: { log: snapshot.lastIncludedIndex - context.lastIncludedIndex } }
      : { truncate: { log: 0 } }),
  });

/**
 * The snapshot an event brings: the host's, for a Compact (of the entries through its index, which
 * the server holds), or the one received so far with an InstallSnapshot's chunk.
 */
const snapshotOf = (context: RaftContext, event: RaftEvent): Snapshot => {
  if (event.type === 'Compact') {
    // The snapshot records the configuration in force at its last entry (thesis §5.1), if an entry set one.
    const config = configurationSetAt(context, event.index)?.members;
    return { lastIncludedIndex: event.index, lastIncludedTerm: termAt(context, event.index)!, data: event.snapshot, ...(config !== undefined ? { config } : {}) };
  }
  if (event.type === 'InstallSnapshot') return withChunk(context, event);
  throw new TypeError(`no snapshot comes with ${event.type}`);
};

/**
 * Any message carrying a newer term makes a server adopt that term, forget its vote and become a
 * follower ("Rules for Servers", All Servers; raft.tla UpdateTerm) — and then handle the message
 * as a follower of that term, which `handleAgain` does by raising it once more.
 */
const stepDown = {
  guard: 'hasNewerTerm',
  target: '#raft.follower',
  reenter: true,
  actions: ['adoptNewerTerm', 'persistTermAndVote', 'handleAgain'],
} as const;

/**
 * A Raft server (Ongaro & Ousterhout 2014, Figure 2; raft.tla): follower, candidate or leader.
 *
 * - A follower that hears from no leader becomes a candidate on `electionTimeout` (§5.2).
 * - A candidate votes for itself in a new term and asks every peer for its vote; with votes from a
 *   majority it leads. On `electionTimeout` it starts another election.
 * - A leader replicates its log with AppendEntries — upon election, on each client request, at once
 *   after a rejection (§5.3), when its commitIndex advances, and on every `heartbeatTimeout` — and
 *   commits an entry of its own term once a majority stores it (§5.4.2). Followers learn the
 *   commitIndex from `leaderCommit`.
 *
 * - Log compaction (Ongaro's thesis, "Consensus: Bridging Theory and Practice", ch. 5): on the
 *   host's `Compact` a server replaces the committed entries its state machine has applied with
 *   the host's snapshot (§5.1); it keeps lastIncludedIndex and lastIncludedTerm, against which the
 *   AppendEntries consistency check of the entry after them is made. A leader whose nextIndex for
 *   a follower falls inside its snapshot sends InstallSnapshot instead, in chunks (Figure 5.3).
 * - ReadIndex reads (thesis §6.4): a leader registers a `ReadRequest` with a new heartbeat round
 *   and sends AppendEntries carrying the round; once it has committed an entry of its term, the
 *   read's readIndex is its commitIndex; once a majority (itself included) has answered the round
 *   or a later one, it answers `{ readIndex }`, and the host serves the read from its state machine
 *   once it has applied through readIndex. No log entry is written. A server that is not leader
 *   refuses a read, and a leader that steps down fails those it holds.
 * - Leadership transfer (thesis §3.10): on the host's `TransferLeadership` to a peer, a leader
 *   stops taking client requests, goes on replicating until the target's matchIndex is its last
 *   log index, and then sends the target `TimeoutNow`, on which the target campaigns at once. The
 *   transfer ends when the leader steps down (the target's RequestVote of the next term deposes
 *   it), or is abandoned when its `electionTimeout`, armed as the transfer began, fires: it
 *   takes client requests again.
 * - Membership changes (thesis ch. 4, single-server changes): the configuration is a log entry
 *   (`config`); every server uses the latest in its log, committed or not (§4.1), for elections
 *   and commitment, and a server not in its own latest configuration never campaigns. On the
 *   host's `ChangeMembership` a leader appends the configuration with one server added or removed
 *   — one change at a time (none while the latest is uncommitted), and only once it has committed
 *   an entry of its own term (Ongaro's fix, raft-dev, July 2015) — and answers when it commits. A
 *   leader that removed itself replicates the entry without counting itself, and steps down once
 *   it commits (§4.2.2). The snapshot carries the configuration at its last entry. Not
 *   implemented: the non-voting catch-up of new servers (§4.2.1) and the protection against
 *   disruptive removed servers (§4.2.3).
 *
 * - The leader's parallel log write (thesis §10.2.1, with `parallelLogWrite`): a leader sends the
 *   entries it appends before they are durable, and writes them on the `WriteLog` it sends itself
 *   — which, like any message, may be taken at any later moment, or never if the leader crashes
 *   first. It counts itself toward a majority only for entries it has written; a follower, as
 *   always, acknowledges only what it has made durable.
 *
 * currentTerm, votedFor, the log and the snapshot are persisted before any message that reveals
 * them is sent (the host releases a step's persists before its sends) — but for a leader's
 * unwritten entries, above. A server boots, and restarts
 * after a crash, as a follower with the persisted term, vote, snapshot and log suffix; commitIndex
 * starts again at the snapshot's last index (0 without one).
 */
export const server = setup({
  types: {
    context: {} as RaftContext,
    events: {} as RaftEvent,
    input: {} as NodeInput<RaftConfig>,
    emitted: {} as Effect<RaftMessage>,
  },
  guards: {
    /**
     * Thesis §5.1: a server compacts only entries its state machine has applied, which are
     * committed — never beyond its commitIndex — and only forward, past its last snapshot.
     */
    mayCompact: ({ context, event }) => event.type === 'Compact' && event.index > context.lastIncludedIndex && event.index <= context.commitIndex,
    hasNewerTerm: ({ context, event }) => isMessage(event) && event.term > context.currentTerm,
    hasStaleTerm: ({ context, event }) => isMessage(event) && event.term < context.currentTerm,
    isCurrentTerm: ({ context, event }) => isMessage(event) && event.term === context.currentTerm,
    /** Figure 2, RequestVote receiver: same term, not voted for another, candidate up-to-date (§5.2, §5.4.1). */
    mayGrantVote: ({ context, event }) =>
      event.type === 'RequestVote' &&
      event.term === context.currentTerm &&
      (context.votedFor === null || context.votedFor === event.from) &&
      candidateIsUpToDate(context, event),
    isVoteGranted: ({ event }) => event.type === 'RequestVoteResponse' && event.voteGranted,
    /** §5.2 with §4.1: votes from a majority of the candidate's latest configuration (only members' votes count). */
    hasVoteMajority: ({ context }) => {
      const { members } = latestConfiguration(context);
      return isMajority(context.votesGranted.filter((voter) => members.includes(voter)).length, members.length);
    },
    /** Thesis §4.2.2: only a member of its own latest configuration starts elections (a removed server, or one not yet added, waits). */
    isInOwnConfiguration: ({ context }) => latestConfiguration(context).members.includes(context.id),
    logMatchesPrev: ({ context, event }) => event.type === 'AppendEntries' && logMatches(context, event.prevLogIndex, event.prevLogTerm),
    isSuccess: ({ event }) => event.type === 'AppendEntriesResponse' && event.success,
    // ── the leader's parallel log write (thesis §10.2.1) ────────────────────────────────────
    writesLogInParallel: ({ context }) => context.config.parallelLogWrite === true,
    /** The WriteLog this leader sent itself in its current term; one from anyone else, or of another term, is not. */
    isOwnLogWrite: ({ context, event }) => event.type === 'WriteLog' && event.from === context.id && event.term === context.currentTerm,
    // ── snapshots (thesis §5.1, Figure 5.3) ─────────────────────────────────────────────────
    /** The snapshot covers nothing this follower does not know committed: it keeps its own state (etcd's restore does the same). */
    snapshotCovered: ({ context, event }) => event.type === 'InstallSnapshot' && event.lastIncludedIndex <= context.commitIndex,
    /** Steps 2–3: the chunk is a first one, or the next of the snapshot being received. */
    continuesSnapshot: ({ context, event }) => event.type === 'InstallSnapshot' && continuesSnapshot(context, event),
    /** Step 5: the last chunk, the whole snapshot now here. */
    isLastChunk: ({ event }) => event.type === 'InstallSnapshot' && event.done,
    /** The follower holds the leader's entries through the snapshot's index. */
    snapshotDone: ({ event }) => event.type === 'InstallSnapshotResponse' && event.done,
    /** After the snapshot the follower still lacks some of the leader's entries. */
    followerStillBehind: ({ context, event }) =>
      event.type === 'InstallSnapshotResponse' && Math.max(context.matchIndex[event.from] ?? 0, event.lastIncludedIndex) < lastLogIndex(context),
    /**
     * The answer to a chunk moves where the next one starts: the follower holds more (or, having
     * restarted, less) of the current snapshot than the leader knew, or answered an older snapshot
     * (the current one then starts over). A duplicate answer changes nothing and sends nothing.
     */
    movesSnapshotOffset: ({ context, event }) =>
      event.type === 'InstallSnapshotResponse' &&
      (event.lastIncludedIndex !== context.lastIncludedIndex || event.received !== (context.snapshotOffset[event.from] ?? 0)),
    /** The follower acknowledged a full chunk (`maxEntriesPerAppend` entries past what it held) and is still behind. */
    ackedFullChunk: ({ context, event }) => {
      const cap = context.config.maxEntriesPerAppend;
      if (cap === undefined || event.type !== 'AppendEntriesResponse') return false;
      return event.matchIndex < lastLogIndex(context) && event.matchIndex - (context.matchIndex[event.from] ?? 0) >= cap;
    },
    /**
     * Figure 2, Rules for Servers, Leaders: entry N may be committed when a majority stores it AND
     * it is of the current term (§5.4.2). Entries of earlier terms are never committed by counting
     * replicas; they commit indirectly, with the first entry of the leader's own term (Log Matching).
     */
    isCommittable: ({ context }, { index }: { index: number }) =>
      termAt(context, index) === context.currentTerm && isConfigurationMajority(context, replicasOf(context, index)),
    // ── ReadIndex reads (thesis §6.4) ──────────────────────────────────────────────────────
    /**
     * Step 1's precondition. This machine does not append a no-op at the start of a term (the
     * thesis's way of committing an entry of the term at once), so a read registered before the
     * leader has committed an entry of its term waits, its readIndex unset, until it has.
     */
    mayFixReadIndex: ({ context }) => hasCommittedInTerm(context),
    /**
     * Steps 2–3: the leader is still the leader — a majority, itself included, has answered a
     * heartbeat of its term sent after the read was registered (round ≥ the read's round). No
     * server of that majority had moved to a later term when it answered, so no later leader had
     * been elected, and committed nothing, before the read was registered.
     */
    isReadConfirmed: ({ context }, { round }: { round: number }) => isConfigurationMajority(context, acknowledgersOf(context, round)),
    // ── leadership transfer (thesis §3.10) ───────────────────────────────────────────────────
    /** A transfer to the leader itself: it leads already, there is nothing to hand over. */
    isTransferToSelf: ({ context, event }) => event.type === 'TransferLeadership' && event.to === context.id,
    /** A transfer to a server that is not a member of the group: it could never win an election here. */
    isTransferToNonMember: ({ context, event }) => event.type === 'TransferLeadership' && !latestConfiguration(context).members.includes(event.to),
    /**
     * §3.10 step 1: the target's log holds the whole of the leader's — its matchIndex is the
     * leader's last log index (never above it: a leader's log only grows) — so that it can win
     * the election TimeoutNow starts, every voter finding its log at least as up-to-date (§5.4.1).
     */
    transfereeCaughtUp: ({ context }) => context.transfer !== null && (context.matchIndex[context.transfer.to] ?? 0) >= lastLogIndex(context),
    // ── membership changes (thesis §4.2) ─────────────────────────────────────────────────────
    /** Not exactly one server named, to add or to remove (§4.2: one server at a time). */
    isInvalidChange: ({ event }) => event.type === 'ChangeMembership' && !namesOneServer(event),
    /** §4.2: the latest configuration entry is not committed yet — a change is under way, and changes go one at a time. */
    isChangeInProgress: ({ context }) => latestConfiguration(context).index > context.commitIndex,
    /**
     * Ongaro's fix of single-server changes (raft-dev, "bug in single-server membership changes",
     * 10 July 2015): a leader appends a configuration entry only once it has committed an entry of
     * its own term. Until then its log may end in a configuration that a change begun by an
     * earlier term's leader, unknown to it, has superseded on other servers; a change based on it
     * and that other change need not share a majority — two leaders in one term. Committing an
     * entry of its term first makes every such concurrent change either committed here or never
     * committable (the entry is on a majority that no earlier configuration's leader can win).
     */
    hasCommittedInCurrentTerm: ({ context }) => hasCommittedInTerm(context),
    isAddOfMember: ({ context, event }) => event.type === 'ChangeMembership' && event.add !== undefined && latestConfiguration(context).members.includes(event.add),
    isRemoveOfNonMember: ({ context, event }) => event.type === 'ChangeMembership' && event.remove !== undefined && !latestConfiguration(context).members.includes(event.remove),
    isRemoveOfLastMember: ({ context, event }) => event.type === 'ChangeMembership' && event.remove !== undefined && latestConfiguration(context).members.length === 1,
    /** §4.2.2: the leader's latest configuration leaves it out and is committed: the leader has done its part, and steps down. */
    isRemovedByCommittedConfiguration: ({ context }) => {
      const { members, index } = latestConfiguration(context);
      return !members.includes(context.id) && index <= context.commitIndex;
    },
  },
  actions: {
    // ── terms and votes ──────────────────────────────────────────────────────────────────────
    // A partial snapshot was the old term's leader's: the new one sends its own (Figure 5.3 keys chunks by leader).
    adoptNewerTerm: assign(({ event }) => (isMessage(event) ? { currentTerm: event.term, votedFor: null, receiving: null } : {})),
    /** currentTerm and votedFor are persistent state (Figure 2): stable before any reply or request. */
    persistTermAndVote: emit(({ context }) => persist({ set: { currentTerm: context.currentTerm, votedFor: context.votedFor } })),
    handleAgain: raise(({ event }) => event),
    grantVote: assign(({ event }) => (event.type === 'RequestVote' ? { votedFor: event.from } : {})),
    replyVote: emit(({ context, event }) =>
      send(event.type === 'RequestVote' ? event.from : '', {
        type: 'RequestVoteResponse',
        term: context.currentTerm,
        voteGranted: event.type === 'RequestVote' && context.votedFor === event.from,
      }),
    ),
    // ── elections (§5.2) ─────────────────────────────────────────────────────────────────────
    startElection: assign(({ context }) => ({ currentTerm: context.currentTerm + 1, votedFor: context.id, votesGranted: [context.id] })),
    requestVotes: enqueueActions(({ context, enqueue }) => {
      for (const peer of otherMembers(context)) {
        enqueue.emit(
          send(peer, { type: 'RequestVote', term: context.currentTerm, candidateId: context.id, lastLogIndex: lastLogIndex(context), lastLogTerm: lastLogTerm(context) }),
        );
      }
    }),
    recordVote: assign({
      votesGranted: ({ context, event }) =>
        event.type === 'RequestVoteResponse' && !context.votesGranted.includes(event.from) ? [...context.votesGranted, event.from].sort() : context.votesGranted,
    }),
    forgetVotes: assign({ votesGranted: [] }),
    // ── log replication (§5.3) ───────────────────────────────────────────────────────────────
    // A server added later has no entry here: replication starts it at the leader's last index + 1, and its rejection moves it back (§5.3).
    becomeLeader: assign(({ context }) => ({
      nextIndex: Object.fromEntries(otherMembers(context).map((peer) => [peer, lastLogIndex(context) + 1])),
      matchIndex: Object.fromEntries(otherMembers(context).map((peer) => [peer, 0])),
    })),
    // A leader that steps down ends its transfer with its leadership (thesis §3.10), and its membership change's answer (§4.2).
    forgetLeadership: assign({ nextIndex: {}, matchIndex: {}, snapshotOffset: {}, heartbeatRound: 0, acknowledgedRound: {}, transfer: null, membershipChange: null }),
    // To the members of the latest configuration (§4.1): a server added is replicated to from the moment its entry is appended.
    sendAppendEntries: enqueueActions(({ context, enqueue }) => {
      for (const peer of otherMembers(context)) enqueue.emit(send(peer, replicationFor(context, peer)));
    }),
    /** §5.3: after a rejection the leader retries at once, one entry earlier; after a snapshot chunk's answer, the next chunk or the entries after it. */
    retryAppendEntries: emit(({ context, event }) => {
      const peer = event.type === 'AppendEntriesResponse' || event.type === 'InstallSnapshotResponse' ? event.from : '';
      return send(peer, replicationFor(context, peer));
    }),
    /** The log is persistent state: the entry is stable before the AppendEntries that carry it. */
    persistClientEntry: emit(({ context, event }) => persist({ append: { log: [clientEntry(context, event)] } })),
    appendClientEntry: assign({ log: ({ context, event }) => [...context.log, clientEntry(context, event)] }),
    /**
     * Thesis §10.2.1: the entries just appended are written later, by the WriteLog the leader
     * sends itself when its log was all written (one in flight at a time writes every entry
     * appended before it is taken).
     */
    deferLogWrite: enqueueActions(({ context, enqueue }) => {
      if (context.unwritten === 0) enqueue.emit(send(context.id, { type: 'WriteLog', term: context.currentTerm }));
      enqueue.assign({ unwritten: context.unwritten + 1 });
    }),
    /**
     * The unwritten entries made durable: on the leader's WriteLog, and before anything else is
     * persisted — as it steps down (a follower's persists append to a log it has written) and
     * before a compaction, whose snapshot may cover them. Nothing when all is written.
     */
    writeUnwrittenEntries: enqueueActions(({ context, enqueue }) => {
      if (context.unwritten === 0) return;
      enqueue.emit(persist({ append: { log: context.log.slice(context.log.length - context.unwritten) } }));
      enqueue.assign({ unwritten: 0 });
    }),
    /** A request not appended: `not leader` by default, or the reason given (a leader transferring its leadership). */
    refuseRequest: enqueueActions(({ event, enqueue }, params?: { error: string }) => {
      if (event.type === 'ClientRequest' && event.client !== undefined && event.requestId !== undefined) {
        enqueue.emit({ type: 'reply', client: event.client, requestId: event.requestId, result: { error: params?.error ?? 'not leader' } } satisfies ReplyEffect);
      }
    }),
    /** Steps 3–4 made durable: the cut and the new entries, before the acknowledgement. */
    persistEntries: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'AppendEntries') return;
      const merge = mergeRequest(context, event);
      if (merge.truncatedAt === undefined && merge.appended.length === 0) return;
      enqueue.emit(persist({ ...(merge.truncatedAt !== undefined ? { truncate: { log: merge.truncatedAt } } : {}), append: { log: merge.appended } }));
    }),
    storeEntries: assign({ log: ({ context, event }) => (event.type === 'AppendEntries' ? mergeRequest(context, event).log : context.log) }),
    /** Step 5, never moving backwards: commitIndex = max(commitIndex, min(leaderCommit, index of last new entry)). */
    learnCommitIndex: assign({
      commitIndex: ({ context, event }) =>
        event.type === 'AppendEntries' ? Math.max(context.commitIndex, Math.min(event.leaderCommit, event.prevLogIndex + event.entries.length)) : context.commitIndex,
    }),
    acknowledgeAppend: emit(({ context, event }) =>
      send(event.type === 'AppendEntries' ? event.from : '', {
        type: 'AppendEntriesResponse',
        term: context.currentTerm,
        success: true,
        matchIndex: event.type === 'AppendEntries' ? event.prevLogIndex + event.entries.length : 0,
        // Thesis §6.4: the heartbeat round is echoed, for the leader to count toward its reads.
        ...(event.type === 'AppendEntries' && event.round !== undefined ? { round: event.round } : {}),
      }),
    ),
    rejectAppend: emit(({ context, event }) =>
      send(event.type === 'AppendEntries' ? event.from : '', {
        type: 'AppendEntriesResponse',
        term: context.currentTerm,
        success: false,
        matchIndex: 0,
        // Only worth saying to a leader of our term: a stale leader steps down on our term anyway.
        ...(event.type === 'AppendEntries' && event.term === context.currentTerm ? { rejectHint: lastLogIndex(context) } : {}),
        // A rejection of our term acknowledges the leader's term as well as a success does (§6.4).
        ...(event.type === 'AppendEntries' && event.round !== undefined ? { round: event.round } : {}),
      }),
    ),
    recordMatch: assign(({ context, event }) => {
      if (event.type !== 'AppendEntriesResponse') return {};
      const match = Math.max(context.matchIndex[event.from] ?? 0, event.matchIndex);
      return { matchIndex: { ...context.matchIndex, [event.from]: match }, nextIndex: { ...context.nextIndex, [event.from]: match + 1 } };
    }),
    /**
     * After a rejection, try one entry earlier — or, with the follower's hint, just past its last
     * entry if that is earlier still — never below what the follower is known to hold.
     */
    retreatNextIndex: assign(({ context, event }) => {
      if (event.type !== 'AppendEntriesResponse') return {};
      const floor = (context.matchIndex[event.from] ?? 0) + 1;
      const probe = Math.min((context.nextIndex[event.from] ?? 1) - 1, event.rejectHint === undefined ? Infinity : event.rejectHint + 1);
      return { nextIndex: { ...context.nextIndex, [event.from]: Math.max(floor, probe) } };
    }),
    /**
     * The highest committable N > commitIndex becomes the commitIndex; the clients of the entries it
     * covers are answered, and every follower is told at once (as etcd's leader does), not only at
     * the next heartbeat.
     */
    advanceCommitIndex: enqueueActions(({ context, enqueue, check }) => {
      let commitIndex = context.commitIndex;
      for (let n = lastLogIndex(context); n > context.commitIndex; n--) {
        // `check` is typed without the machine's guards; it evaluates a named, parameterised one all the same.
        if (check({ type: 'isCommittable', params: { index: n } } as never)) {
          commitIndex = n;
          break;
        }
      }
      if (commitIndex === context.commitIndex) return;
      enqueue.assign({ commitIndex });
      for (const peer of otherMembers(context)) enqueue.emit(send(peer, replicationFor({ ...context, commitIndex }, peer)));
      for (let index = context.commitIndex + 1; index <= commitIndex; index++) {
        const entry = entryAt(context, index)!;
        if (entry.client !== undefined && entry.requestId !== undefined) {
          enqueue.emit({ type: 'reply', client: entry.client, requestId: entry.requestId, result: { index, value: entry.value } } satisfies ReplyEffect);
        }
      }
      // Thesis §4.2: the membership change is done once its configuration entry commits.
      const change = context.membershipChange;
      if (change !== null && change.index <= commitIndex) {
        const answer: MembershipAnswer = { index: change.index, members: entryAt(context, change.index)!.config! };
        enqueue.emit(reply(change.client, change.requestId, answer));
        enqueue.assign({ membershipChange: null });
      }
    }),
    // ── ReadIndex reads (thesis §6.4) ────────────────────────────────────────────────────────
    /** Every answer to a read goes out through this one action, `{ readIndex }` or `{ error }`. */
    replyToRead: emit((_, { client, requestId, result }: { client: string; requestId: string | number; result: { readIndex: number } | { error: string } }) =>
      reply(client, requestId, result),
    ),
    /** Only a leader serves reads; no leader is named, as ClientRequest's refusal names none. */
    refuseRead: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'ReadRequest') enqueue({ type: 'replyToRead', params: { client: event.client, requestId: event.requestId, result: { error: 'not leader' } } } as never);
    }),
    /**
     * Steps 1–2: the read is registered with a new heartbeat round, whose AppendEntries (carrying
     * `round`) the transition sends next; its readIndex is fixed by `serveReads`, at once if the
     * leader has committed an entry of its term.
     */
    registerRead: assign(({ context, event }) => {
      if (event.type !== 'ReadRequest') return {};
      const round = context.heartbeatRound + 1;
      return { heartbeatRound: round, reads: [...context.reads, { client: event.client, requestId: event.requestId, round, readIndex: null }] };
    }),
    /** The heartbeat round a follower's answer echoes, if it is later than the last it answered. */
    recordRoundAck: assign(({ context, event }) => {
      if (event.type !== 'AppendEntriesResponse' || event.round === undefined || event.round <= (context.acknowledgedRound[event.from] ?? 0)) return {};
      return { acknowledgedRound: { ...context.acknowledgedRound, [event.from]: event.round } };
    }),
    /**
     * Steps 1, 3 and 4: each waiting read gets its readIndex (the commitIndex) once an entry of the
     * term is committed; a read whose leadership is confirmed and whose readIndex the commitIndex
     * reaches is answered `{ readIndex }`. Applying committed entries is the host's job here, so
     * the host serves the read from its state machine once it has applied through readIndex (step
     * 4's wait is the host's); the commitIndex of a leader never moves back, so it reaches the
     * readIndex from the moment it is fixed.
     */
    serveReads: enqueueActions(({ context, enqueue, check }) => {
      if (context.reads.length === 0) return;
      const fixable = check({ type: 'mayFixReadIndex' } as never);
      const waiting: PendingRead[] = [];
      for (const read of context.reads) {
        const readIndex = read.readIndex ?? (fixable ? context.commitIndex : null);
        if (readIndex !== null && context.commitIndex >= readIndex && check({ type: 'isReadConfirmed', params: { round: read.round } } as never)) {
          enqueue({ type: 'replyToRead', params: { client: read.client, requestId: read.requestId, result: { readIndex } } } as never);
        } else {
          waiting.push(readIndex === read.readIndex ? read : { ...read, readIndex });
        }
      }
      if (waiting.length !== context.reads.length || waiting.some((read, i) => read !== context.reads[i])) enqueue.assign({ reads: waiting });
    }),
    /** A leader that steps down (or is deposed) fails its waiting reads: it can no longer confirm them. */
    failReads: enqueueActions(({ context, enqueue }) => {
      if (context.reads.length === 0) return;
      for (const read of context.reads) {
        enqueue({ type: 'replyToRead', params: { client: read.client, requestId: read.requestId, result: { error: 'not leader' } } } as never);
      }
      enqueue.assign({ reads: [] });
    }),
    // ── leadership transfer (thesis §3.10) ───────────────────────────────────────────────────
    /** The transfer is taken on: whom to hand the leadership to, and whom to answer when it ends. */
    beginTransfer: assign({
      transfer: ({ event }) =>
        event.type === 'TransferLeadership'
          ? { to: event.to, ...(event.client !== undefined && event.requestId !== undefined ? { client: event.client, requestId: event.requestId } : {}) }
          : null,
    }),
    /** A TransferLeadership not taken on is answered at once, if it names a client (see `TransferAnswer`). */
    refuseTransfer: enqueueActions(({ event, enqueue }, params: { error: Extract<TransferAnswer, { error: string }>['error'] }) => {
      if (event.type === 'TransferLeadership' && event.client !== undefined && event.requestId !== undefined) {
        enqueue.emit(reply(event.client, event.requestId, { error: params.error } satisfies TransferAnswer));
      }
    }),
    /** The transfer under way, if any, is answered as it ends (its client, if it named one). */
    answerTransfer: enqueueActions(({ context, enqueue }, answer: TransferAnswer) => {
      const transfer = context.transfer;
      if (transfer?.client !== undefined && transfer.requestId !== undefined) enqueue.emit(reply(transfer.client, transfer.requestId, answer));
    }),
    /** §3.10 step 2: the target's log matches, so it may start its election now rather than wait for its timer. */
    sendTimeoutNow: emit(({ context }) => send(context.transfer?.to ?? '', { type: 'TimeoutNow', term: context.currentTerm })),
    forgetTransfer: assign({ transfer: null }),
    // ── membership changes (thesis §4.2) ─────────────────────────────────────────────────────
    /** The configuration entry is persistent state like any entry: stable before the AppendEntries that carry it. */
    persistConfigurationEntry: emit(({ context, event }) => persist({ append: { log: [configurationEntry(context, event)] } })),
    /** §4.1: appended, the new configuration is in force on this leader at once, committed or not. */
    appendConfigurationEntry: assign({ log: ({ context, event }) => [...context.log, configurationEntry(context, event)] }),
    /** Whom to answer once the entry, now the last of the log, commits. */
    recordMembershipChange: assign({
      membershipChange: ({ context, event }) =>
        event.type === 'ChangeMembership' && event.client !== undefined && event.requestId !== undefined
          ? { index: lastLogIndex(context), client: event.client, requestId: event.requestId }
          : null,
    }),
    /** A ChangeMembership not taken on is answered at once, if it names a client (see `MembershipAnswer`). */
    refuseMembershipChange: enqueueActions(({ event, enqueue }, params: { error: Extract<MembershipAnswer, { error: string }>['error'] }) => {
      if (event.type === 'ChangeMembership' && event.client !== undefined && event.requestId !== undefined) {
        enqueue.emit(reply(event.client, event.requestId, { error: params.error } satisfies MembershipAnswer));
      }
    }),
    /** A leader deposed before its change committed says so: the change may yet commit under another leader, or be overwritten. */
    answerLostMembershipChange: enqueueActions(({ context, enqueue }) => {
      const change = context.membershipChange;
      if (change !== null) enqueue.emit(reply(change.client, change.requestId, { error: 'leadership lost' } satisfies MembershipAnswer));
    }),
    // ── snapshots (thesis §5.1, Figure 5.3) ──────────────────────────────────────────────────
    /** The snapshot is stable, and the entries it replaces dropped, before anything relies on it. */
    persistCompaction: emit(({ context, event }) => compactionChange(context, snapshotOf(context, event))),
    compactLog: assign(({ context, event }) => compacted(context, snapshotOf(context, event))),
    /** Steps 2–4: a chunk that is not the last is kept (volatile: a restarted follower is sent the snapshot again). */
    storeSnapshotChunk: assign({ receiving: ({ context, event }) => (event.type === 'InstallSnapshot' ? withChunk(context, event) : context.receiving) }),
    /** Steps 5–7 made durable: the snapshot, and the log's suffix kept or the whole log cut, before the answer. */
    persistInstalledSnapshot: emit(({ context, event }) => compactionChange(context, snapshotOf(context, event))),
    /**
     * Steps 5–8: the snapshot replaces the log through its index. The host learns of it as it
     * learns of commits, from the context (lastIncludedIndex beyond what it applied), and resets its
     * state machine from `snapshot` (step 8).
     */
    installSnapshot: assign(({ context, event }) => compacted(context, snapshotOf(context, event))),
    /** The answer to a chunk not installed: done if the follower needs none of it (then it holds none), else how much it holds. */
    acknowledgeSnapshot: emit(({ context, event }) => {
      const chunk = event.type === 'InstallSnapshot' ? event : undefined;
      const done = chunk !== undefined && chunk.term === context.currentTerm && context.commitIndex >= chunk.lastIncludedIndex;
      return send(chunk?.from ?? '', {
        type: 'InstallSnapshotResponse',
        term: context.currentTerm,
        lastIncludedIndex: chunk?.lastIncludedIndex ?? 0,
        received: chunk === undefined || done ? 0 : heldOf(context, chunk),
        done,
      });
    }),
    acknowledgeInstalledSnapshot: emit(({ context, event }) =>
      send(event.type === 'InstallSnapshot' ? event.from : '', {
        type: 'InstallSnapshotResponse',
        term: context.currentTerm,
        lastIncludedIndex: event.type === 'InstallSnapshot' ? event.lastIncludedIndex : 0,
        received: event.type === 'InstallSnapshot' ? event.offset + event.data.length : 0,
        done: true,
      }),
    ),
    /** The follower holds the leader's entries through the snapshot's index (as recordMatch for AppendEntries). */
    recordSnapshotMatch: assign(({ context, event }) => {
      if (event.type !== 'InstallSnapshotResponse') return {};
      const match = Math.max(context.matchIndex[event.from] ?? 0, event.lastIncludedIndex);
      const { [event.from]: _, ...snapshotOffset } = context.snapshotOffset;
      return { matchIndex: { ...context.matchIndex, [event.from]: match }, nextIndex: { ...context.nextIndex, [event.from]: match + 1 }, snapshotOffset };
    }),
    recordSnapshotOffset: assign(({ context, event }) => {
      if (event.type !== 'InstallSnapshotResponse') return {};
      return { snapshotOffset: { ...context.snapshotOffset, [event.from]: nextSnapshotOffset(context, event) } };
    }),
  },
  delays: {
    electionTimeout: ({ context }) => context.config.electionTimeoutMs,
    heartbeatTimeout: ({ context }) => context.config.heartbeatTimeoutMs,
  },
}).createMachine({
  id: 'raft',
  context: ({ input }) => ({
    config: input.config,
    id: input.id,
    peers: [...input.peers].sort(),
    currentTerm: (input.durable.currentTerm as number | undefined) ?? 0,
    votedFor: (input.durable.votedFor as string | null | undefined) ?? null,
    log: (input.durable.log as LogEntry[] | undefined) ?? [],
    lastIncludedIndex: (input.durable.snapshot as Snapshot | undefined)?.lastIncludedIndex ?? 0,
    lastIncludedTerm: (input.durable.snapshot as Snapshot | undefined)?.lastIncludedTerm ?? 0,
    snapshot: (input.durable.snapshot as Snapshot | undefined)?.data ?? null,
    snapshotConfig: (input.durable.snapshot as Snapshot | undefined)?.config ?? null,
    // What the snapshot holds is committed (thesis §5.1); the rest is learnt again from a leader.
    commitIndex: (input.durable.snapshot as Snapshot | undefined)?.lastIncludedIndex ?? 0,
    receiving: null,
    votesGranted: [],
    nextIndex: {},
    matchIndex: {},
    snapshotOffset: {},
    reads: [],
    heartbeatRound: 0,
    acknowledgedRound: {},
    transfer: null,
    membershipChange: null,
    unwritten: 0,
  }),
  initial: 'follower',
  // What every role does with a message from a newer or an older term; the roles handle messages
  // of their own term (a role's transitions are tried first, these when none of its guards holds).
  on: {
    RequestVote: [stepDown, { actions: 'replyVote' }],
    // A stale reply, or one that is not for a candidate: ignored.
    RequestVoteResponse: [stepDown],
    // From a stale leader: rejected, which tells it of the newer term. (A leader hearing from
    // another leader of its own term cannot happen while ElectionSafety holds; it ignores it.)
    AppendEntries: [stepDown, { guard: 'hasStaleTerm', actions: 'rejectAppend' }],
    AppendEntriesResponse: [stepDown],
    // From a stale leader: answered with our term, so that it steps down (Figure 5.3 step 1).
    InstallSnapshot: [stepDown, { guard: 'hasStaleTerm', actions: 'acknowledgeSnapshot' }],
    InstallSnapshotResponse: [stepDown],
    ClientRequest: { actions: 'refuseRequest' },
    ReadRequest: { actions: 'refuseRead' },
    // Only a leader transfers its leadership (thesis §3.10).
    TransferLeadership: { actions: { type: 'refuseTransfer', params: { error: 'not leader' } } },
    // Only a leader changes the membership (thesis §4.2).
    ChangeMembership: { actions: { type: 'refuseMembershipChange', params: { error: 'not leader' } } },
    // A TimeoutNow of a newer term makes its target adopt the term first, then campaign at once as
    // a follower of it; one of an older term is stale — its sender no longer leads — and ignored.
    TimeoutNow: [stepDown],
    // In any role, at the host's request (thesis §5.1: each server snapshots on its own).
    Compact: { guard: 'mayCompact', actions: ['writeUnwrittenEntries', 'persistCompaction', 'compactLog'] },
  },
  states: {
    follower: {
      // §4.2.2: a server outside its own latest configuration does not campaign; its timer is
      // re-armed, so that it campaigns once a configuration entry makes it a member.
      after: { electionTimeout: [{ guard: 'isInOwnConfiguration', target: 'candidate' }, { target: 'follower', reenter: true }] },
      on: {
        // Granting a vote or hearing from the current leader restarts the election timer (§5.2).
        RequestVote: { guard: 'mayGrantVote', target: 'follower', reenter: true, actions: ['grantVote', 'persistTermAndVote', 'replyVote'] },
        AppendEntries: [
          {
            guard: and(['isCurrentTerm', 'logMatchesPrev']),
            target: 'follower',
            reenter: true,
            actions: ['persistEntries', 'storeEntries', 'learnCommitIndex', 'acknowledgeAppend'],
          },
          { guard: 'isCurrentTerm', target: 'follower', reenter: true, actions: 'rejectAppend' },
        ],
        // Figure 5.3, receiver: the leader of this term restarts the election timer, as with AppendEntries.
        InstallSnapshot: [
          { guard: and(['isCurrentTerm', 'snapshotCovered']), target: 'follower', reenter: true, actions: 'acknowledgeSnapshot' },
          {
            guard: and(['isCurrentTerm', 'continuesSnapshot', 'isLastChunk']),
            target: 'follower',
            reenter: true,
            actions: ['persistInstalledSnapshot', 'installSnapshot', 'acknowledgeInstalledSnapshot'],
          },
          { guard: and(['isCurrentTerm', 'continuesSnapshot']), target: 'follower', reenter: true, actions: ['storeSnapshotChunk', 'acknowledgeSnapshot'] },
          // Out of order (a lost or duplicated chunk): say how much is here, for the leader to resume.
          { guard: 'isCurrentTerm', target: 'follower', reenter: true, actions: 'acknowledgeSnapshot' },
        ],
        // Thesis §3.10 step 2: the leader of this term hands us its leadership — start an election
        // now, as if the election timer had fired (a new term, a vote for ourselves, RequestVote).
        TimeoutNow: { guard: and(['isCurrentTerm', 'isInOwnConfiguration']), target: 'candidate' },
      },
    },
    candidate: {
      // §5.2: a new term, a vote for itself, made durable, then RequestVote to every peer.
      entry: ['startElection', 'persistTermAndVote', 'requestVotes'],
      exit: 'forgetVotes',
      always: { guard: 'hasVoteMajority', target: 'leader' },
      after: { electionTimeout: { target: 'candidate', reenter: true } },
      on: {
        RequestVoteResponse: { guard: and(['isCurrentTerm', 'isVoteGranted']), actions: 'recordVote' },
        // The leader of this term has been elected: return to follower and accept its request.
        AppendEntries: { guard: 'isCurrentTerm', target: 'follower', actions: 'handleAgain' },
        InstallSnapshot: { guard: 'isCurrentTerm', target: 'follower', actions: 'handleAgain' },
        // A TimeoutNow of our own term (sent by a leader of it that we had not yet heard from):
        // campaign again at once, in the next term, as on electionTimeout.
        TimeoutNow: { guard: 'isCurrentTerm', target: 'candidate', reenter: true },
      },
    },
    leader: {
      // Upon election: AppendEntries (a heartbeat, §5.2) to every follower.
      entry: ['becomeLeader', 'sendAppendEntries'],
      // Deposed, or removed from the configuration: reads failed, a transfer or membership change under way answered and ended.
      exit: ['writeUnwrittenEntries', 'failReads', { type: 'answerTransfer', params: { steppedDown: true } }, 'answerLostMembershipChange', 'forgetLeadership'],
      // Thesis §4.2.2: a leader that removed itself steps down once that configuration commits —
      // having sent every member the commitIndex that tells them so — and, outside its own
      // configuration, never campaigns again.
      always: { guard: 'isRemovedByCommittedConfiguration', target: '#raft.follower' },
      initial: 'replicating',
      states: {
        // On every heartbeatTimeout: AppendEntries to each follower, with the entries from its nextIndex.
        replicating: {
          after: { heartbeatTimeout: { target: 'replicating', reenter: true, actions: 'sendAppendEntries' } },
          on: {
            TransferLeadership: [
              { guard: 'isTransferToSelf', actions: { type: 'refuseTransfer', params: { error: 'already leader' } } },
              { guard: 'isTransferToNonMember', actions: { type: 'refuseTransfer', params: { error: 'unknown server' } } },
              { target: 'transferring', actions: 'beginTransfer' },
            ],
          },
        },
        /**
         * Thesis §3.10: handing the leadership to `transfer.to`. No client request is taken, so the
         * log stops growing and the target can catch up; replication goes on as before (heartbeats,
         * retries, answers), and so do reads. Within an election timeout the target has won an
         * election — and this leader, told of the new term, stepped down — or the transfer is
         * abandoned and client requests are taken again.
         */
        transferring: {
          initial: 'catchingUp',
          // "Within an election timeout": the election timer itself, armed as the transfer starts
          // (a host's timer policy has its duration already, randomised as for elections).
          after: {
            electionTimeout: { target: 'replicating', actions: [{ type: 'answerTransfer', params: { error: 'transfer timed out' } }, 'forgetTransfer'] },
          },
          on: {
            ClientRequest: { actions: { type: 'refuseRequest', params: { error: TRANSFER_IN_PROGRESS } } },
            TransferLeadership: { actions: { type: 'refuseTransfer', params: { error: 'transfer in progress' } } },
            ChangeMembership: { actions: { type: 'refuseMembershipChange', params: { error: 'transfer in progress' } } },
          },
          states: {
            // Step 1: normal replication brings the target up to date; once its matchIndex is the
            // last log index — at once, or on the answer that takes it there — TimeoutNow goes out.
            catchingUp: {
              always: { guard: 'transfereeCaughtUp', target: 'timeoutNowSent', actions: 'sendTimeoutNow' },
              after: { heartbeatTimeout: { target: 'catchingUp', reenter: true, actions: 'sendAppendEntries' } },
            },
            // Step 2 done: the target campaigns. TimeoutNow is sent once; if it is lost, the transfer times out.
            timeoutNowSent: {
              after: { heartbeatTimeout: { target: 'timeoutNowSent', reenter: true, actions: 'sendAppendEntries' } },
            },
          },
        },
      },
      on: {
        // Raft.tla's ClientRequest; the new entry goes out at once. A leader without peers (a group
        // of one) is its own majority: the entry commits on the spot (raft.tla's AdvanceCommitIndex
        // is enabled at any moment; with peers nothing new is committable before they answer).
        //
        // Writing its log in parallel (§10.2.1), the leader sends the entry before it is durable,
        // and commits it once the entry is written and enough followers have acknowledged it.
        ClientRequest: [
          { guard: 'writesLogInParallel', actions: ['appendClientEntry', 'deferLogWrite', 'sendAppendEntries', 'serveReads'] },
          { actions: ['persistClientEntry', 'appendClientEntry', 'sendAppendEntries', 'advanceCommitIndex', 'serveReads'] },
        ],
        // Thesis §10.2.1: the leader's own copy of its unwritten entries is durable now, and counts.
        WriteLog: { guard: 'isOwnLogWrite', actions: ['writeUnwrittenEntries', 'advanceCommitIndex', 'serveReads'] },
        // Thesis §6.4: a read is registered, and a heartbeat round confirming the leadership starts
        // at once (a group of one confirms it on the spot). No entry is appended.
        ReadRequest: { actions: ['registerRead', 'sendAppendEntries', 'serveReads'] },
        // Thesis §4.2: one server added or removed, by appending the new configuration, in force at
        // once (§4.1). A group of one commits it on the spot, as a client entry.
        ChangeMembership: [
          { guard: 'isInvalidChange', actions: { type: 'refuseMembershipChange', params: { error: 'invalid change' } } },
          { guard: 'isChangeInProgress', actions: { type: 'refuseMembershipChange', params: { error: 'change in progress' } } },
          { guard: not('hasCommittedInCurrentTerm'), actions: { type: 'refuseMembershipChange', params: { error: 'no entry committed in this term' } } },
          { guard: 'isAddOfMember', actions: { type: 'refuseMembershipChange', params: { error: 'already a member' } } },
          { guard: 'isRemoveOfNonMember', actions: { type: 'refuseMembershipChange', params: { error: 'not a member' } } },
          { guard: 'isRemoveOfLastMember', actions: { type: 'refuseMembershipChange', params: { error: 'last member' } } },
          { guard: 'writesLogInParallel', actions: ['appendConfigurationEntry', 'deferLogWrite', 'recordMembershipChange', 'sendAppendEntries'] },
          { actions: ['persistConfigurationEntry', 'appendConfigurationEntry', 'recordMembershipChange', 'sendAppendEntries', 'advanceCommitIndex'] },
        ],
        // Any answer of this term, success or not, acknowledges the heartbeat round it echoes.
        AppendEntriesResponse: [
          { guard: and(['isCurrentTerm', 'isSuccess', 'ackedFullChunk']), actions: ['recordMatch', 'recordRoundAck', 'advanceCommitIndex', 'serveReads', 'retryAppendEntries'] },
          { guard: and(['isCurrentTerm', 'isSuccess']), actions: ['recordMatch', 'recordRoundAck', 'advanceCommitIndex', 'serveReads'] },
          { guard: 'isCurrentTerm', actions: ['retreatNextIndex', 'recordRoundAck', 'serveReads', 'retryAppendEntries'] },
        ],
        InstallSnapshotResponse: [
          { guard: and(['isCurrentTerm', 'snapshotDone', 'followerStillBehind']), actions: ['recordSnapshotMatch', 'advanceCommitIndex', 'serveReads', 'retryAppendEntries'] },
          { guard: and(['isCurrentTerm', 'snapshotDone']), actions: ['recordSnapshotMatch', 'advanceCommitIndex', 'serveReads'] },
          { guard: and(['isCurrentTerm', 'movesSnapshotOffset']), actions: ['recordSnapshotOffset', 'retryAppendEntries'] },
        ],
      },
    },
  },
});

/**
 * What a leader sends `peer` to replicate its log: AppendEntries with the entries from its
 * nextIndex on (§5.3) — or, once the entry before them is compacted away, a chunk of the snapshot
 * (thesis §5.1: "the leader must occasionally send its snapshot to followers that lag behind").
 */
export function replicationFor(context: RaftContext, peer: string): AppendEntries | InstallSnapshot {
  const nextIndex = context.nextIndex[peer] ?? lastLogIndex(context) + 1;
  return nextIndex <= context.lastIncludedIndex ? snapshotChunkFor(context, peer) : appendEntriesFor(context, peer);
}

/** The AppendEntries a leader sends `peer`: the entries from its nextIndex on, after the one before (§5.3). */
export function appendEntriesFor(context: RaftContext, peer: string): AppendEntries {
  const prevLogIndex = (context.nextIndex[peer] ?? lastLogIndex(context) + 1) - 1;
  return {
    type: 'AppendEntries',
    term: context.currentTerm,
    leaderId: context.id,
    prevLogIndex,
    prevLogTerm: termAt(context, prevLogIndex)!,
    entries: entriesFrom(context, prevLogIndex + 1, context.config.maxEntriesPerAppend),
    leaderCommit: context.commitIndex,
    // The heartbeat round, only while reads wait (thesis §6.4): otherwise messages are as before.
    ...(context.reads.length > 0 ? { round: context.heartbeatRound } : {}),
  };
}

/** The chunk of its snapshot a leader sends `peer` next: from where the follower's data ends, at most `maxSnapshotChunk` characters. */
export function snapshotChunkFor(context: RaftContext, peer: string): InstallSnapshot {
  const data = context.snapshot ?? '';
  const offset = Math.min(context.snapshotOffset[peer] ?? 0, data.length);
  const chunk = data.slice(offset, context.config.maxSnapshotChunk === undefined ? undefined : offset + context.config.maxSnapshotChunk);
  return {
    type: 'InstallSnapshot',
    term: context.currentTerm,
    leaderId: context.id,
    lastIncludedIndex: context.lastIncludedIndex,
    lastIncludedTerm: context.lastIncludedTerm,
    offset,
    data: chunk,
    done: offset + chunk.length >= data.length,
    // The configuration the snapshot stands at (thesis §5.1), when an entry set one: every chunk carries it.
    ...(context.snapshotConfig !== null ? { config: context.snapshotConfig } : {}),
  };
}

/** Where the leader's next chunk to a follower starts, after its answer: what it holds of the current snapshot, or 0 for an older one's. */
const nextSnapshotOffset = (context: RaftContext, answer: { lastIncludedIndex: number; received: number }): number =>
  answer.lastIncludedIndex === context.lastIncludedIndex ? answer.received : 0;

/** The entry a leader appends for a client request, in its current term. */
function clientEntry(context: RaftContext, event: RaftEvent): LogEntry {
  const request = event.type === 'ClientRequest' ? event : ({ type: 'ClientRequest' } as ClientRequest);
  return {
    term: context.currentTerm,
    value: request.value ?? context.config.value ?? 'v',
    ...(request.client !== undefined && request.requestId !== undefined ? { client: request.client, requestId: request.requestId } : {}),
  };
}

/**
 * The configuration entry a leader appends for a membership change (thesis §4.2): its latest
 * configuration with the one server added or removed, sorted, in its current term.
 */
function configurationEntry(context: RaftContext, event: RaftEvent): LogEntry {
  const { members } = latestConfiguration(context);
  const change = event.type === 'ChangeMembership' ? event : ({ type: 'ChangeMembership' } as ChangeMembership);
  const config = change.add !== undefined ? [...members, change.add].sort() : members.filter((member) => member !== change.remove);
  return { term: context.currentTerm, value: configurationValue(config), config };
}
