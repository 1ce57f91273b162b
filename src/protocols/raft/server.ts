import { and, assign, emit, enqueueActions, raise, setup } from 'xstate';
import type { Delivered, Effect, NodeInput, ReplyEffect } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { type AppendEntries, type ClientRequest, isMajority, lastTerm, type LogEntry, type RaftMessage } from './messages.ts';

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
}

export const DEFAULT_RAFT_CONFIG: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50, value: 'v' };

/** A server's state: Figure 2's "State", less lastApplied (applying commands is the host's job). */
export interface RaftContext {
  readonly config: RaftConfig;
  readonly id: string;
  /** The other servers, sorted. */
  readonly peers: readonly string[];
  // Persistent state on all servers, mirrored in the durable image before anyone is told of it.
  /** The latest term this server has seen (0 on first boot, increases monotonically). */
  readonly currentTerm: number;
  /** The candidate that received this server's vote in currentTerm, or null. */
  readonly votedFor: string | null;
  /** The log; entry i (1-based, as in the paper) is log[i - 1]. */
  readonly log: readonly LogEntry[];
  // Volatile state on all servers.
  /** The index of the highest entry known to be committed (0 after every boot). */
  readonly commitIndex: number;
  // Volatile state on candidates.
  /** The servers that granted this candidate their vote in currentTerm (itself included), sorted. */
  readonly votesGranted: readonly string[];
  // Volatile state on leaders, reinitialised after each election.
  /** For each follower, the index of the next entry to send it. */
  readonly nextIndex: Readonly<Record<string, number>>;
  /** For each follower, the index of the highest entry known to be replicated on it. */
  readonly matchIndex: Readonly<Record<string, number>>;
}

export type RaftEvent = Delivered<RaftMessage> | ClientRequest;

type Message = Extract<RaftEvent, { term: number }>;
const isMessage = (event: RaftEvent): event is Message => event.type !== 'ClientRequest';

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

/** The servers that store entry `index` (1-based): the leader itself, and every follower whose matchIndex reaches it. */
export const replicasOf = (context: RaftContext, index: number): number =>
  (context.log.length >= index ? 1 : 0) + context.peers.filter((peer) => (context.matchIndex[peer] ?? 0) >= index).length;

/** §5.4.1: the candidate's log is at least as up-to-date as ours (later last term, or same term and at least as long). */
const candidateIsUpToDate = (context: RaftContext, request: { lastLogTerm: number; lastLogIndex: number }): boolean => {
  const ours = lastTerm(context.log);
  return request.lastLogTerm > ours || (request.lastLogTerm === ours && request.lastLogIndex >= context.log.length);
};

/** Figure 2, AppendEntries receiver step 2: our log holds an entry at prevLogIndex whose term is prevLogTerm. */
const logMatches = (context: RaftContext, prevLogIndex: number, prevLogTerm: number): boolean =>
  prevLogIndex === 0 || (prevLogIndex <= context.log.length && context.log[prevLogIndex - 1]!.term === prevLogTerm);

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
 * currentTerm, votedFor and the log are persisted before any message that reveals them is sent
 * (the host releases a step's persists before its sends). A server boots, and restarts after a
 * crash, as a follower with the persisted term, vote and log; commitIndex starts again at 0.
 */
export const server = setup({
  types: {
    context: {} as RaftContext,
    events: {} as RaftEvent,
    input: {} as NodeInput<RaftConfig>,
    emitted: {} as Effect<RaftMessage>,
  },
  guards: {
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
    hasVoteMajority: ({ context }) => isMajority(context.votesGranted.length, context.peers.length + 1),
    logMatchesPrev: ({ context, event }) => event.type === 'AppendEntries' && logMatches(context, event.prevLogIndex, event.prevLogTerm),
    isSuccess: ({ event }) => event.type === 'AppendEntriesResponse' && event.success,
    /** The follower acknowledged a full chunk (`maxEntriesPerAppend` entries past what it held) and is still behind. */
    ackedFullChunk: ({ context, event }) => {
      const cap = context.config.maxEntriesPerAppend;
      if (cap === undefined || event.type !== 'AppendEntriesResponse') return false;
      return event.matchIndex < context.log.length && event.matchIndex - (context.matchIndex[event.from] ?? 0) >= cap;
    },
    /**
     * Figure 2, Rules for Servers, Leaders: entry N may be committed when a majority stores it AND
     * it is of the current term (§5.4.2). Entries of earlier terms are never committed by counting
     * replicas; they commit indirectly, with the first entry of the leader's own term (Log Matching).
     */
    isCommittable: ({ context }, { index }: { index: number }) =>
      context.log[index - 1]?.term === context.currentTerm && isMajority(replicasOf(context, index), context.peers.length + 1),
  },
  actions: {
    // ── terms and votes ──────────────────────────────────────────────────────────────────────
    adoptNewerTerm: assign(({ event }) => (isMessage(event) ? { currentTerm: event.term, votedFor: null } : {})),
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
      for (const peer of context.peers) {
        enqueue.emit(
          send(peer, { type: 'RequestVote', term: context.currentTerm, candidateId: context.id, lastLogIndex: context.log.length, lastLogTerm: lastTerm(context.log) }),
        );
      }
    }),
    recordVote: assign({
      votesGranted: ({ context, event }) =>
        event.type === 'RequestVoteResponse' && !context.votesGranted.includes(event.from) ? [...context.votesGranted, event.from].sort() : context.votesGranted,
    }),
    forgetVotes: assign({ votesGranted: [] }),
    // ── log replication (§5.3) ───────────────────────────────────────────────────────────────
    becomeLeader: assign(({ context }) => ({
      nextIndex: Object.fromEntries(context.peers.map((peer) => [peer, context.log.length + 1])),
      matchIndex: Object.fromEntries(context.peers.map((peer) => [peer, 0])),
    })),
    forgetLeadership: assign({ nextIndex: {}, matchIndex: {} }),
    sendAppendEntries: enqueueActions(({ context, enqueue }) => {
      for (const peer of context.peers) enqueue.emit(send(peer, appendEntriesFor(context, peer)));
    }),
    /** §5.3: after a rejection the leader retries at once, one entry earlier. */
    retryAppendEntries: emit(({ context, event }) => {
      const peer = event.type === 'AppendEntriesResponse' ? event.from : '';
      return send(peer, appendEntriesFor(context, peer));
    }),
    /** The log is persistent state: the entry is stable before the AppendEntries that carry it. */
    persistClientEntry: emit(({ context, event }) => persist({ append: { log: [clientEntry(context, event)] } })),
    appendClientEntry: assign({ log: ({ context, event }) => [...context.log, clientEntry(context, event)] }),
    refuseRequest: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'ClientRequest' && event.client !== undefined && event.requestId !== undefined) {
        enqueue.emit({ type: 'reply', client: event.client, requestId: event.requestId, result: { error: 'not leader' } } satisfies ReplyEffect);
      }
    }),
    /** Steps 3–4 made durable: the cut and the new entries, before the acknowledgement. */
    persistEntries: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'AppendEntries') return;
      const merge = mergeEntries(context.log, event.prevLogIndex, event.entries);
      if (merge.truncatedAt === undefined && merge.appended.length === 0) return;
      enqueue.emit(persist({ ...(merge.truncatedAt !== undefined ? { truncate: { log: merge.truncatedAt } } : {}), append: { log: merge.appended } }));
    }),
    storeEntries: assign({ log: ({ context, event }) => (event.type === 'AppendEntries' ? mergeEntries(context.log, event.prevLogIndex, event.entries).log : context.log) }),
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
      }),
    ),
    rejectAppend: emit(({ context, event }) =>
      send(event.type === 'AppendEntries' ? event.from : '', {
        type: 'AppendEntriesResponse',
        term: context.currentTerm,
        success: false,
        matchIndex: 0,
        // Only worth saying to a leader of our term: a stale leader steps down on our term anyway.
        ...(event.type === 'AppendEntries' && event.term === context.currentTerm ? { rejectHint: context.log.length } : {}),
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
      for (let n = context.log.length; n > context.commitIndex; n--) {
        // `check` is typed without the machine's guards; it evaluates a named, parameterised one all the same.
        if (check({ type: 'isCommittable', params: { index: n } } as never)) {
          commitIndex = n;
          break;
        }
      }
      if (commitIndex === context.commitIndex) return;
      enqueue.assign({ commitIndex });
      for (const peer of context.peers) enqueue.emit(send(peer, appendEntriesFor({ ...context, commitIndex }, peer)));
      for (let index = context.commitIndex + 1; index <= commitIndex; index++) {
        const entry = context.log[index - 1]!;
        if (entry.client !== undefined && entry.requestId !== undefined) {
          enqueue.emit({ type: 'reply', client: entry.client, requestId: entry.requestId, result: { index, value: entry.value } } satisfies ReplyEffect);
        }
      }
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
    commitIndex: 0,
    votesGranted: [],
    nextIndex: {},
    matchIndex: {},
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
    ClientRequest: { actions: 'refuseRequest' },
  },
  states: {
    follower: {
      after: { electionTimeout: 'candidate' },
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
      },
    },
    leader: {
      // Upon election: AppendEntries (a heartbeat, §5.2) to every follower.
      entry: ['becomeLeader', 'sendAppendEntries'],
      exit: 'forgetLeadership',
      initial: 'replicating',
      states: {
        // On every heartbeatTimeout: AppendEntries to each follower, with the entries from its nextIndex.
        replicating: {
          after: { heartbeatTimeout: { target: 'replicating', reenter: true, actions: 'sendAppendEntries' } },
        },
      },
      on: {
        // Raft.tla's ClientRequest; the new entry goes out at once. A leader without peers (a group
        // of one) is its own majority: the entry commits on the spot (raft.tla's AdvanceCommitIndex
        // is enabled at any moment; with peers nothing new is committable before they answer).
        ClientRequest: { actions: ['persistClientEntry', 'appendClientEntry', 'sendAppendEntries', 'advanceCommitIndex'] },
        AppendEntriesResponse: [
          { guard: and(['isCurrentTerm', 'isSuccess', 'ackedFullChunk']), actions: ['recordMatch', 'advanceCommitIndex', 'retryAppendEntries'] },
          { guard: and(['isCurrentTerm', 'isSuccess']), actions: ['recordMatch', 'advanceCommitIndex'] },
          { guard: 'isCurrentTerm', actions: ['retreatNextIndex', 'retryAppendEntries'] },
        ],
      },
    },
  },
});

/** The AppendEntries a leader sends `peer`: the entries from its nextIndex on, after the one before (§5.3). */
export function appendEntriesFor(context: RaftContext, peer: string): AppendEntries {
  const prevLogIndex = (context.nextIndex[peer] ?? context.log.length + 1) - 1;
  return {
    type: 'AppendEntries',
    term: context.currentTerm,
    leaderId: context.id,
    prevLogIndex,
    prevLogTerm: prevLogIndex === 0 ? 0 : context.log[prevLogIndex - 1]!.term,
    entries: context.log.slice(prevLogIndex, context.config.maxEntriesPerAppend === undefined ? undefined : prevLogIndex + context.config.maxEntriesPerAppend),
    leaderCommit: context.commitIndex,
  };
}

/** The entry a leader appends for a client request, in its current term. */
function clientEntry(context: RaftContext, event: RaftEvent): LogEntry {
  const request = event.type === 'ClientRequest' ? event : ({ type: 'ClientRequest' } as ClientRequest);
  return {
    term: context.currentTerm,
    value: request.value ?? context.config.value ?? 'v',
    ...(request.client !== undefined && request.requestId !== undefined ? { client: request.client, requestId: request.requestId } : {}),
  };
}
