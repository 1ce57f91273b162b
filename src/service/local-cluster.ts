import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TimerPolicy } from '../runtime/index.ts';
import { checkClientToken, type ClusterConfig, type NodeAddress, placeShards, type ServiceLimits } from './cluster-config.ts';
import { DEFAULT_VIRTUAL_NODES } from './hash-ring.ts';
import { type JsonRequestOptions, requestJson } from './http-json.ts';
import { KvClient } from './kv-client.ts';
import { writeThrowawayCa } from './throwaway-ca.ts';
import type { ClusterStatus } from './served-node.ts';

/**
 * The `unanimous` executable the node processes run, bin/ at the package's root: two folders up
 * from src/service/ when this runs from the sources, three from dist/src/service/ when built.
 */
const BIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../bin/unanimous.js' : '../../../bin/unanimous.js', import.meta.url));

export interface LocalClusterOptions {
  readonly nodes: number;
  readonly shards: number;
  /** Where the data goes (one folder per node, its config and log beside it); a fresh temp folder by default. */
  readonly dataDir?: string;
  /** The first HTTP port: node i (from 0) serves HTTP on port + i and Raft on port + nodes + i. 0 (default): free ports. */
  readonly port?: number;
  readonly timers?: TimerPolicy;
  /**
   * TLS on every link: a throwaway CA and one certificate per node (naming 127.0.0.1 and
   * localhost) are made under `<dataDir>/tls/` (throwaway-ca.ts), and every node configured with
   * them. Clients then need `caFile` (`unanimous kv --ca`).
   */
  readonly tls?: boolean;
  /** A client token every node requires of clients (see `ClusterConfig.clientToken`). */
  readonly clientToken?: string;
  /** Limits for every node (see `ClusterConfig.limits`). */
  readonly limits?: Partial<ServiceLimits>;
  /** Called when a node process exits without having been told to (its code or signal). */
  readonly onUnexpectedExit?: (node: string, how: string) => void;
  /**
   * Puts something between the nodes' Raft ports (the nemesis suite's fault-injecting proxies):
   * called once the addresses are known, it returns where node `from` is to dial node `to`
   * (`dialAddresses` in `from`'s config).
   */
  readonly links?: (nodes: readonly NodeAddress[]) => Promise<(from: string, to: string) => { readonly host: string; readonly port: number }>;
  /** The deliberately broken build, for the test that the nemesis suite catches it (see `ClusterConfig`). */
  readonly unsafeForTesting?: 'follower-reads';
  /** Where shard leaders go (see `ClusterConfig.leaderPlacement`; 'spread' by default). */
  readonly leaderPlacement?: 'spread' | 'elected';
  /** Every node's compaction thresholds (see `ClusterConfig.compactEvery` and `compactBytes`). */
  readonly compaction?: { readonly every?: number; readonly bytes?: number };
  /** A slow disk every node can be switched to with SIGUSR2 (see `ClusterConfig.slowDiskForTesting`). */
  readonly slowDiskForTesting?: number;
  /** Run the nodes from the build in dist/ (UNANIMOUS_RUN_BUILT=1, see bin/unanimous.js), as an installed package does: no transpiling at start. */
  readonly runBuilt?: boolean;
}

/**
 * A cluster of node processes on 127.0.0.1, each `node bin/unanimous.js node --config <file>`
 * with its standard input a pipe (closing it stops the node: see `unanimous node
 * --stop-on-stdin-close`), its output appended to `<dataDir>/<node>.log`. `unanimous serve`, the
 * service tests and the service benchmark all start their clusters with this.
 */
export class LocalCluster {
  private readonly children = new Map<string, ChildProcess>();
  private readonly expectedExit = new Set<string>();

  /** With TLS, the CA certificate the nodes' certificates chain to (PEM), for clients to trust. */
  readonly ca: string | undefined;

  private constructor(
    readonly dataDir: string,
    private readonly nodeConfigs: Map<string, ClusterConfig>,
    private readonly options: LocalClusterOptions,
    /** With TLS, the file of the CA certificate (`unanimous kv --ca`). */
    readonly caFile: string | undefined,
  ) {
    this.ca = caFile === undefined ? undefined : readFileSync(caFile, 'utf8');
  }

  /** Every node's config, by node id (a node added later included). */
  get configs(): ReadonlyMap<string, ClusterConfig> {
    return this.nodeConfigs;
  }

  /**
   * Starts one more node process, holding nothing yet: its config lists the cluster's nodes and
   * itself, and the placement the cluster started with. The cluster learns of it only when an
   * operator adds it (`unanimous kv member add`). Not with TLS (its certificate would need the
   * CA's key, which is never written) nor with dial overrides.
   */
  async addNode(): Promise<NodeAddress> {
    if (this.caFile !== undefined || this.options.links !== undefined) throw new Error('addNode: not in a cluster with TLS or dial overrides');
    const template = this.nodeConfigs.values().next().value as ClusterConfig;
    const nodes = [...new Map([...this.nodeConfigs.values()].flatMap((config) => config.nodes).map((node) => [node.id, node])).values()];
    const id = `n${nodes.length + 1}`;
    const [httpPort, raftPort] = (await freePorts(2)) as [number, number];
    const address: NodeAddress = { id, host: '127.0.0.1', httpPort, raftPort };
    const config: ClusterConfig = { ...template, self: id, dataDir: join(this.dataDir, id), nodes: [...nodes, address], join: true };
    writeFileSync(join(this.dataDir, `${id}.json`), `${JSON.stringify(config, null, 2)}\n`);
    this.nodeConfigs.set(id, config);
    this.startNode(id);
    await this.waitForNode(id);
    return address;
  }

  /** The client token the nodes require, if any. */
  get clientToken(): string | undefined {
    return this.options.clientToken;
  }

  /** Writes the nodes' configs, starts every node, and waits until every shard has a leader. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 64) throw new Error(`nodes: a whole number from 1 to 64, not ${options.nodes}`);
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > 256) throw new Error(`shards: a whole number from 1 to 256, not ${options.shards}`);
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'unanimous-'));
    mkdirSync(dataDir, { recursive: true });
    if (options.clientToken !== undefined) checkClientToken(options.clientToken, 'the client token');
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const ports = options.port ? Array.from({ length: 2 * options.nodes }, (_, i) => options.port! + i) : await freePorts(2 * options.nodes);
    const nodes: NodeAddress[] = ids.map((id, i) => ({ id, host: '127.0.0.1', httpPort: ports[i]!, raftPort: ports[options.nodes + i]! }));
    const shards = placeShards(ids, options.shards);
    const configs = new Map<string, ClusterConfig>();
    const clusterSecret = randomBytes(24).toString('hex');
    // A new CA each start, like the secret: its key is never written, so nothing else can join.
    const tls = options.tls ? await writeThrowawayCa(join(dataDir, 'tls'), nodes) : undefined;
    const dial = options.links ? await options.links(nodes) : undefined;
    for (const id of ids) {
      const files = tls?.nodes.get(id);
      const config: ClusterConfig = {
        self: id,
        dataDir: join(dataDir, id),
        clusterSecret,
        nodes,
        shards,
        virtualNodes: DEFAULT_VIRTUAL_NODES,
        ...(options.timers ? { timers: options.timers } : {}),
        ...(tls && files ? { tls: { ca: tls.caFile, cert: files.certFile, key: files.keyFile } } : {}),
        ...(options.clientToken !== undefined ? { clientToken: options.clientToken } : {}),
        ...(options.limits !== undefined ? { limits: options.limits } : {}),
        ...(options.leaderPlacement !== undefined ? { leaderPlacement: options.leaderPlacement } : {}),
        ...(options.compaction?.every !== undefined ? { compactEvery: options.compaction.every } : {}),
        ...(options.compaction?.bytes !== undefined ? { compactBytes: options.compaction.bytes } : {}),
        ...(dial ? { dialAddresses: Object.fromEntries(ids.filter((peer) => peer !== id).map((peer) => [peer, dial(id, peer)])) } : {}),
        ...(options.unsafeForTesting ? { unsafeForTesting: options.unsafeForTesting } : {}),
        ...(options.slowDiskForTesting !== undefined ? { slowDiskForTesting: options.slowDiskForTesting } : {}),
      };
      writeFileSync(join(dataDir, `${id}.json`), `${JSON.stringify(config, null, 2)}\n`);
      configs.set(id, config);
    }
    const cluster = new LocalCluster(dataDir, configs, options, tls?.caFile);
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

  /** Every node's HTTP endpoint, in node order. */
  get endpoints(): string[] {
    return this.nodeIds.map((id) => this.endpoint(id));
  }

  endpoint(node: string): string {
    const address = this.configs.get(node)!.nodes.find((n) => n.id === node)!;
    return `${this.caFile ? 'https' : 'http'}://${address.host}:${address.httpPort}`;
  }

  /** A client of `node` with what the cluster requires: its CA and its token. */
  client(node: string, options: { readonly timeoutMs?: number } = {}): KvClient {
    return new KvClient(this.endpoint(node), { ...options, ...this.security() });
  }

  /** The CA and the token header requests to the nodes need. */
  private security(): Pick<JsonRequestOptions, 'ca' | 'headers'> {
    return {
      ...(this.ca !== undefined ? { ca: this.ca } : {}),
      ...(this.options.clientToken !== undefined ? { headers: { authorization: `Bearer ${this.options.clientToken}` } } : {}),
    };
  }

  /** The process id of a running node. */
  pid(node: string): number | undefined {
    return this.children.get(node)?.pid;
  }

  /** Starts (or restarts) a node's process on its config and data. */
  startNode(node: string): void {
    if (this.children.has(node)) throw new Error(`node ${node} is running`);
    const log = openSync(this.logFile(node), 'a');
    const child = spawn(process.execPath, [BIN, 'node', '--config', join(this.dataDir, `${node}.json`), '--stop-on-stdin-close'], { stdio: ['pipe', log, log], ...(this.options.runBuilt ? { env: { ...process.env, UNANIMOUS_RUN_BUILT: '1' } } : {}) });
    closeSync(log);
    this.children.set(node, child);
    this.expectedExit.delete(node);
    child.on('exit', (code, signal) => {
      if (this.children.get(node) === child) this.children.delete(node);
      if (!this.expectedExit.has(node)) this.options.onUnexpectedExit?.(node, signal ? `signal ${signal}` : `code ${code}`);
    });
  }

  /** The file a node's output is appended to. */
  logFile(node: string): string {
    return join(this.dataDir, `${node}.log`);
  }

  /** Sends a signal to a running node and returns at once (SIGSTOP and SIGCONT pause and resume it). */
  signal(node: string, signal: NodeJS.Signals): boolean {
    const child = this.children.get(node);
    return child !== undefined && child.kill(signal);
  }

  /** Kills a node's process with `signal` (SIGKILL: as a crash) and waits until it is gone. */
  async kill(node: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children.get(node);
    if (!child) return;
    this.expectedExit.add(node);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    this.children.delete(node);
  }

  /** Waits until `node` answers HTTP. */
  async waitForNode(node: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await requestJson(`${this.endpoint(node)}/status?local=1`, { timeoutMs: 1_000, ...this.security() })).status === 200) return;
      } catch {
        // Not up yet.
      }
      if (!this.children.has(node)) throw new Error(`node ${node} exited while starting; see ${this.logFile(node)}`);
      if (Date.now() > deadline) throw new Error(`node ${node} did not answer within ${timeoutMs} ms; see ${this.logFile(node)}`);
      await sleep(100);
    }
  }

  /** The cluster's status as a running node sees it. */
  async status(via = this.nodeIds.find((id) => this.children.has(id))): Promise<ClusterStatus> {
    if (via === undefined) throw new Error('no node is running');
    const response = await requestJson(`${this.endpoint(via)}/status`, { timeoutMs: 5_000, ...this.security() });
    if (response.status !== 200) throw new Error(`status from ${via}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as ClusterStatus;
  }

  /** Waits until every running node answers and every shard has a leader. */
  async waitForLeaders(timeoutMs = 60_000): Promise<ClusterStatus> {
    const deadline = Date.now() + timeoutMs;
    for (const node of this.children.keys()) await this.waitForNode(node, timeoutMs);
    for (;;) {
      const status = await this.status().catch(() => undefined);
      if (status && status.shards.every((shard) => shard.leader !== null)) return status;
      if (Date.now() > deadline) throw new Error(`not every shard elected a leader within ${timeoutMs} ms: ${JSON.stringify(status?.shards.map((s) => [s.id, s.leader]))}`);
      await sleep(100);
    }
  }

  /** Stops every node: SIGTERM (a clean stop), SIGKILL after `graceMs`; a paused node is woken first (SIGCONT), or it could not stop. */
  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all(
      [...this.children.entries()].map(async ([node, child]) => {
        this.expectedExit.add(node);
        const exited = new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        });
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.children.clear();
  }
}

/** Ports free right now on 127.0.0.1 (bound to port 0 and released; another process could take one meanwhile). */
export async function freePorts(count: number): Promise<number[]> {
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
