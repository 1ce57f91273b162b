import { createHash, randomUUID } from 'node:crypto';
import type { Json, Message } from '../node/index.ts';
import type { CommitGroup, DurableStore, Logger, TimerPolicy, Transport } from '../runtime/index.ts';
import { NodeHost, RequestFailedError, stderrLogger } from '../runtime/index.ts';
import {
  DEFAULT_RAFT_CONFIG,
  entryAt,
  lastLogIndex,
  type Configuration,
  latestConfiguration,
  type LogEntry,
  type MembershipAnswer,
  type RaftConfig,
  type RaftContext,
  server,
  type TransferAnswer,
} from '../protocols/raft/index.ts';
import type { CommandResult, ResultOf, ShardCommand } from './shard-command.ts';
import { ReadIndexReads } from './read-index-reads.ts';
import { type ShardImage, ShardState } from './shard-state.ts';
import { isReadOnly, type Txn, type TxnResult } from './txn.ts';

/** Randomised election timeouts (§5.2), generous for a busy 2-core machine; heartbeats well below them. */
export const SERVICE_RAFT_TIMERS: TimerPolicy = { electionTimeout: { min: 500, max: 1000 }, heartbeatTimeout: 100 };

/**
 * An entry holds commands up to about this many bytes of JSON (and at least one command, itself at
 * most a request body, 1 MiB), and an AppendEntries at most 16 entries: at most 32 MiB, within the
 * 64 MiB frame limit between service nodes, however far behind a follower is.
 */
export const MAX_ENTRY_BYTES = 1024 * 1024;
/**
 * A snapshot crosses to a follower in chunks of at most this many characters of its JSON text: a
 * character is at most 3 bytes of UTF-8 and the text's escapes at most double in the frame, so a
 * chunk's frame stays within a few MiB, far below the 64 MiB frame limit between service nodes,
 * however large the shard's data (Ongaro's thesis, Figure 5.3's offset and done).
 */
export const MAX_SNAPSHOT_CHUNK = 1024 * 1024;
const SERVICE_RAFT_CONFIG: RaftConfig = { ...DEFAULT_RAFT_CONFIG, maxEntriesPerAppend: 16, maxSnapshotChunk: MAX_SNAPSHOT_CHUNK, parallelLogWrite: true };
/**
 * How many applied entries a replica lets its log grow by before it snapshots its data and has
 * the Raft server compact through them (thesis §5.1). Each entry is a batch of up to `maxBatch`
 * transactions; etcd's default is 100,000 entries of one request each. A snapshot costs a pass over
 * the shard's data, so it is taken every this many entries, not more often.
 */
export const DEFAULT_COMPACT_EVERY = 10_000;
/**
 * How many bytes of entries a replica lets its log suffix grow by before it snapshots, whatever
 * their count: batches make entries large under load (a thousand puts in one), so a count alone
 * would let the log hold millions of transactions. A snapshot of a shard of 100,000 small keys is
 * about 10 MB of JSON, so 32 MiB of log between snapshots keeps the cost of taking one well below
 * the log it saves.
 */
export const DEFAULT_COMPACT_BYTES = 32 * 1024 * 1024;

/** How a leadership transfer ended: who leads now (null while an election is still open), or why it did not happen. */
export type TransferOutcome =
  | { readonly transferred: true; readonly leader: string; readonly term: number }
  | { readonly transferred: false; readonly status: 400 | 409 | 503; readonly error: string; readonly leader: string | null };

/** How a membership change of the shard's group ended: its configuration now, or why it was not made. */
export type MembershipOutcome =
  | { readonly changed: true; readonly index: number; readonly members: readonly string[] }
  | { readonly changed: false; readonly status: 400 | 409 | 503; readonly error: string; readonly retryable: boolean };

/** A change of one server of the shard's group (thesis §4.1: one at a time). */
export type MembershipChange = { readonly add: string } | { readonly remove: string };

/**
 * What a shard replica's snapshot holds (its JSON text is Raft's snapshot data): the shard's state
 * after the entries it covers, and the digest of the applied log through them, so that the digest
 * chain goes on across a compaction.
 */
interface ShardSnapshot {
  readonly digest: string;
  readonly shard: ShardImage;
}

export interface ShardReplicaOptions {
  readonly shard: string;
  /** This node's id: the replica's id within its Raft group. */
  readonly node: string;
  /** The other nodes holding replicas of this shard: the group's initial configuration, or for a `joining` replica the group it joins. */
  readonly peers: readonly string[];
  /**
   * A replica being added to a running group (thesis §4.2): it starts empty, never campaigns, and
   * is caught up by the leader once the configuration entry adding it is in the leader's log.
   */
  readonly joining?: boolean;
  /** Who may send this replica messages: its peers by default; every node of the cluster when the group changes membership. */
  readonly acceptFrom?: (node: string) => boolean;
  /** Told of every configuration entry as it is applied here (committed: it holds from now on). */
  readonly onConfiguration?: (members: readonly string[], index: number) => void;
  readonly store: DurableStore;
  /** Commit with the node's other replicas in one transaction of their shared file (see `CommitGroup`). */
  readonly commitGroup?: CommitGroup;
  readonly transport: Transport;
  readonly timers?: TimerPolicy;
  readonly logger?: Logger;
  /** The most transactions put in one log entry. */
  readonly maxBatch?: number;
  /** The most proposed entries not yet applied; further transactions wait and join a later batch. */
  readonly maxInFlight?: number;
  /** How long a transaction may wait for its outcome before it is answered "unknown". */
  readonly proposalTimeoutMs?: number;
  /** Compact the log once this many entries were applied since the last snapshot (DEFAULT_COMPACT_EVERY by default). */
  readonly compactEvery?: number;
  /** Compact it too once the entries applied since the last snapshot hold this many bytes (DEFAULT_COMPACT_BYTES by default). */
  readonly compactBytes?: number;
}

/** This replica does not lead its group (any more): the transaction was not proposed and may be retried elsewhere. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(
    message: string,
    /** The node this replica last heard a leader from, if any. */
    readonly leaderHint: string | undefined,
  ) {
    super(message);
  }
}

/** The transaction was proposed but its outcome is not known (it may or may not take effect). */
export class OutcomeUnknownError extends Error {
  override readonly name = 'OutcomeUnknownError';
}

export interface ReplicaStatus {
  readonly shard: string;
  readonly node: string;
  readonly role: 'leader' | 'candidate' | 'follower' | 'stopped';
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Entries in the log after the snapshot (the SQLite rows of the log). */
  readonly logLength: number;
  /** The last index the snapshot covers (0 for none): the log holds the entries after it. */
  readonly snapshotIndex: number;
  /** The shard's revision in this replica's data. */
  readonly revision: number;
  readonly keys: number;
  /** Parts of transactions across shards prepared here and not finished. */
  readonly prepared: number;
  /** The node this replica last heard a leader of its current term from (itself when it leads). */
  readonly leader: string | null;
}

interface Waiter {
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Queued {
  readonly id: string;
  /** `[id, command]` as JSON: what the command adds to its batch's entry. */
  readonly json: string;
}

/** A proposed log entry: where the leader put it and which transactions it carries. */
interface Proposal {
  readonly term: number;
  readonly ids: readonly string[];
}

/** A log entry of the service: a batch of commands, each with the id its proposer waits on. */
interface Batch {
  readonly batch: readonly (readonly [string, ShardCommand])[];
}

/**
 * One replica of one shard: the verified Raft server machine (src/protocols/raft/server.ts) in a
 * `NodeHost`, and the shard's key-value data beside it.
 *
 * Applying. Raft's server decides the order of entries; applying them is this class's job. After
 * every batch the host commits, the entries from `appliedIndex + 1` up to the server's commitIndex
 * are applied to the `KvState` in log order, each exactly once — on every replica, leader or not.
 * The data is kept durable by the Raft server's snapshot and log, nothing else: the state machine
 * is a pure function of its committed prefix.
 *
 * Compaction (Ongaro's thesis ch. 5). Once `compactEvery` entries were applied since the last
 * snapshot, the replica serialises its `ShardState` (with the digest of the applied log) and asks
 * the server to `Compact` through its applied index: the server persists the snapshot and drops the
 * log's prefix, so the replica's SQLite file holds one snapshot and a log suffix of at most about
 * `compactEvery` entries. A replica restarts with the data of its snapshot, at its index (the
 * server's commitIndex starts there), and replays only the suffix as it learns the commitIndex from
 * the leader. A follower too far behind is sent the leader's snapshot (InstallSnapshot); the
 * replica learns of it as it learns of commits, after the batch that stored it is durable — the
 * server's lastIncludedIndex is past what it applied — and resets its data from the snapshot.
 *
 * Batching. Transactions that arrive at the leader in one turn of the event loop go into ONE log
 * entry (its `value`, the JSON of the batch), proposed with one `ClientRequest`; at most
 * `maxInFlight` entries (one by default) are proposed and not yet applied, and whatever arrives
 * meanwhile waits for the next. With the host's group commit, a busy leader pays one fsync, and
 * each follower one AppendEntries and one fsync, for many transactions. One entry in flight rather
 * than four gave 1.3-1.9 times the puts per second at 16 to 256 requests in flight, and 2.6 times
 * the cross-shard transactions at 256 (bench/service.ts): on a machine short of cores the cost per
 * entry, not the wait for its round, is what limits, and a round's wait fills the next batch.
 *
 * Outcomes. A transaction's caller waits until this replica applies the entry holding it, and gets
 * the result its own application gave. If a different entry is committed at the index of ours
 * (leadership moved and the new leader overwrote it, §5.3), ours can never commit (Log Matching):
 * its callers get `NotLeaderError` and may safely retry. If nothing is known by the deadline, the
 * caller gets `OutcomeUnknownError`.
 *
 * Reads do not: a transaction that only reads is answered by ReadIndex (thesis §6.4,
 * `read`), linearizable at the cost of a heartbeat round and no log write. A newly elected leader first proposes a blank batch (Raft §8), so entries of earlier terms commit
 * at once; proposals of earlier terms do not count against `maxInFlight`.
 */
export class ShardReplica {
  readonly host: NodeHost<RaftConfig>;
  /** The shard's data as applied here; replaced when a snapshot is installed. */
  private data = new ShardState();
  /** When this replica saw each part prepared that is not finished yet (its own clock: not replicated state). */
  private readonly preparedSince = new Map<string, number>();
  private readonly logger: Logger;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly proposalTimeoutMs: number;
  /** Ids of proposals are unique per incarnation: a random prefix and a counter. */
  private readonly incarnation = randomUUID().slice(0, 8);
  private nextId = 1;
  private appliedIndex = 0;
  private readonly compactEvery: number;
  private readonly compactBytes: number;
  /** Bytes of the entries applied since the last snapshot (their values' lengths). */
  private bytesSinceSnapshot = 0;
  /**
   * The digest chain of the applied log since the last snapshot: chain[i - chainBase - 1] covers
   * entries 1..i (term and value); the digest through chainBase itself came with the snapshot.
   */
  private chain: string[] = [];
  private chainBase = 0;
  private baseDigest = '';
  private readonly queue: Queued[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private readonly proposals = new Map<number, Proposal>();
  private proposeScheduled: NodeJS.Immediate | undefined;
  private leaderHint: { readonly node: string; readonly term: number } | undefined;
  private stopped = false;
  /** The last term in which this replica, as leader, proposed its blank entry. */
  private noOpTerm = -1;
  /** When each other node was last heard from (its messages for this shard), by this replica's clock. */
  private readonly lastHeard = new Map<string, number>();
  private readonly reads = new ReadIndexReads({ readIndex: () => this.confirmReadIndex(), appliedIndex: () => this.appliedIndex });

  constructor(private readonly options: ShardReplicaOptions) {
    this.logger = options.logger ?? stderrLogger(`${options.node}/${options.shard}`);
    this.maxBatch = options.maxBatch ?? 1024;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.proposalTimeoutMs = options.proposalTimeoutMs ?? 5_000;
    this.compactEvery = options.compactEvery ?? DEFAULT_COMPACT_EVERY;
    this.compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
    if (!Number.isSafeInteger(this.compactEvery) || this.compactEvery < 1) throw new RangeError(`compactEvery must be a whole number >= 1, not ${this.compactEvery}`);
    if (!Number.isSafeInteger(this.compactBytes) || this.compactBytes < 1) throw new RangeError(`compactBytes must be a whole number >= 1, not ${this.compactBytes}`);
    const observed: Transport = {
      send: (to, message) => options.transport.send(to, message),
      onMessage: (handler) =>
        options.transport.onMessage((from, message) => {
          this.observe(from, message);
          handler(from, message);
        }),
      close: () => options.transport.close(),
    };
    this.host = new NodeHost<RaftConfig>({
      machine: server,
      id: options.node,
      peers: options.peers,
      config: options.joining ? { ...SERVICE_RAFT_CONFIG, joining: true } : SERVICE_RAFT_CONFIG,
      store: options.store,
      transport: observed,
      timers: options.timers ?? SERVICE_RAFT_TIMERS,
      logger: this.logger,
      onFlushed: () => this.afterFlush(),
      ...(options.commitGroup ? { commitGroup: options.commitGroup } : {}),
      ...(options.acceptFrom ? { acceptFrom: options.acceptFrom } : {}),
    });
  }

  get shard(): string {
    return this.options.shard;
  }

  /** The shard's data as this replica has applied it. */
  get state(): ShardState {
    return this.data;
  }

  /** Starts the host, and with it the data of the snapshot the server booted from (the log suffix follows as it commits). */
  start(): void {
    this.host.start();
    this.installSnapshotIfAhead();
  }

  /** Stops the host (committing what it has) and fails every waiting transaction. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.proposeScheduled) clearImmediate(this.proposeScheduled);
    await this.host.stop();
    this.failAll(() => new OutcomeUnknownError(`${this.where}: the node is stopping`));
    this.reads.failAll(() => new NotLeaderError(`${this.where}: the node is stopping`, undefined));
  }

  isLeader(): boolean {
    return this.host.status().phase === 'running' && this.role() === 'leader';
  }

  /** The node the replica believes leads its shard now, or undefined while it does not know. */
  leader(): string | undefined {
    if (this.isLeader()) return this.options.node;
    const hint = this.leaderHint;
    return hint !== undefined && hint.term === this.raft().currentTerm ? hint.node : undefined;
  }

  /**
   * Orders a command through the shard's log and resolves with what applying it gave. Throws
   * `NotLeaderError` at once on a replica that does not lead.
   */
  propose<C extends ShardCommand>(command: C): Promise<ResultOf<C>> {
    if (this.stopped || !this.isLeader()) return Promise.reject(new NotLeaderError(`${this.where}: not the leader`, this.leader()));
    const id = `${this.incarnation}.${this.nextId++}`;
    const result = new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new OutcomeUnknownError(`${this.where}: no outcome within ${this.proposalTimeoutMs} ms; the transaction may or may not have taken effect`));
      }, this.proposalTimeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
    this.queue.push({ id, json: JSON.stringify([id, command]) });
    this.scheduleProposal();
    return result as Promise<ResultOf<C>>;
  }

  /** The members of the group's latest configuration in this replica's log (thesis §4.1: in force once appended). */
  members(): readonly string[] {
    return latestConfiguration(this.raft()).members;
  }

  /** The latest configuration in this replica's log and the index of the entry that set it (0: the initial one); undefined before it starts. */
  configuration(): Configuration | undefined {
    return this.host.status().phase === 'new' ? undefined : latestConfiguration(this.raft());
  }

  /**
   * Adds a server to the shard's group or removes one, by the Raft machine's checked rule
   * (single-server changes with Ongaro's 2015 fix, models/raft/membership.ts), on this replica
   * if it leads: resolves once the configuration entry commits, or with the reason it was not
   * appended. Before asking, it refuses a change after which the group would have no majority of
   * members it hears from (as etcd's strict reconfiguration check: a server added counts as not
   * yet started) — such a change could commit only once the missing members return, and the shard
   * would take no writes until then.
   */
  async changeMembership(change: MembershipChange): Promise<MembershipOutcome> {
    if (this.stopped || !this.isLeader()) return { changed: false, status: 503, error: `${this.where}: not the leader`, retryable: true };
    const members = this.members();
    const added = 'add' in change && !members.includes(change.add) ? change.add : undefined;
    const next = added !== undefined ? [...members, added] : 'remove' in change ? members.filter((member) => member !== change.remove) : members;
    const heard = next.filter((member) => member !== added && this.hearsFrom(member));
    // A change the machine will refuse anyway (already a member, not a member) is left to it to answer.
    if (next.length !== members.length && heard.length * 2 <= next.length) {
      const missing = next.filter((member) => !heard.includes(member));
      return {
        changed: false,
        status: 409,
        error: `${this.where}: the group would be ${next.join(', ')}, of which only ${heard.join(', ') || 'none'} answer; without a majority of it (missing ${missing.join(', ')}) the change would lose the shard's quorum`,
        retryable: false,
      };
    }
    let answer: MembershipAnswer;
    try {
      answer = (await this.host.submit({ type: 'ChangeMembership', ...change }, { timeoutMs: this.proposalTimeoutMs })) as MembershipAnswer;
    } catch (error) {
      if (!(error instanceof RequestFailedError)) throw error;
      return { changed: false, status: 503, error: `${this.where}: ${error.message}; the change may or may not have been made, read the shard's members`, retryable: false };
    }
    if ('members' in answer) return { changed: true, index: answer.index, members: answer.members };
    const { error } = answer;
    const status = error === 'invalid change' || error === 'last member' ? 400 : error === 'already a member' || error === 'not a member' ? 409 : 503;
    // Changes go one at a time, and not before the leader committed an entry of its term (its blank batch): both pass soon.
    const retryable = error === 'not leader' || error === 'change in progress' || error === 'no entry committed in this term' || error === 'transfer in progress';
    return { changed: false, status: retryable ? 503 : status, error: `${this.where}: ${error}`, retryable };
  }

  /** Whether this replica heard from `node` within the last election timeout (itself: always). */
  private hearsFrom(node: string): boolean {
    if (node === this.options.node) return true;
    const timeout = (this.options.timers ?? SERVICE_RAFT_TIMERS).electionTimeout;
    return Date.now() - (this.lastHeard.get(node) ?? -Infinity) <= (typeof timeout === 'number' ? timeout : timeout.max);
  }

  /**
   * Hands this replica's leadership of the shard to the replica on node `to`, by the Raft
   * machine's checked rule (thesis §3.10, models/raft/transfer.ts): the server stops taking client
   * requests — the replica keeps its queued transactions meanwhile — catches `to` up and sends it
   * TimeoutNow, and `to` wins the election its log entitles it to. Resolves once `to` is heard
   * leading (or the transfer failed: its reason, and who leads); `to` already leading is success.
   */
  async transferLeadership(to: string): Promise<TransferOutcome> {
    if (to === this.options.node && this.isLeader()) return { transferred: true, leader: to, term: this.raft().currentTerm };
    if (this.stopped || !this.isLeader()) return { transferred: false, status: 503, error: `${this.where}: not the leader`, leader: this.leader() ?? null };
    const term = this.raft().currentTerm;
    let answer: TransferAnswer;
    try {
      // The machine answers within an election timeout (it abandons the transfer then), or steps down sooner.
      answer = (await this.host.submit({ type: 'TransferLeadership', to }, { timeoutMs: this.transferTimeoutMs() })) as TransferAnswer;
    } catch (error) {
      if (!(error instanceof RequestFailedError)) throw error;
      return { transferred: false, status: 503, error: `${this.where}: ${error.message}`, leader: this.leader() ?? null };
    } finally {
      // Transactions held while the server took none are proposed now, or told to go elsewhere.
      this.scheduleProposal();
    }
    if ('error' in answer) {
      const status = answer.error === 'transfer in progress' ? 409 : answer.error === 'unknown server' ? 400 : 503;
      return { transferred: false, status, error: `${this.where}: ${answer.error}`, leader: this.leader() ?? null };
    }
    // Stepped down: the next leader is learnt from its first AppendEntries, as after any election.
    const deadline = Date.now() + this.transferTimeoutMs();
    for (;;) {
      const hint = this.leaderHint;
      if (hint !== undefined && hint.term > term) {
        return hint.node === to ? { transferred: true, leader: to, term: hint.term } : { transferred: false, status: 409, error: `${this.where}: ${hint.node} won the election, not ${to}`, leader: hint.node };
      }
      if (Date.now() > deadline) return { transferred: false, status: 503, error: `${this.where}: stepped down for ${to}, but no leader was heard from since`, leader: null };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Longer than the machine's own limit on a transfer, one election timeout. */
  private transferTimeoutMs(): number {
    const timeout = (this.options.timers ?? SERVICE_RAFT_TIMERS).electionTimeout;
    return 2 * (typeof timeout === 'number' ? timeout : timeout.max) + 1_000;
  }

  /**
   * Answers a transaction that only reads, linearizably and without a log entry: once the Raft
   * server has confirmed a read index (thesis §6.4) and this replica has applied through it, the
   * transaction runs against the data here — locks of prepared parts refuse it as they would in
   * the log. Throws `NotLeaderError` when the replica does not lead or cannot confirm that it
   * still does; a read has no effect, so the caller may always retry it elsewhere.
   */
  read(txn: Txn): Promise<TxnResult> {
    if (!isReadOnly(txn)) return Promise.reject(new TypeError('read: the transaction writes; propose it instead'));
    if (this.stopped || !this.isLeader()) return Promise.reject(new NotLeaderError(`${this.where}: not the leader`, this.leader()));
    // A read-only transaction changes nothing when applied, so applying it here is reading.
    return this.reads.read(() => this.data.apply({ kind: 'txn', txn }));
  }

  status(): ReplicaStatus {
    const raft = this.raft();
    const phase = this.host.status().phase;
    return {
      shard: this.options.shard,
      node: this.options.node,
      role: phase === 'running' ? this.role() : 'stopped',
      term: raft.currentTerm,
      commitIndex: raft.commitIndex,
      appliedIndex: this.appliedIndex,
      logLength: raft.log.length,
      snapshotIndex: raft.lastIncludedIndex,
      revision: this.state.kv.revision,
      keys: this.state.kv.size,
      prepared: this.state.preparedParts.size,
      leader: this.leader() ?? null,
    };
  }

  /**
   * Parts prepared here for at least `ageMs` (by this replica's clock) and still not finished, with
   * their anchor shards: transactions whose coordinator may have died, for a resolver to settle.
   */
  inDoubt(ageMs: number): { readonly id: string; readonly anchor: string }[] {
    const before = Date.now() - ageMs;
    const parts = this.state.preparedParts;
    return [...this.preparedSince].filter(([id, since]) => since <= before && parts.has(id)).map(([id]) => ({ id, anchor: parts.get(id)!.anchor }));
  }

  /**
   * The digest of the applied log up to `index` (from the last snapshot's index to appliedIndex):
   * equal on two replicas iff they applied the same entries. Undefined for an index compacted away.
   */
  appliedDigest(index = this.appliedIndex): string | undefined {
    if (index === this.chainBase) return this.baseDigest;
    return index < this.chainBase ? undefined : this.chain[index - this.chainBase - 1];
  }

  /** The server's read index for the next round of reads, or `NotLeaderError` when it gives none. */
  private async confirmReadIndex(): Promise<number> {
    let reply: Json;
    try {
      reply = await this.host.submit({ type: 'ReadRequest' }, { timeoutMs: this.proposalTimeoutMs });
    } catch (error) {
      if (!(error instanceof RequestFailedError)) throw error;
      throw new NotLeaderError(`${this.where}: leadership not confirmed for the read (${error.message}); it took no effect, retry`, this.leader());
    }
    const readIndex = (reply as { readIndex?: unknown }).readIndex;
    if (typeof readIndex !== 'number') throw new NotLeaderError(`${this.where}: ${(reply as { error?: unknown }).error ?? 'no read index'}`, this.leader());
    return readIndex;
  }

  private get where(): string {
    return `${this.options.node}/${this.options.shard}`;
  }

  private raft(): RaftContext {
    return this.host.context as RaftContext;
  }

  private transferring(): boolean {
    return this.raft().transfer !== null;
  }

  private role(): 'leader' | 'candidate' | 'follower' {
    const state = this.host.status().state;
    if (state === 'follower' || state === 'candidate') return state;
    return 'leader';
  }

  /** Who leads: the sender of an AppendEntries of the current term (only a leader sends those, §5.3). */
  private observe(from: string, message: Message): void {
    this.lastHeard.set(from, Date.now());
    if (message.type === 'AppendEntries' && typeof message.term === 'number' && (this.leaderHint === undefined || message.term >= this.leaderHint.term)) {
      this.leaderHint = { node: from, term: message.term };
    }
  }

  private scheduleProposal(): void {
    this.proposeScheduled ??= setImmediate(() => {
      this.proposeScheduled = undefined;
      this.proposeQueued();
    });
  }

  /** Proposes queued transactions, a batch per entry, while the in-flight limit allows. */
  private proposeQueued(): void {
    // A leader handing its leadership over takes no client request (thesis §3.10): the queue waits
    // for the transfer's end — proposed here if it failed, refused below once this replica stepped down.
    if (this.transferring()) return;
    while (this.queue.length > 0 && this.inFlight() < this.maxInFlight) {
      if (this.stopped || !this.isLeader()) {
        const hint = this.leader();
        for (const { id } of this.queue.splice(0)) this.settle(id, (waiter) => waiter.reject(new NotLeaderError(`${this.where}: lost leadership before proposing`, hint)));
        return;
      }
      const batch = this.queue.splice(0, this.batchLength());
      // The JSON of `{ batch: [[id, command], …] }` (a `Batch`), from each command's own JSON.
      const value = `{"batch":[${batch.map(({ json }) => json).join(',')}]}`;
      this.host.inject({ type: 'ClientRequest', value });
      const raft = this.raft();
      const index = lastLogIndex(raft);
      if (entryAt(raft, index)?.value !== value) {
        for (const { id } of batch) this.settle(id, (waiter) => waiter.reject(new NotLeaderError(`${this.where}: the leader did not take the proposal`, this.leader())));
        continue;
      }
      this.proposals.set(index, { term: raft.currentTerm, ids: batch.map(({ id }) => id) });
    }
  }

  /** How many queued commands the next entry takes: up to `maxBatch`, and about MAX_ENTRY_BYTES (at least one). */
  private batchLength(): number {
    let bytes = 0;
    let length = 0;
    while (length < this.queue.length && length < this.maxBatch) {
      bytes += this.queue[length]!.json.length;
      if (length > 0 && bytes > MAX_ENTRY_BYTES) break;
      length++;
    }
    return length;
  }

  /**
   * Proposals of the current term not yet applied. Those of an earlier term do not count: they
   * commit (or are overwritten) only once an entry of a later term commits (§5.4.2), so letting them
   * hold the limit could stall a re-elected leader for good.
   */
  private inFlight(): number {
    const term = this.raft().currentTerm;
    let count = 0;
    for (const proposal of this.proposals.values()) if (proposal.term === term) count++;
    return count;
  }

  /** After each durable batch of the host: apply what is newly committed, then propose what waits. */
  private afterFlush(): void {
    const raft = this.raft();
    if (this.isLeader() && this.noOpTerm !== raft.currentTerm && !this.transferring()) {
      // Raft §8: a new leader commits a blank entry of its term at once, which commits every entry
      // of earlier terms it holds (§5.4.2) instead of leaving them, and the reads queued behind
      // them, until the next client write.
      this.noOpTerm = raft.currentTerm;
      this.host.inject({ type: 'ClientRequest', value: JSON.stringify({ batch: [] } satisfies Batch) });
    }
    if (!this.installSnapshotIfAhead()) return;
    while (this.appliedIndex < raft.commitIndex) {
      const index = this.appliedIndex + 1;
      this.apply(index, entryAt(raft, index)!);
    }
    this.reads.applied();
    this.compactIfDue();
    if (this.queue.length > 0) this.scheduleProposal();
  }

  /**
   * Thesis §5.1: once `compactEvery` entries, or `compactBytes` bytes of them, were applied since
   * the last snapshot, the data is snapshotted at appliedIndex and the server compacts its log through there. The server persists
   * the snapshot and drops the prefix in its next batch; until then a crash restarts from the
   * previous snapshot and the longer suffix, which is as good.
   */
  private compactIfDue(): void {
    const raft = this.raft();
    if (this.appliedIndex - raft.lastIncludedIndex < this.compactEvery && this.bytesSinceSnapshot < this.compactBytes) return;
    const digest = this.appliedDigest()!;
    const snapshot: ShardSnapshot = { digest, shard: this.data.image() };
    this.host.inject({ type: 'Compact', index: this.appliedIndex, snapshot: JSON.stringify(snapshot) });
    if (this.raft().lastIncludedIndex !== this.appliedIndex) {
      this.logger.warn('the Raft server refused to compact', { index: this.appliedIndex, commitIndex: raft.commitIndex });
      return;
    }
    this.chain = [];
    this.chainBase = this.appliedIndex;
    this.baseDigest = digest;
    this.bytesSinceSnapshot = 0;
  }

  /**
   * Figure 5.3 step 8: when the server's snapshot covers entries this replica has not applied (it
   * booted from it, or a leader sent it), the data is reset from the snapshot. Proposals the
   * snapshot covers have an outcome this replica cannot see: their callers are told so. False if
   * the snapshot could not be read — the replica then stops rather than apply later entries to the
   * wrong data.
   */
  private installSnapshotIfAhead(): boolean {
    const raft = this.raft();
    if (raft.lastIncludedIndex <= this.appliedIndex) return true;
    let snapshot: ShardSnapshot;
    let data: ShardState;
    try {
      snapshot = JSON.parse(raft.snapshot!) as ShardSnapshot;
      data = new ShardState(snapshot.shard);
      if (typeof snapshot.digest !== 'string') throw new TypeError('no digest');
    } catch (error) {
      this.logger.error('a snapshot that is not a shard snapshot: the replica stops', { index: raft.lastIncludedIndex, error: (error as Error).message });
      void this.stop();
      return false;
    }
    this.data = data;
    this.appliedIndex = raft.lastIncludedIndex;
    this.bytesSinceSnapshot = 0;
    this.chain = [];
    this.chainBase = raft.lastIncludedIndex;
    this.baseDigest = snapshot.digest;
    const now = Date.now();
    this.preparedSince.clear();
    for (const id of data.preparedParts.keys()) this.preparedSince.set(id, now);
    for (const [index, proposal] of [...this.proposals]) {
      if (index > raft.lastIncludedIndex) continue;
      this.proposals.delete(index);
      for (const id of proposal.ids) this.settle(id, (waiter) => waiter.reject(new OutcomeUnknownError(`${this.where}: a snapshot replaced the entry before it was applied here`)));
    }
    this.logger.info('installed a snapshot', { index: raft.lastIncludedIndex, term: raft.lastIncludedTerm });
    return true;
  }

  /** Applies entry `index` to the data, answering the transactions this replica proposed in it. */
  private apply(index: number, entry: LogEntry): void {
    this.appliedIndex = index;
    this.bytesSinceSnapshot += entry.value.length;
    const previous = this.appliedDigest(index - 1)!;
    this.chain.push(createHash('sha256').update(`${previous}\n${index} ${entry.term} ${entry.value}`).digest('hex'));
    const proposal = this.proposals.get(index);
    if (proposal !== undefined) {
      this.proposals.delete(index);
      if (proposal.term !== entry.term) {
        // Another leader's entry committed where ours stood: ours is gone for good (Log Matching).
        for (const id of proposal.ids) this.settle(id, (waiter) => waiter.reject(new NotLeaderError(`${this.where}: leadership changed before the transaction committed`, this.leader())));
      }
    }
    if (entry.config !== undefined) {
      // A configuration entry (thesis §4.1): the Raft server uses it from the moment it is appended; the data has nothing to apply.
      this.options.onConfiguration?.(entry.config, index);
      return;
    }
    const batch = parseBatch(entry.value);
    if (batch === undefined) {
      // Not written by this service (every replica skips it alike, so the data stays the same everywhere).
      this.logger.warn('a committed entry that is not a batch of transactions: skipped', { index, term: entry.term });
      return;
    }
    for (const [id, command] of batch.batch) {
      const result = this.data.apply(command);
      if (command.kind === 'prepare' && !this.preparedSince.has(command.id) && this.data.preparedParts.has(command.id)) this.preparedSince.set(command.id, Date.now());
      if (command.kind === 'finish') this.preparedSince.delete(command.id);
      this.settle(id, (waiter) => waiter.resolve(result));
    }
  }

  private settle(id: string, how: (waiter: Waiter) => void): void {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return;
    this.waiters.delete(id);
    clearTimeout(waiter.timer);
    how(waiter);
  }

  private failAll(error: () => Error): void {
    this.queue.splice(0);
    for (const id of [...this.waiters.keys()]) this.settle(id, (waiter) => waiter.reject(error()));
  }
}

function parseBatch(value: string): Batch | undefined {
  try {
    const parsed = JSON.parse(value) as Json;
    return typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { batch?: unknown }).batch) ? (parsed as unknown as Batch) : undefined;
  } catch {
    return undefined;
  }
}
