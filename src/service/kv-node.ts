import { SlowDisk } from './slow-disk.ts';
import { mkdirSync, readdirSync } from 'node:fs';
import { type Agent, createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../runtime/index.ts';
import { validateRaftMessage } from '../protocols/raft/index.ts';
import { CommitGroup, type PeerAddress, SqliteFile, stderrLogger, TcpTransport } from '../runtime/index.ts';
import { carriesBearer } from './bearer-token.ts';
import { type ClusterConfig, limitsOf, type NodeAddress } from './cluster-config.ts';
import type { ClusterMap, ClusterMapImage } from './cluster-map.ts';
import { type Hosting, NodeRecords } from './node-records.ts';
import { type AdminAnswer, MembershipAdmin } from './membership-admin.ts';
import { HashRing } from './hash-ring.ts';
import { apiHandler } from './http-api.ts';
import { answerMalformedRequests, keepAliveAgent, requestJson } from './http-json.ts';
import { readTlsFiles, type TlsMaterial } from './tls-files.ts';
import { ShardMux } from './shard-mux.ts';
import { NotLeaderError, OutcomeUnknownError, ShardReplica } from './shard-replica.ts';
import { type CommandOutcome, CrossShardCoordinator, type ShardRouter, splitByShard } from './cross-shard-coordinator.ts';
import { InDoubtResolver } from './in-doubt-resolver.ts';
import { TxnMemoryPruner } from './txn-memory-pruner.ts';
import { LeaderPlacement } from './leader-placement.ts';
import { CommandForwarder } from './command-forwarder.ts';
import type { ClusterStatus, NodeStatus, ServedNode, TxnOutcome } from './served-node.ts';
import type { ResultOf, ShardCommand } from './shard-command.ts';
import { isReadOnly, type Txn } from './txn.ts';

/** How many nodes a command may be forwarded through (a stale leader hint can send it on once more). */
const MAX_HOPS = 2;
/** How long a node keeps looking for a shard's leader (an election takes up to an election timeout or two). */
const LEADER_WAIT_MS = 5_000;
/**
 * Raft frames carry up to 16 entries of about 1 MiB each (`MAX_ENTRY_BYTES`, the service's
 * `maxEntriesPerAppend`), so the frame limit is set well above the transport's default of 1 MiB.
 */
const RAFT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/**
 * How long a part of a transaction across shards may stay prepared before its shard's leader asks
 * the anchor for the decision. A live coordinator finishes within milliseconds to a second under
 * load; resolving sooner would abort transactions it is still driving.
 */
const RESOLVE_AFTER_MS = 5_000;
/** How often a node exchanges its cluster map with another node (membership-admin.ts). */
const GOSSIP_EVERY_MS = 2_000;
/** How long a booting node waits for the other nodes' maps before it starts its replicas. */
const BOOT_MAP_WAIT_MS = 500;

/**
 * One node process of the key-value service: a replica of each shard placed on it (each the Raft
 * server machine in a NodeHost, on its own SQLite file), all talking to the other nodes over one
 * TCP transport (`ShardMux`), and the HTTP API.
 *
 * Routing. A request's keys are hashed to their shard (`HashRing`). If this node's replica of the
 * shard leads, it proposes the transaction; otherwise the node FORWARDS it, as a shard command, to
 * the node it believes leads (learned from the AppendEntries it receives; `CommandForwarder` puts
 * all of one turn's commands for a node in one request) and relays the answer, so a client may
 * talk to any node. While no leader is known (an election), it waits and retries for a few seconds.
 * A transaction whose keys live on several shards is coordinated here (`CrossShardCoordinator`),
 * each of its commands routed the same way; this node's leaders also resolve the parts their
 * shards hold in doubt (`InDoubtResolver`).
 */
export class KvNode implements ShardRouter, ServedNode {
  readonly ring: HashRing;
  private readonly replicas = new Map<string, ShardReplica>();
  /** Keep-alive connections to the other nodes' HTTP APIs: HTTPS trusting the cluster's CA alone when TLS is on. */
  private readonly agent: Agent;
  private readonly coordinator: CrossShardCoordinator;
  private readonly forwarder: CommandForwarder;
  private readonly resolver: InDoubtResolver;
  /** Forgets finished transactions across shards below a watermark (txn-memory-pruning.ts); runs on the leader of the first shard. */
  private readonly pruner: TxnMemoryPruner;
  /** Moves the leadership of shards led here to their preferred leaders (unless `leaderPlacement: 'elected'`). */
  private readonly placement: LeaderPlacement;
  /** Adds and removes nodes and replicas (the admin routes). */
  readonly membership: MembershipAdmin;
  private readonly mux: ShardMux;
  private gossip: NodeJS.Timeout | undefined;
  private http: Server | undefined;
  private stopping = false;

  private constructor(
    readonly config: ClusterConfig,
    private readonly transport: TcpTransport,
    private readonly file: SqliteFile,
    private readonly records: NodeRecords,
    private readonly commitGroup: CommitGroup,
    private readonly logger: Logger,
    private readonly tls: TlsMaterial | undefined,
    private readonly slowDisk: SlowDisk | undefined,
  ) {
    this.agent = keepAliveAgent(512, tls ? { ca: tls.ca } : undefined);
    const shardIds = config.shards.map((shard) => shard.id);
    this.ring = new HashRing(shardIds, config.virtualNodes);
    this.mux = new ShardMux(transport, shardIds);
    this.coordinator = new CrossShardCoordinator(this, config.self);
    this.forwarder = new CommandForwarder((node) => this.endpointOf(this.addressOf(node)), config.clusterSecret, this.agent, logger);
    this.resolver = new InDoubtResolver(() => this.replicas.values(), this, { resolveAfterMs: RESOLVE_AFTER_MS, intervalMs: RESOLVE_AFTER_MS / 5, logger });
    const firstShard = shardIds[0]!;
    this.placement = new LeaderPlacement(config.self, () => this.replicas.values(), (shard) => this.preferredLeaderOf(shard), { logger });
    this.pruner = new TxnMemoryPruner(this, shardIds, () => this.replicas.get(firstShard)?.isLeader() === true, { logger });
    this.membership = new MembershipAdmin(this, { logger });
  }

  /** This node's map of the cluster: nodes and where shards' replicas are (cluster-map.ts). */
  get map(): ClusterMap {
    return this.records.map;
  }

  /** Opens the replicas' stores, binds the Raft and HTTP ports, and starts every replica. */
  static async start(config: ClusterConfig, options: { readonly logger?: Logger } = {}): Promise<KvNode> {
    const logger = options.logger ?? stderrLogger(config.self);
    const self = config.nodes.find((node) => node.id === config.self)!;
    // Read before anything is opened: a bad file stops the start with its reason (tls-files.ts).
    const tls = config.tls ? readTlsFiles(config.tls) : undefined;
    const limits = limitsOf(config);
    mkdirSync(config.dataDir, { recursive: true });
    const file = openDataFile(config.dataDir);
    let records: NodeRecords;
    try {
      records = NodeRecords.open(file, config);
    } catch (error) {
      file.close();
      throw error;
    }
    const transport = await TcpTransport.listen({
      id: config.self,
      secret: config.clusterSecret,
      listen: { host: self.host, port: self.raftPort },
      // Every node of the cluster, whether or not it holds a replica of a shard here: replicas move.
      peers: Object.fromEntries(
        records.map
          .liveNodes()
          .filter((node) => node.id !== config.self)
          .map((node) => [node.id, dialAddress(config, node)]),
      ),
      validate: ShardMux.validator(
        config.shards.map((shard) => shard.id),
        validateRaftMessage,
      ),
      maxFrameBytes: RAFT_MAX_FRAME_BYTES,
      maxQueuedMessages: 256,
      inboundLimits: { perPeer: limits.maxConnectionsPerPeer, pendingPerAddress: limits.maxHandshakesPerAddress },
      ...(tls ? { tls } : {}),
      logger,
    }).catch((error: unknown) => {
      file.close();
      throw error;
    });
    const slowDisk = config.slowDiskForTesting !== undefined ? new SlowDisk(config.slowDiskForTesting, logger) : undefined;
    const commitGroup = new CommitGroup((work) => {
      slowDisk?.beforeCommit();
      return file.transaction(work);
    });
    const node = new KvNode(config, transport, file, records, commitGroup, logger, tls, slowDisk);
    for (const [shard, hosting] of records.hosted) node.openReplica(shard, hosting);
    // Before a replica can campaign: what the cluster changed while this node was down.
    await node.membership.exchangeMapsAtBoot(BOOT_MAP_WAIT_MS);
    for (const replica of node.replicas.values()) replica.start();
    node.dropRemovedReplicas();
    node.resolver.start();
    node.pruner.start();
    if (config.leaderPlacement !== 'elected') node.placement.start();
    node.startGossip();
    // HTTPS from TLS 1.2 on (RFC 9325 §3.1.1), which any current client speaks; no client certificate asked.
    const http = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, apiHandler(node)) : createServer(apiHandler(node));
    http.keepAliveTimeout = 30_000;
    // Requests Node refuses before the handler (unparsable, CONNECT, an unknown Expect) get a JSON 4xx too.
    answerMalformedRequests(http);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(self.httpPort, self.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    node.http = http;
    return node;
  }

  get id(): string {
    return this.config.self;
  }

  get endpoint(): string {
    return this.endpointOf(this.config.nodes.find((node) => node.id === this.config.self)!);
  }

  /**
   * Opens and registers (does not start) this node's replica of `shard`, booted as `hosting`
   * says. It hears from every node of the cluster: its group's members change (thesis ch. 4).
   */
  private openReplica(shard: string, hosting: Hosting): ShardReplica {
    const { config } = this;
    const replica = new ShardReplica({
      shard,
      node: config.self,
      peers: hosting.peers,
      ...(hosting.joining ? { joining: true } : {}),
      store: this.file.store(shard),
      commitGroup: this.commitGroup,
      transport: this.mux.transportFor(shard),
      logger: this.logger,
      acceptFrom: (from) => this.map.node(from) !== undefined,
      onConfiguration: (members, index) => this.mergeMap({ nodes: [], shards: [{ id: shard, replicas: members, index }] }),
      ...(config.timers ? { timers: config.timers } : {}),
      ...(config.compactEvery !== undefined ? { compactEvery: config.compactEvery } : {}),
      ...(config.compactBytes !== undefined ? { compactBytes: config.compactBytes } : {}),
    });
    this.replicas.set(shard, replica);
    return replica;
  }

  /**
   * Starts a replica of `shard` here that joins its group (thesis §4.2): empty, booted with the
   * group's members as peers, never campaigning until the leader's configuration entry adding it
   * reaches it. Recorded before it starts, so a restart boots it the same way. Already holding
   * one: nothing to do.
   */
  hostReplica(shard: string, members: readonly string[]): 'started' | 'held' {
    if (this.replicas.has(shard)) return 'held';
    const hosting: Hosting = { peers: members.filter((member) => member !== this.id), joining: true };
    this.records.host(shard, hosting);
    this.openReplica(shard, hosting).start();
    this.logger.info('started a replica joining its group', { shard, members });
    return 'started';
  }

  /**
   * Stops this node's replica of `shard` and erases what it stored: called once the group's
   * configuration without this node committed (or to undo a replica started for an add that did
   * not happen). The record goes first, so a crash midway leaves at worst data no replica reads.
   */
  async dropReplica(shard: string): Promise<boolean> {
    const replica = this.replicas.get(shard);
    if (replica === undefined) return false;
    this.replicas.delete(shard);
    this.records.drop(shard);
    await replica.stop();
    this.file.erase(shard);
    this.logger.info('dropped the replica and its data', { shard });
    return true;
  }

  /**
   * Takes in another node's map (or a configuration learnt here): dials the nodes that joined,
   * forgets those removed, and makes the map durable if it changed.
   */
  mergeMap(image: ClusterMapImage): void {
    const changes = this.map.merge(image);
    if (!changes.changed) return;
    for (const node of changes.joined) if (node.id !== this.id) this.transport.addPeer(node.id, dialAddress(this.config, node));
    for (const node of changes.left) {
      if (node === this.id) this.logger.warn('this node was removed from the cluster: stop it');
      else this.transport.removePeer(node);
    }
    this.records.save();
    this.dropRemovedReplicas();
  }

  /**
   * Drops the replicas whose group committed a configuration without them that they never
   * learnt of: removed while this node was down, the leader could not tell them to go, and it no
   * longer replicates to them. Left running, such a replica hears from no leader, times out and
   * campaigns in ever higher terms, and each RequestVote deposes the group's leader (thesis
   * §4.2.3). The map's configuration for a shard comes from a replica that applied it, so it is
   * committed; it is later than the replica's own when its index is higher. A replica that is
   * still joining (no configuration with it yet) is not a removed one and stays.
   */
  dropRemovedReplicas(): void {
    for (const [shard, replica] of this.replicas) {
      const mapped = this.map.shard(shard);
      if (mapped === undefined || mapped.replicas.includes(this.id)) continue;
      const own = replica.configuration();
      if (own === undefined || !own.members.includes(this.id) || own.index >= mapped.index) continue;
      this.logger.warn('the group removed this replica while it was away: dropping it', { shard, members: mapped.replicas, index: mapped.index });
      void this.dropReplica(shard);
    }
  }

  /**
   * Every couple of seconds, this node and one other node at random exchange maps: a node that
   * was down while the cluster changed, or missed an admin's broadcast, catches up within seconds.
   */
  private startGossip(): void {
    const exchange = (): void => {
      const others = this.map.liveNodes().filter((node) => node.id !== this.id);
      const other = others[Math.floor(Math.random() * others.length)];
      if (other !== undefined) void this.membership.exchangeMaps(other.id);
    };
    exchange();
    this.gossip = setInterval(exchange, GOSSIP_EVERY_MS);
    this.gossip.unref();
  }

  /**
   * The node that should lead `shard` (leader-placement.ts): the first replica of the config
   * file's placement until the group's membership changes, then its members in turn by the
   * shard's position, so that leaders stay spread over the nodes.
   */
  private preferredLeaderOf(shard: string): string {
    const mapped = this.map.shard(shard)!;
    if (mapped.index === 0) return mapped.replicas[0]!;
    const members = [...mapped.replicas].sort();
    const position = this.config.shards.findIndex((s) => s.id === shard);
    return members[position % members.length]!;
  }

  /** A node of the cluster's HTTP and Raft addresses; throws for an id the map does not hold. */
  addressOf(node: string): NodeAddress {
    const address = this.map.node(node);
    if (!address) throw new Error(`no address for node ${node}`);
    return address;
  }

  /** The replica of `shard` on this node, if it holds one. */
  replica(shard: string): ShardReplica | undefined {
    return this.replicas.get(shard);
  }

  /**
   * Runs a client's transaction: on the shard of its keys when they all live on one (`runOn`), else
   * as a transaction across shards coordinated by this node (`CrossShardCoordinator`).
   */
  async execute(txn: Txn): Promise<TxnOutcome> {
    const parts = splitByShard(txn, (key) => this.ring.shardOf(key));
    if (parts.length > 1) return this.coordinator.run(parts);
    const shard = parts[0]!.shard;
    return this.runOn(shard, { kind: 'txn', txn });
  }

  /**
   * Runs a command on `shard`'s leader: proposed here if this node's replica leads, else forwarded
   * to the node believed to lead (`hops`: how many nodes forwarded it already). While no leader is
   * known (an election), it waits and retries for a few seconds.
   */
  async runOn<C extends ShardCommand>(shard: string, command: C, hops = 0): Promise<CommandOutcome<ResultOf<C>>> {
    const deadline = Date.now() + LEADER_WAIT_MS;
    let lastProblem = 'no leader is known';
    while (!this.stopping) {
      const replica = this.replicas.get(shard);
      if (replica?.isLeader()) {
        try {
          // A transaction that only reads is served by ReadIndex, with no log entry (thesis §6.4).
          const result = command.kind === 'txn' && isReadOnly(command.txn) ? await replica.read(command.txn) : await replica.propose(command);
          return { kind: 'done', shard, result: result as ResultOf<C> };
        } catch (error) {
          if (error instanceof OutcomeUnknownError) return { kind: 'error', status: 503, body: { error: error.message, shard, outcome: 'unknown' } };
          if (!(error instanceof NotLeaderError)) throw error;
          lastProblem = error.message;
        }
      } else if (hops < MAX_HOPS) {
        const target = this.leaderOf(shard);
        if (target !== undefined && target !== this.id) {
          const forwarded = await this.forward<ResultOf<C>>(target, shard, command, hops + 1);
          if (forwarded !== undefined) return forwarded;
          lastProblem = `forwarding to ${target} failed`;
        }
      }
      if (Date.now() > deadline) break;
      await sleep(25);
    }
    return { kind: 'error', status: 503, body: { error: `shard ${shard} has no reachable leader right now (${lastProblem}); the command was not applied, retry`, shard, retryable: true } };
  }

  /**
   * Moves `shard`'s leadership to node `to` (an operator's request, `POST /admin/shards/<shard>/transfer`),
   * at the shard's leader (`atLeader`). Refuses what cannot be done before touching anything: an
   * unknown shard (404), a node that is not in the cluster or holds no replica of the shard (400).
   */
  async transferLeadership(shard: string, to: string, hops = 0): Promise<AdminAnswer> {
    const mapped = this.map.shard(shard);
    if (mapped === undefined) return { status: 404, body: { error: `unknown shard ${JSON.stringify(shard)}; the shards are ${this.config.shards.map((s) => s.id).join(', ')}` } };
    if (this.map.node(to) === undefined) return { status: 400, body: { error: `unknown node ${JSON.stringify(to)}; the nodes are ${this.map.liveNodes().map((n) => n.id).join(', ')}` } };
    if (!mapped.replicas.includes(to)) return { status: 400, body: { error: `${to} holds no replica of shard ${shard} (its replicas: ${mapped.replicas.join(', ')}), so it cannot lead it` } };
    return this.atLeader(shard, hops, `/admin/shards/${encodeURIComponent(shard)}/transfer`, { to }, async (replica) => {
      const from = this.id;
      const outcome = await replica.transferLeadership(to);
      return outcome.transferred
        ? { status: 200, body: { shard, from, leader: outcome.leader, term: outcome.term } }
        : { status: outcome.status, body: { shard, error: outcome.error, leader: outcome.leader, ...(outcome.status === 503 ? { retryable: true } : {}) } };
    });
  }

  /**
   * Runs an operator's request on `shard`'s leader: `here` on this node if its replica leads, else
   * POSTs `body` to `path` on the node believed to lead, as `runOn` forwards commands (`hops`: how
   * many nodes forwarded it already). An answer marked retryable (no leader, or one busy with a
   * change) is tried again until LEADER_WAIT_MS have passed.
   */
  async atLeader(shard: string, hops: number, path: string, body: object, here: (replica: ShardReplica) => Promise<AdminAnswer>): Promise<AdminAnswer> {
    const deadline = Date.now() + LEADER_WAIT_MS;
    let last: AdminAnswer = { status: 503, body: { shard, error: `shard ${shard} has no reachable leader right now; nothing was changed, retry`, retryable: true } };
    while (!this.stopping) {
      const replica = this.replicas.get(shard);
      const target = replica?.isLeader() ? this.id : this.leaderOf(shard);
      if (target === this.id && replica !== undefined) {
        last = await here(replica);
      } else if (hops < MAX_HOPS && target !== undefined && target !== this.id) {
        try {
          const response = await this.callNode(target, 'POST', `${path}?hops=${hops + 1}`, body, { asClient: true });
          last = { status: response.status, body: response.body as object };
        } catch {
          // The node believed to lead did not answer: look again.
        }
      }
      if (!(last.status === 503 && (last.body as { retryable?: boolean }).retryable === true) || Date.now() > deadline) return last;
      await sleep(25);
    }
    return last;
  }

  /**
   * A request to another node's HTTP API: with the cluster secret (routes between nodes), or as
   * a client would send it (`asClient`: the client token, for the admin routes a node forwards).
   */
  async callNode(node: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: object, options: { readonly asClient?: boolean; readonly timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
    const token = options.asClient ? this.config.clientToken : this.config.clusterSecret;
    return requestJson(`${this.endpointOf(this.addressOf(node))}${path}`, {
      method,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: options.timeoutMs ?? 30_000,
      agent: this.agent,
      ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  }

  /** Whether a request's `authorization` header carries the cluster's secret (compared in constant time). */
  fromClusterNode(authorization: string | undefined): boolean {
    return carriesBearer(authorization, this.config.clusterSecret);
  }

  /** This node's own view: its replicas. */
  nodeStatus(): NodeStatus {
    return { node: this.id, http: this.endpoint, replicas: [...this.replicas.values()].map((replica) => replica.status()), inDoubtResolved: { ...this.resolver.resolved } };
  }

  /** Every node's view gathered (a node that does not answer within a second is shown as down). */
  async clusterStatus(): Promise<ClusterStatus> {
    const views = await Promise.all(
      this.map.liveNodes().map(async (node) => {
        if (node.id === this.id) return { node, status: this.nodeStatus() };
        try {
          const response = await requestJson(`${this.endpointOf(node)}/status?local=1`, {
            timeoutMs: 1_000,
            agent: this.agent,
            ...(this.config.clientToken !== undefined ? { headers: { authorization: `Bearer ${this.config.clientToken}` } } : {}),
          });
          if (response.status !== 200) return { node, error: `status ${response.status}` };
          return { node, status: response.body as NodeStatus };
        } catch (error) {
          return { node, error: (error as Error).message };
        }
      }),
    );
    const members = views.flatMap((view) => view.status?.replicas ?? []);
    return {
      node: this.id,
      nodes: views.map(({ node, status, error }) => ({
        id: node.id,
        http: this.endpointOf(node),
        raft: `${node.host}:${node.raftPort}`,
        up: status !== undefined,
        ...(error !== undefined ? { error } : {}),
      })),
      shards: this.map.allShards().map((shard) => {
        const replicas = members.filter((member) => member.shard === shard.id);
        const leader = replicas.filter((member) => member.role === 'leader').sort((a, b) => b.term - a.term)[0];
        return {
          id: shard.id,
          replicas: shard.replicas,
          leader: leader?.node ?? null,
          term: Math.max(0, ...replicas.map((member) => member.term)),
          commitIndex: Math.max(0, ...replicas.map((member) => member.commitIndex)),
          members: replicas,
        };
      }),
    };
  }

  /** Stops the HTTP server, every replica (committing what they hold) and the transport. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.resolver.stop();
    this.pruner.stop();
    this.placement.stop();
    clearInterval(this.gossip);
    const http = this.http;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    await Promise.all([...this.replicas.values()].map((replica) => replica.stop()));
    this.records.close();
    this.file.close();
    this.slowDisk?.close();
    await this.transport.close();
    this.agent.destroy();
  }

  /** A node's HTTP endpoint: https:// when the cluster runs TLS. */
  private endpointOf(node: NodeAddress): string {
    return `${this.tls ? 'https' : 'http'}://${node.host}:${node.httpPort}`;
  }

  /** The node that leads `shard` as far as this node knows; for a shard it holds no replica of, one of its replicas' nodes. */
  private leaderOf(shard: string): string | undefined {
    const replica = this.replicas.get(shard);
    if (replica) return replica.leader();
    const replicas = (this.map.shard(shard)?.replicas ?? []).filter((node) => node !== this.id && this.map.node(node) !== undefined);
    return replicas[Math.floor(Math.random() * replicas.length)];
  }

  /** Sends the command to `node`; undefined when it was refused or the node does not lead either (not applied: retry). */
  private async forward<R>(node: string, shard: string, command: ShardCommand, hops: number): Promise<CommandOutcome<R> | undefined> {
    const outcome = await this.forwarder.forward(node, { shard, command, hops });
    if (outcome === 'refused') return undefined;
    const body = outcome.body as { result?: R; retryable?: boolean; error?: string };
    if (outcome.status === 200) return { kind: 'done', shard, result: body.result as R };
    if (outcome.status === 503 && body.retryable === true) return undefined;
    return { kind: 'error', status: outcome.status, body: { ...body, error: body.error ?? `node ${node} answered ${outcome.status}` } };
  }
}

/**
 * The node's one SQLite file, `<dataDir>/node.sqlite`: every replica it holds keeps its Raft state
 * there under its shard's name, so that one fsync commits all of their batches (`CommitGroup`).
 * A data folder laid out one file per shard (`<shard>.sqlite`, before the replicas shared a file)
 * is refused rather than silently started empty beside it.
 */
function openDataFile(dataDir: string): SqliteFile {
  const legacy = readdirSync(dataDir).filter((name) => /^[^.]+\.sqlite$/.test(name) && name !== DATA_FILE);
  if (legacy.length > 0) {
    throw new Error(`${dataDir} holds ${legacy.join(', ')}: replicas in one file per shard, an older layout this build does not read; start from an empty data folder`);
  }
  return new SqliteFile(join(dataDir, DATA_FILE));
}

const DATA_FILE = 'node.sqlite';

/** Where this node dials `node`'s Raft port: its own address, or the config's override (config.dialAddresses: the nemesis's proxies). */
function dialAddress(config: ClusterConfig, node: NodeAddress): PeerAddress {
  return config.dialAddresses?.[node.id] ?? { host: node.host, port: node.raftPort };
}

