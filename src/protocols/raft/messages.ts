/**
 * Messages of Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm",
 * USENIX ATC 2014, Figure 2; Ongaro's raft.tla). The two RPCs and their responses carry the
 * paper's fields; the sender is added on delivery (`from`), so `candidateId` and `leaderId` are
 * kept only because the paper names them.
 */

/**
 * One log entry: the term in which a leader received it, and the client's command — or, with
 * `config`, a configuration entry (Ongaro's thesis §4.1): the whole membership of the group from
 * that entry on. A configuration entry's `value` is not a command but `configurationValue(config)`,
 * a readable name of the membership, so that logs, digests and traces tell configurations apart;
 * a host applying committed entries must recognise the entry by its `config` and not apply it.
 */
export type LogEntry = {
  readonly term: number;
  readonly value: string;
  /** Who asked for it, when a client is to be answered once the entry commits. */
  readonly client?: string;
  readonly requestId?: string | number;
  /**
   * A configuration entry: the servers of the group (sorted), itself included if it is a member.
   * Every server uses the latest such entry in its log, committed or not, from the moment it is
   * appended (§4.1); absent from client entries, whose shape is as before.
   */
  readonly config?: readonly string[];
};

/** The `value` of a configuration entry for `members`: `config:s1,s2,s3`. */
export const configurationValue = (members: readonly string[]): string => `config:${members.join(',')}`;

/** Invoked by candidates to gather votes (§5.2). */
export type RequestVote = {
  readonly type: 'RequestVote';
  /** The candidate's term. */
  readonly term: number;
  readonly candidateId: string;
  /** Index and term of the candidate's last log entry (0 and 0 for an empty log): §5.4.1. */
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
};

export type RequestVoteResponse = {
  readonly type: 'RequestVoteResponse';
  /** currentTerm, for the candidate to update itself. */
  readonly term: number;
  readonly voteGranted: boolean;
};

/** Invoked by the leader to replicate log entries (§5.3); also the heartbeat (§5.2). */
export type AppendEntries = {
  readonly type: 'AppendEntries';
  /** The leader's term. */
  readonly term: number;
  readonly leaderId: string;
  /** Index (1-based) and term of the entry immediately preceding `entries`; 0 and 0 for none. */
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  /** Entries to store; empty for a heartbeat. */
  readonly entries: readonly LogEntry[];
  /** The leader's commitIndex. */
  readonly leaderCommit: number;
  /**
   * The leader's heartbeat round (ReadIndex, Ongaro's thesis §6.4), present only while the leader
   * has reads waiting for confirmation: the follower echoes it, and a read registered in round r
   * is confirmed once a majority has answered a round ≥ r. Not in the paper's figure.
   */
  readonly round?: number;
};

export type AppendEntriesResponse = {
  readonly type: 'AppendEntriesResponse';
  /** currentTerm, for the leader to update itself. */
  readonly term: number;
  /** The follower held an entry matching prevLogIndex and prevLogTerm. */
  readonly success: boolean;
  /**
   * On success, the index of the last entry the request made match the leader's log
   * (prevLogIndex + entries.length); 0 on failure. Not in the paper's figure: raft.tla's
   * `mmatchIndex`, which lets the leader set matchIndex without remembering what it sent.
   */
  readonly matchIndex: number;
  /**
   * On failure to a leader of the follower's term, the follower's last log index: the leader need
   * not probe above it, so a follower that is merely behind is caught up in one more round trip
   * rather than one per missing entry (etcd's `RejectHint`; Raft §5.3's closing note on optimising
   * the rejections).
   */
  readonly rejectHint?: number;
  /** The `round` of the AppendEntries this answers, echoed (thesis §6.4), when it had one. */
  readonly round?: number;
};

/**
 * Invoked by the leader to send a follower a chunk of its snapshot, when the entries the follower
 * needs next have been compacted away (Ongaro's thesis, "Consensus: Bridging Theory and Practice",
 * §5.1 and Figure 5.3). The snapshot's data is the application's state as text, sent in chunks of
 * at most `maxSnapshotChunk` characters at increasing offsets, so that no message exceeds a
 * transport's frame limit however large the state grows.
 */
export type InstallSnapshot = {
  readonly type: 'InstallSnapshot';
  /** The leader's term. */
  readonly term: number;
  readonly leaderId: string;
  /** The snapshot replaces all entries up through and including this index. */
  readonly lastIncludedIndex: number;
  /** The term of the entry at lastIncludedIndex. */
  readonly lastIncludedTerm: number;
  /** Where this chunk goes in the snapshot's data (a character offset). */
  readonly offset: number;
  /** The chunk: the snapshot's data from `offset` on. */
  readonly data: string;
  /** Whether this is the last chunk. */
  readonly done: boolean;
  /**
   * The configuration at lastIncludedIndex (thesis §4.1, §5.1: the snapshot replaces the
   * configuration entries it covers, so it carries the latest of them), when a configuration
   * entry set it; absent, the group's initial configuration (no change at or before that index).
   */
  readonly config?: readonly string[];
};

export type InstallSnapshotResponse = {
  readonly type: 'InstallSnapshotResponse';
  /** currentTerm, for the leader to update itself (Figure 5.3's only field). */
  readonly term: number;
  /** The snapshot this answers (the leader may have compacted again meanwhile). */
  readonly lastIncludedIndex: number;
  /**
   * How many characters of that snapshot's data the follower now holds: where the next chunk
   * starts. 0 when it holds none — it had not the chunks before this one, or needs none of it.
   * Not in Figure 5.3, whose leader waits for each chunk's answer; stating it lets the leader
   * resume after a lost or reordered chunk without remembering what it sent.
   */
  readonly received: number;
  /**
   * The follower's log now holds the leader's entries through lastIncludedIndex: it installed the
   * snapshot, or its own commitIndex had reached that far already (then it kept its state and
   * received nothing). The leader's matchIndex for it may move up to lastIncludedIndex.
   */
  readonly done: boolean;
};

/**
 * Sent by a leader transferring its leadership (Ongaro's thesis §3.10) to the server it hands it
 * to, once that server's log matches its own: the target starts an election at once, as if its
 * election timer had fired. It needs no answer — the target's RequestVote of the next term is one.
 */
export type TimeoutNow = {
  readonly type: 'TimeoutNow';
  /** The leader's term: a target that has moved on to a later term ignores it. */
  readonly term: number;
};

/**
 * What a leader writing its log in parallel with replicating it (`parallelLogWrite`, Ongaro's
 * thesis §10.2.1) sends itself when it appends to a log it has written: write the entries not yet
 * in the durable image. The disk may take any time to do it, as the network may take any time to
 * deliver a message, so it is one, addressed to the leader itself — never to a peer: a host
 * delivers it through its own queue, the message schema refuses it from the network, and the
 * machine takes it only from itself. etcd/raft's asynchronous storage writes are the same
 * design: a MsgStorageAppend to a local storage thread, whose answer comes back as a message.
 */
export type WriteLog = {
  readonly type: 'WriteLog';
  /** The term the entries were appended in: a server that no longer leads in it ignores the message. */
  readonly term: number;
};

export type RaftMessage = RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse | InstallSnapshot | InstallSnapshotResponse | TimeoutNow | WriteLog;

/** A client asks the leader to append a command (raft.tla's ClientRequest). */
export type ClientRequest = {
  readonly type: 'ClientRequest';
  /** The command; the server's `config.value` when absent. */
  readonly value?: string;
  readonly client?: string;
  readonly requestId?: string | number;
};

/**
 * A client asks for a linearizable read (Ongaro's thesis §6.4, ReadIndex): no log entry is
 * appended. The leader answers `{ readIndex }` once it has confirmed its leadership and its
 * commitIndex reaches the read index; the host serves the read from its state machine once it has
 * applied through readIndex. Anything else answers `{ error }`.
 */
export type ReadRequest = {
  readonly type: 'ReadRequest';
  readonly client: string;
  readonly requestId: string | number;
};

/** A read a leader has registered and not yet answered (thesis §6.4 steps 1–3). */
export type PendingRead = {
  readonly client: string;
  readonly requestId: string | number;
  /** The heartbeat round started when the read was registered: acknowledgements of it or a later one confirm the leadership. */
  readonly round: number;
  /**
   * The leader's commitIndex when it was registered — or, if no entry of the leader's term was
   * committed yet, when the first one was (step 1) — and null until then.
   */
  readonly readIndex: number | null;
};

/**
 * The host asks a server to compact its log (thesis §5.1): every entry up through `index`, which
 * the host's state machine has applied, is replaced by `snapshot`, the state machine's state after
 * applying it, serialised by the host. A server refuses an index beyond its commitIndex or not
 * beyond its last snapshot.
 */
export type Compact = {
  readonly type: 'Compact';
  readonly index: number;
  readonly snapshot: string;
};

/**
 * The host asks a server to hand its leadership to `to` (thesis §3.10: to move leadership onto a
 * better-placed server, or off one about to be taken down). Only a leader not already transferring
 * takes it, for a peer of its group; it then refuses client requests until the transfer ends.
 * With `client` and `requestId`, the request is answered exactly once (a `TransferAnswer`): at once
 * if refused, else when the transfer ends — the leader stepped down, or the transfer timed out.
 */
export type TransferLeadership = {
  readonly type: 'TransferLeadership';
  /** The server to lead next: one of the leader's peers. */
  readonly to: string;
  readonly client?: string;
  readonly requestId?: string | number;
};

/** A transfer a leader has taken on and not yet ended (thesis §3.10): whom to, and whom to answer. */
export type LeadershipTransfer = {
  readonly to: string;
  readonly client?: string;
  readonly requestId?: string | number;
};

/**
 * The answer to a TransferLeadership, exactly one per request that names a client:
 * - `{ steppedDown: true }`: the leader learnt of a later term while transferring, and is a
 *   follower now — in the ordinary run, because the target campaigned on TimeoutNow. Whether the
 *   target won is not known here: the host learns the new leader as for any election.
 * - `{ error }`, the leader still being leader for `'transfer timed out'` and none of the others:
 *   - `'not leader'`: this server does not lead (as a ClientRequest's refusal; no leader is named);
 *   - `'already leader'`: the target is this server itself;
 *   - `'unknown server'`: the target is not a member of the group;
 *   - `'transfer in progress'`: this leader is transferring already (to that target or another);
 *   - `'transfer timed out'`: no election took the leadership within an election timeout; the
 *     leader took client requests again.
 */
export type TransferAnswer =
  | { readonly steppedDown: true }
  | { readonly error: 'not leader' | 'already leader' | 'unknown server' | 'transfer in progress' | 'transfer timed out' };

/** What a leader answers a ClientRequest with while it transfers its leadership (thesis §3.10): not appended, ask again (the next leader). */
export const TRANSFER_IN_PROGRESS = 'leadership transfer in progress';

/** The snapshot as a server keeps it, in its durable image under `snapshot` (thesis §5.1, Figure 5.1). */
export type Snapshot = {
  readonly lastIncludedIndex: number;
  readonly lastIncludedTerm: number;
  /** The application's state after applying every entry through lastIncludedIndex. */
  readonly data: string;
  /**
   * The latest configuration at lastIncludedIndex (thesis §4.1, §5.1), when a configuration entry
   * at or before it set one; absent, the initial configuration. Absent in every snapshot of a group
   * whose membership never changed, so such snapshots are as they were before membership changes.
   */
  readonly config?: readonly string[];
};

/**
 * The host asks a leader to add one server to the group or remove one (Ongaro's thesis §4.2:
 * single-server changes, one at a time). Exactly one of `add` and `remove`. With `client` and
 * `requestId` it is answered exactly once (a `MembershipAnswer`): at once if refused, else when
 * the configuration entry commits, or when the leader loses its leadership first.
 *
 * A server being added is started beforehand with `joining: true` in its RaftConfig and the group's
 * members as its peers, and an empty durable image: it never campaigns until its log makes it a
 * member, and is caught up by ordinary replication (or InstallSnapshot) once the entry adding it is
 * appended. The thesis's non-voting catch-up phase (§4.2.1) is not implemented: the new server
 * counts toward majorities from the moment the entry is appended.
 */
export type ChangeMembership = {
  readonly type: 'ChangeMembership';
  /** The server to add: not a member of the leader's latest configuration. */
  readonly add?: string;
  /** The server to remove: a member of it (the leader itself included), not the last one. */
  readonly remove?: string;
  readonly client?: string;
  readonly requestId?: string | number;
};

/** A membership change a leader has appended and not yet seen committed, with whom to answer (thesis §4.2). */
export type PendingMembershipChange = {
  /** The index of its configuration entry. */
  readonly index: number;
  readonly client: string;
  readonly requestId: string | number;
};

/**
 * The answer to a ChangeMembership, exactly one per request that names a client:
 * - `{ index, members }`: the configuration entry at `index`, making the group `members`, committed.
 * - `{ error }`:
 *   - `'not leader'`: this server does not lead (as a ClientRequest's refusal; no leader is named);
 *   - `'invalid change'`: not exactly one of add and remove, or not a server id;
 *   - `'transfer in progress'`: this leader is handing over its leadership (thesis §3.10);
 *   - `'change in progress'`: the latest configuration entry is not committed yet (§4.2: one at a time);
 *   - `'no entry committed in this term'`: the leader has not yet committed an entry of its own
 *     term (Ongaro's fix of July 2015; see the `hasCommittedInCurrentTerm` guard). Retry once one
 *     has — a host that appends a blank entry at the start of each term needs wait only for it;
 *   - `'already a member'`, `'not a member'`: the target of an add is in the configuration, of a
 *     remove is not;
 *   - `'last member'`: the change would leave the group without servers;
 *   - `'leadership lost'`: the leader stepped down before the entry committed. Its outcome is
 *     unknown — a later leader may commit it or overwrite it: read the configuration to learn it.
 */
export type MembershipAnswer =
  | { readonly index: number; readonly members: readonly string[] }
  | {
      readonly error:
        | 'not leader'
        | 'invalid change'
        | 'transfer in progress'
        | 'change in progress'
        | 'no entry committed in this term'
        | 'already a member'
        | 'not a member'
        | 'last member'
        | 'leadership lost';
    };

/** A majority of the `servers` — any two of one configuration intersect (§5.2, §5.4). */
export const isMajority = (members: number, servers: number): boolean => members * 2 > servers;

/** The term of the last entry of a log, 0 for an empty one. */
export const lastTerm = (log: readonly LogEntry[]): number => (log.length === 0 ? 0 : log[log.length - 1]!.term);
