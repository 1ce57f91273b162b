import { seededRandom, type TimerPolicy } from '../runtime/index.ts';
import { type ClusterStatus, HashRing, LocalCluster, type NodeAddress } from '../service/index.ts';
import { LinkProxy, type LinkFaults, type PartitionMode } from './link-proxy.ts';

export interface NemesisClusterOptions {
  readonly nodes: number;
  readonly shards: number;
  /** The run's folder: one data folder, config and log per node. */
  readonly dataDir: string;
  /** Seeds the proxies' draws (each link its own stream). */
  readonly seed: number;
  readonly timers?: TimerPolicy;
  /** The deliberately broken build (cluster-config.ts): for the test that the suite catches it. */
  readonly unsafeForTesting?: 'follower-reads';
  /** A node process that exits without having been told to (its code or signal). */
  readonly onUnexpectedExit?: (node: string, how: string) => void;
}

/**
 * A local cluster (`unanimous serve`'s LocalCluster: `unanimous node --config` processes, each
 * with its stdin a pipe from here and its output in `<dataDir>/<node>.log`) with a fault-injecting
 * proxy on every directed link between nodes (link-proxy.ts): node A reaches B's Raft port only
 * through the proxy of A→B (`dialAddresses` in A's config). It starts, kills (-9), restarts,
 * pauses (SIGSTOP) and resumes (SIGCONT) nodes, and partitions, slows, drops and duplicates on
 * the links.
 *
 * Only the Raft links go through the proxies. Clients' HTTP and the commands nodes forward to each
 * other over HTTP do not, so a partition here separates the replication network — the consensus
 * traffic — while clients can still reach every node, and a node on the minority side still
 * reaches the leaders by forwarding: a partition of the cluster's back-end network.
 */
/** How long each commit of a node with a slow disk waits first (slow-fsync). */
export const SLOW_DISK_MS = 200;

export class NemesisCluster {
  private readonly paused = new Set<string>();
  /** Nodes whose disk is slow, by the process id that was switched (a restart has a fast disk). */
  private readonly slowDisks = new Map<string, number>();
  readonly ring: HashRing;

  private constructor(
    private readonly cluster: LocalCluster,
    /** By `${from}→${to}`. */
    readonly proxies: ReadonlyMap<string, LinkProxy>,
  ) {
    const any = cluster.configs.values().next().value!;
    this.ring = new HashRing(
      any.shards.map((shard) => shard.id),
      any.virtualNodes,
    );
  }

  /** Starts the proxies, writes the configs, starts every node and waits until every shard has a leader. */
  static async start(options: NemesisClusterOptions): Promise<NemesisCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 9) throw new Error(`nodes: a whole number from 1 to 9, not ${options.nodes}`);
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > 64) throw new Error(`shards: a whole number from 1 to 64, not ${options.shards}`);
    const random = seededRandom(options.seed);
    const proxies = new Map<string, LinkProxy>();
    const links = async (nodes: readonly NodeAddress[]) => {
      for (const from of nodes) {
        for (const to of nodes) {
          if (from === to) continue;
          const proxy = await LinkProxy.start({ from: from.id, to: to.id, target: { host: to.host, port: to.raftPort }, random: seededRandom(Math.floor(random() * 2 ** 32)) });
          proxies.set(proxy.name, proxy);
        }
      }
      return (from: string, to: string) => proxies.get(`${from}→${to}`)!.address;
    };
    try {
      const cluster = await LocalCluster.start({
        nodes: options.nodes,
        shards: options.shards,
        dataDir: options.dataDir,
        links,
        slowDiskForTesting: SLOW_DISK_MS,
        ...(options.timers ? { timers: options.timers } : {}),
        ...(options.unsafeForTesting ? { unsafeForTesting: options.unsafeForTesting } : {}),
        ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
      });
      return new NemesisCluster(cluster, proxies);
    } catch (error) {
      await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
      throw error;
    }
  }

  get nodeIds(): string[] {
    return this.cluster.nodeIds;
  }

  get shardIds(): string[] {
    return this.cluster.configs.values().next().value!.shards.map((shard) => shard.id);
  }

  endpoint(node: string): string {
    return this.cluster.endpoint(node);
  }

  logFile(node: string): string {
    return this.cluster.logFile(node);
  }

  isRunning(node: string): boolean {
    return this.cluster.pid(node) !== undefined;
  }

  isPaused(node: string): boolean {
    return this.paused.has(node) && this.isRunning(node);
  }

  /** Nodes running and not paused: the ones that can answer. */
  get live(): string[] {
    return this.nodeIds.filter((id) => this.isRunning(id) && !this.paused.has(id));
  }

  /** Starts (or restarts) a node's process on its config and data. */
  startNode(node: string): void {
    this.paused.delete(node);
    this.cluster.startNode(node);
  }

  /** kill -9: the node crashes, losing everything not yet durable. Resolves once it is gone. */
  async kill(node: string): Promise<void> {
    await this.cluster.kill(node, 'SIGKILL');
    this.paused.delete(node);
  }

  /** SIGSTOP: the node freezes, its sockets open and silent, its timers stopped. */
  pause(node: string): void {
    if (!this.paused.has(node) && this.cluster.signal(node, 'SIGSTOP')) this.paused.add(node);
  }

  /** SIGCONT: the node carries on where it stopped, its timers now long overdue. */
  resume(node: string): void {
    if (this.paused.delete(node)) this.cluster.signal(node, 'SIGCONT');
  }

  /** Slow fsync: every commit of the node's SQLite file first blocks it SLOW_DISK_MS (SIGUSR2: src/service/slow-disk.ts). */
  slowDisk(node: string): void {
    const pid = this.cluster.pid(node);
    if (pid === undefined || this.slowDisks.get(node) === pid) return;
    if (this.cluster.signal(node, 'SIGUSR2')) this.slowDisks.set(node, pid);
  }

  /** The node's disk at full speed again (unless it restarted meanwhile, with a fast one). */
  fastDisk(node: string): void {
    const pid = this.slowDisks.get(node);
    this.slowDisks.delete(node);
    if (pid !== undefined && this.cluster.pid(node) === pid) this.cluster.signal(node, 'SIGUSR2');
  }

  /** The proxy of the directed link `from`→`to`. */
  link(from: string, to: string): LinkProxy {
    const proxy = this.proxies.get(`${from}→${to}`);
    if (!proxy) throw new Error(`no link ${from}→${to}`);
    return proxy;
  }

  /** Cuts both directions between each pair `[a, b]`. */
  partition(pairs: readonly (readonly [string, string])[], mode: PartitionMode): void {
    for (const [a, b] of pairs) {
      this.link(a, b).partition(mode);
      this.link(b, a).partition(mode);
    }
  }

  /** Sets delay, loss or duplication on every link (or the links given). */
  setLinks(faults: Partial<Omit<LinkFaults, 'partition'>>, links: readonly LinkProxy[] = [...this.proxies.values()]): void {
    for (const proxy of links) proxy.set(faults);
  }

  /** Every link healthy again. */
  healNetwork(): void {
    for (const proxy of this.proxies.values()) proxy.heal();
  }

  /** Waits until `node` answers HTTP. */
  waitForNode(node: string, timeoutMs = 60_000): Promise<void> {
    return this.cluster.waitForNode(node, timeoutMs);
  }

  /** The cluster's status as a live node sees it (GET /status: every node's replicas, each shard's leader). */
  status(via = this.live[0]): Promise<ClusterStatus> {
    if (via === undefined) return Promise.reject(new Error('no node is live'));
    return this.cluster.status(via);
  }

  /** Each shard's leader as the status shows it now (the highest term's); null while a shard has none. */
  async leaders(): Promise<Record<string, string | null>> {
    const status = await this.status();
    return Object.fromEntries(status.shards.map((shard) => [shard.id, shard.leader]));
  }

  /** Waits until every running node answers and every shard has a leader. */
  waitForLeaders(timeoutMs = 90_000): Promise<ClusterStatus> {
    return this.cluster.waitForLeaders(timeoutMs);
  }

  /** A key that lives on `shard` (`prefix` then a number). */
  keyOn(shard: string, prefix: string): string {
    for (let i = 0; ; i++) if (this.ring.shardOf(`${prefix}${i}`) === shard) return `${prefix}${i}`;
  }

  /** Stops everything: the nodes (a paused one is woken first, or it could not stop), then the proxies. */
  async stop(graceMs = 5_000): Promise<void> {
    await this.cluster.stop(graceMs);
    this.paused.clear();
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }
}
