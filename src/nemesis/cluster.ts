import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../runtime/random.ts';
import type { TimerPolicy } from '../runtime/index.ts';
import { type ClusterConfig, type NodeAddress, placeShards } from '../service/cluster-config.ts';
import { DEFAULT_VIRTUAL_NODES, HashRing } from '../service/hash-ring.ts';
import { requestJson } from '../service/http-json.ts';
import type { ClusterStatus } from '../service/served-node.ts';
import { LinkProxy, type LinkFaults, type PartitionMode } from './link-proxy.ts';

/**
 * The `unanimous` executable the node processes run: bin/ at the package's root, two folders up
 * from src/nemesis/ when this runs from the sources, three from dist/src/nemesis/ when built (as
 * local-cluster.ts finds it).
 */
const BIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../bin/unanimous.js' : '../../../bin/unanimous.js', import.meta.url));

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
 * A local cluster of `unanimous node --config` processes with a fault-injecting proxy on every
 * directed link between nodes (link-proxy.ts): node A reaches B's Raft port only through the proxy
 * of A→B (`dialAddresses` in A's config). It starts, kills (-9), restarts, pauses (SIGSTOP) and
 * resumes (SIGCONT) nodes, and partitions, slows, drops and duplicates on the links.
 *
 * It is local-cluster.ts's arrangement (each node's stdin a pipe from here, so nodes go when this
 * process goes; output appended to `<dataDir>/<node>.log`) with the proxies added: LocalCluster
 * writes its configs and starts its nodes in one step, with no way to put a proxy in the path.
 *
 * Only the Raft links go through the proxies. Clients' HTTP and the commands nodes forward to each
 * other over HTTP do not, so a partition here separates the replication network — the consensus
 * traffic — while clients can still reach every node, and a node on the minority side still
 * reaches the leaders by forwarding: a partition of the cluster's back-end network.
 */
export class NemesisCluster {
  private readonly children = new Map<string, ChildProcess>();
  private readonly paused = new Set<string>();
  private readonly expectedExit = new Set<string>();
  readonly ring: HashRing;

  private constructor(
    readonly options: NemesisClusterOptions,
    readonly configs: ReadonlyMap<string, ClusterConfig>,
    /** By `${from}→${to}`. */
    readonly proxies: ReadonlyMap<string, LinkProxy>,
  ) {
    const any = configs.values().next().value as ClusterConfig;
    this.ring = new HashRing(
      any.shards.map((shard) => shard.id),
      any.virtualNodes,
    );
  }

  /** Starts the proxies, writes the configs, starts every node and waits until every shard has a leader. */
  static async start(options: NemesisClusterOptions): Promise<NemesisCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 9) throw new Error(`nodes: a whole number from 1 to 9, not ${options.nodes}`);
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > 64) throw new Error(`shards: a whole number from 1 to 64, not ${options.shards}`);
    mkdirSync(options.dataDir, { recursive: true });
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const ports = await freePorts(2 * options.nodes);
    const nodes: NodeAddress[] = ids.map((id, i) => ({ id, host: '127.0.0.1', httpPort: ports[i]!, raftPort: ports[options.nodes + i]! }));
    const shards = placeShards(ids, options.shards);
    const random = seededRandom(options.seed);
    const proxies = new Map<string, LinkProxy>();
    try {
      for (const from of nodes) {
        for (const to of nodes) {
          if (from === to) continue;
          const proxy = await LinkProxy.start({ from: from.id, to: to.id, target: { host: to.host, port: to.raftPort }, random: seededRandom(Math.floor(random() * 2 ** 32)) });
          proxies.set(proxy.name, proxy);
        }
      }
    } catch (error) {
      await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
      throw error;
    }
    const clusterSecret = randomBytes(24).toString('hex');
    const configs = new Map<string, ClusterConfig>();
    for (const id of ids) {
      const config: ClusterConfig = {
        self: id,
        dataDir: join(options.dataDir, id),
        clusterSecret,
        nodes,
        shards,
        virtualNodes: DEFAULT_VIRTUAL_NODES,
        dialAddresses: Object.fromEntries(ids.filter((peer) => peer !== id).map((peer) => [peer, proxies.get(`${id}→${peer}`)!.address])),
        ...(options.timers ? { timers: options.timers } : {}),
        ...(options.unsafeForTesting ? { unsafeForTesting: options.unsafeForTesting } : {}),
      };
      writeFileSync(join(options.dataDir, `${id}.json`), `${JSON.stringify(config, null, 2)}\n`);
      configs.set(id, config);
    }
    const cluster = new NemesisCluster(options, configs, proxies);
    try {
      for (const id of ids) cluster.startNode(id);
      await cluster.waitForLeaders();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get nodeIds(): string[] {
    return [...this.configs.keys()];
  }

  get shardIds(): string[] {
    return this.configs.values().next().value!.shards.map((shard) => shard.id);
  }

  endpoint(node: string): string {
    const address = this.configs.get(node)!.nodes.find((n) => n.id === node)!;
    return `http://${address.host}:${address.httpPort}`;
  }

  logFile(node: string): string {
    return join(this.options.dataDir, `${node}.log`);
  }

  isRunning(node: string): boolean {
    return this.children.has(node);
  }

  isPaused(node: string): boolean {
    return this.paused.has(node);
  }

  /** Nodes running and not paused: the ones that can answer. */
  get live(): string[] {
    return this.nodeIds.filter((id) => this.children.has(id) && !this.paused.has(id));
  }

  /** Starts (or restarts) a node's process on its config and data. */
  startNode(node: string): void {
    if (this.children.has(node)) throw new Error(`node ${node} is running`);
    const log = openSync(this.logFile(node), 'a');
    const child = spawn(process.execPath, [BIN, 'node', '--config', join(this.options.dataDir, `${node}.json`), '--stop-on-stdin-close'], { stdio: ['pipe', log, log] });
    closeSync(log);
    this.children.set(node, child);
    this.expectedExit.delete(node);
    child.on('exit', (code, signal) => {
      if (this.children.get(node) === child) {
        this.children.delete(node);
        this.paused.delete(node);
      }
      if (!this.expectedExit.has(node)) this.options.onUnexpectedExit?.(node, signal ? `signal ${signal}` : `code ${code}`);
    });
  }

  /** kill -9: the node crashes, losing everything not yet durable. Resolves once it is gone. */
  async kill(node: string): Promise<void> {
    const child = this.children.get(node);
    if (!child) return;
    this.expectedExit.add(node);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    this.children.delete(node);
    this.paused.delete(node);
  }

  /** SIGSTOP: the node freezes, its sockets open and silent, its timers stopped. */
  pause(node: string): void {
    const child = this.children.get(node);
    if (!child || this.paused.has(node)) return;
    child.kill('SIGSTOP');
    this.paused.add(node);
  }

  /** SIGCONT: the node carries on where it stopped, its timers now long overdue. */
  resume(node: string): void {
    const child = this.children.get(node);
    if (!child || !this.paused.has(node)) return;
    child.kill('SIGCONT');
    this.paused.delete(node);
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
  async waitForNode(node: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await requestJson(`${this.endpoint(node)}/status?local=1`, { timeoutMs: 1_000 })).status === 200) return;
      } catch {
        // Not up yet.
      }
      if (!this.children.has(node)) throw new Error(`node ${node} exited while starting; see ${this.logFile(node)}`);
      if (Date.now() > deadline) throw new Error(`node ${node} did not answer within ${timeoutMs} ms; see ${this.logFile(node)}`);
      await sleep(100);
    }
  }

  /** The cluster's status as a live node sees it (GET /status: every node's replicas, each shard's leader). */
  async status(via = this.live[0]): Promise<ClusterStatus> {
    if (via === undefined) throw new Error('no node is live');
    const response = await requestJson(`${this.endpoint(via)}/status`, { timeoutMs: 5_000 });
    if (response.status !== 200) throw new Error(`status from ${via}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as ClusterStatus;
  }

  /** Each shard's leader as the status shows it now (the highest term's); null while a shard has none. */
  async leaders(): Promise<Record<string, string | null>> {
    const status = await this.status();
    return Object.fromEntries(status.shards.map((shard) => [shard.id, shard.leader]));
  }

  /** Waits until every running node answers and every shard has a leader. */
  async waitForLeaders(timeoutMs = 90_000): Promise<ClusterStatus> {
    const deadline = Date.now() + timeoutMs;
    for (const node of this.children.keys()) await this.waitForNode(node, timeoutMs);
    for (;;) {
      const status = await this.status().catch(() => undefined);
      if (status && status.shards.every((shard) => shard.leader !== null)) return status;
      if (Date.now() > deadline) throw new Error(`not every shard elected a leader within ${timeoutMs} ms: ${JSON.stringify(status?.shards.map((s) => [s.id, s.leader]))}`);
      await sleep(100);
    }
  }

  /** A key that lives on `shard` (`prefix` then a number). */
  keyOn(shard: string, prefix: string): string {
    for (let i = 0; ; i++) if (this.ring.shardOf(`${prefix}${i}`) === shard) return `${prefix}${i}`;
  }

  /**
   * Stops everything: paused nodes are resumed and killed (a frozen process cannot stop cleanly),
   * the others get SIGTERM, then SIGKILL after `graceMs`; then the proxies close.
   */
  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all(
      [...this.children.entries()].map(async ([node, child]) => {
        this.expectedExit.add(node);
        const exited = new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        });
        if (this.paused.has(node)) {
          child.kill('SIGCONT');
          child.kill('SIGKILL');
        } else child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.children.clear();
    this.paused.clear();
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }
}

/** Ports free right now on 127.0.0.1 (bound to port 0 and released; another process could take one meanwhile). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}
