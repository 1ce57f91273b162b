import { readFileSync } from 'node:fs';
import type { TimerPolicy } from '../runtime/index.ts';
import { DEFAULT_VIRTUAL_NODES } from './hash-ring.ts';
import { readTlsFiles, TlsFileError, type TlsPaths } from './tls-files.ts';

/** One node of the cluster: where its peers reach its Raft replicas, and where clients reach its HTTP API. */
export interface NodeAddress {
  readonly id: string;
  readonly host: string;
  /** The port of the node's Raft traffic (every shard's replicas share it). */
  readonly raftPort: number;
  readonly httpPort: number;
}

/** One shard: a Raft group with one replica on each listed node. */
export interface ShardPlacement {
  readonly id: string;
  readonly replicas: readonly string[];
}

/**
 * What a node process is told (`unanimous node --config FILE`): the whole cluster — every node with
 * its addresses, every shard with the nodes holding its replicas — plus which node it is and where
 * its data goes. Every node of a cluster gets the same `nodes`, `shards` and `virtualNodes`, or keys
 * would be placed differently on different nodes.
 */
export interface ClusterConfig {
  /** The node this process runs. */
  readonly self: string;
  /** This node's directory: `node.sqlite`, the Raft state of every shard replica it holds. */
  readonly dataDir: string;
  /**
   * Shared by every node of the cluster: commands between nodes (prepare, decide, finish of
   * transactions across shards) must carry it, so that no client of the HTTP port can forge one.
   */
  readonly clusterSecret: string;
  readonly nodes: readonly NodeAddress[];
  readonly shards: readonly ShardPlacement[];
  /** Points per shard on the hash ring. */
  readonly virtualNodes: number;
  /**
   * This node is started to join a running cluster (`nodes` lists the cluster's nodes and this
   * one): until an operator adds it (`unanimous kv member add`), it keeps itself out of the map it
   * gossips, so that starting a process is not joining the cluster.
   */
  readonly join?: boolean;
  /** Raft's timer durations (electionTimeout, heartbeatTimeout); the service's defaults when absent. */
  readonly timers?: TimerPolicy;
  /**
   * TLS on every link, PEM files: `ca`, the CA certificate that signs every node's certificate (the
   * only issuer trusted); `cert`, this node's certificate, naming its host (a DNS or IP SAN); `key`,
   * its private key. With it the Raft port speaks mutual TLS, the HTTP API HTTPS, and commands
   * between nodes go over HTTPS. Without it every link is plain (authenticated, not encrypted).
   */
  readonly tls?: TlsPaths;
  /**
   * A bearer token every client request must carry (`authorization: Bearer <token>`) on /kv,
   * /txn, /status and /debug; 16 or more characters of RFC 6750's b64token. None by default: any
   * client that reaches the port is served. The same on every node.
   */
  readonly clientToken?: string;
  /** Limits on clients and peers; each absent one takes its default (DEFAULT_SERVICE_LIMITS). */
  readonly limits?: Partial<ServiceLimits>;
  /**
   * Log compaction (Ongaro's thesis ch. 5): a shard replica snapshots its data and compacts its
   * Raft log once this many entries were applied since its last snapshot; 10,000 by default.
   */
  readonly compactEvery?: number;
  /** Compaction by size: a snapshot also once the entries applied since the last one hold this many bytes; 32 MiB by default. */
  readonly compactBytes?: number;
  /**
   * Where shard leaders go: 'spread' (the default) moves each shard's leadership to the first of
   * its replicas by leadership transfer (leader-placement.ts); 'elected' leaves it where elections put it.
   */
  readonly leaderPlacement?: 'spread' | 'elected';
  /**
   * Where this node dials a peer's Raft port when not at the peer's own address (by peer id): the
   * nemesis suite puts a fault-injecting proxy there (src/nemesis/link-proxy.ts).
   */
  readonly dialAddresses?: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
  /**
   * TESTS ONLY — a deliberately broken build that the nemesis suite must catch (test/nemesis).
   * 'follower-reads': a follower answers GET /kv/<key> from its own data, not through the leader.
   */
  readonly unsafeForTesting?: 'follower-reads';
  /**
   * Test-only, for the nemesis suite's slow-fsync fault: SIGUSR2 toggles a slow disk, on which
   * every commit of the node's SQLite file first blocks the process this many milliseconds
   * (src/service/slow-disk.ts). Absent: SIGUSR2 does nothing of the kind.
   */
  readonly slowDiskForTesting?: number;
}

/** What one client or one peer may hold of a node. */
export interface ServiceLimits {
  /** HTTP requests one client address may have in flight at once; beyond it: 429 with Retry-After. */
  readonly maxInFlightPerClient: number;
  /** Authenticated connections one peer may hold on the Raft port; beyond it its oldest is closed. */
  readonly maxConnectionsPerPeer: number;
  /** Connections from one address still in the handshake on the Raft port; beyond it new ones are closed at once. */
  readonly maxHandshakesPerAddress: number;
}

/**
 * The defaults: far above what the service's own clients use (the benchmark keeps 256 requests in
 * flight from one address; a peer holds one connection; a local cluster's 64 nodes at most all
 * dial from 127.0.0.1), far below what would exhaust a node's sockets or memory.
 */
export const DEFAULT_SERVICE_LIMITS: ServiceLimits = { maxInFlightPerClient: 1024, maxConnectionsPerPeer: 4, maxHandshakesPerAddress: 64 };

/** A node's limits: the configured ones over the defaults. */
export const limitsOf = (config: ClusterConfig): ServiceLimits => ({ ...DEFAULT_SERVICE_LIMITS, ...config.limits });

/** The shortest client token accepted. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * A client token, or `ConfigError` naming `where`: at least 16 characters of RFC 6750's b64token
 * (§2.1: letters, digits, `-._~+/`, then `=` padding), the only characters a Bearer credential
 * may hold in an `authorization` header.
 */
export function checkClientToken(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new ConfigError(`${where} must be a string of at least ${MIN_TOKEN_LENGTH} characters from A-Z a-z 0-9 - . _ ~ + / (a bearer token, RFC 6750)`);
  }
  return value;
}

/** A bad configuration: the message names the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A node or shard id: letters, digits, - and _, up to 64, starting with a letter or digit. */
export const isId = (value: unknown): value is string => typeof value === 'string' && ID.test(value);

/** A TCP port, 1 to 65535. */
export const isPort = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;

export function readClusterConfig(path: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseClusterConfig(json);
}

/** Checks a configuration field by field; throws `ConfigError` naming what is wrong. */
export function parseClusterConfig(json: unknown): ClusterConfig {
  const config = record(json, 'the configuration');
  // A misspelt field would otherwise be ignored and its default silently taken.
  knownFields(config, 'the configuration', CONFIG_FIELDS);
  const nodes = array(config.nodes, 'nodes').map((value, i): NodeAddress => {
    const node = record(value, `nodes[${i}]`);
    knownFields(node, `nodes[${i}]`, ['id', 'host', 'raftPort', 'httpPort']);
    return { id: id(node.id, `nodes[${i}].id`), host: text(node.host, `nodes[${i}].host`), raftPort: port(node.raftPort, `nodes[${i}].raftPort`), httpPort: port(node.httpPort, `nodes[${i}].httpPort`) };
  });
  if (nodes.length === 0) throw new ConfigError('nodes: at least one node');
  const nodeIds = nodes.map((node) => node.id);
  unique(nodeIds, 'nodes: node ids');
  const shards = array(config.shards, 'shards').map((value, i): ShardPlacement => {
    const shard = record(value, `shards[${i}]`);
    knownFields(shard, `shards[${i}]`, ['id', 'replicas']);
    const replicas = array(shard.replicas, `shards[${i}].replicas`).map((replica, j) => id(replica, `shards[${i}].replicas[${j}]`));
    if (replicas.length === 0) throw new ConfigError(`shards[${i}].replicas: at least one replica`);
    unique(replicas, `shards[${i}].replicas`);
    for (const replica of replicas) if (!nodeIds.includes(replica)) throw new ConfigError(`shards[${i}].replicas: ${JSON.stringify(replica)} is not a node`);
    return { id: id(shard.id, `shards[${i}].id`), replicas };
  });
  if (shards.length === 0) throw new ConfigError('shards: at least one shard');
  unique(
    shards.map((shard) => shard.id),
    'shards: shard ids',
  );
  const self = id(config.self, 'self');
  if (!nodeIds.includes(self)) throw new ConfigError(`self: ${JSON.stringify(self)} is not one of the nodes (${nodeIds.join(', ')})`);
  const virtualNodes = config.virtualNodes === undefined ? DEFAULT_VIRTUAL_NODES : config.virtualNodes;
  if (!Number.isSafeInteger(virtualNodes) || (virtualNodes as number) < 1 || (virtualNodes as number) > 4096) throw new ConfigError('virtualNodes: a whole number from 1 to 4096');
  if (typeof config.clusterSecret !== 'string' || config.clusterSecret.length < 16 || !/^[\x21-\x7e]+$/.test(config.clusterSecret)) {
    throw new ConfigError('clusterSecret must be a string of at least 16 printable characters, the same on every node (it authenticates commands between nodes)');
  }
  return {
    self,
    dataDir: text(config.dataDir, 'dataDir'),
    clusterSecret: config.clusterSecret,
    nodes,
    shards,
    virtualNodes: virtualNodes as number,
    ...(config.join !== undefined ? { join: flag(config.join, 'join') } : {}),
    ...(config.timers !== undefined ? { timers: record(config.timers, 'timers') as TimerPolicy } : {}),
    ...(config.tls !== undefined ? { tls: tlsPaths(config.tls) } : {}),
    ...(config.clientToken !== undefined ? { clientToken: checkClientToken(config.clientToken, 'clientToken') } : {}),
    ...(config.limits !== undefined ? { limits: limits(config.limits) } : {}),
    ...(config.compactEvery !== undefined ? { compactEvery: atLeastOne(config.compactEvery, 'compactEvery', 'entries applied between snapshots') } : {}),
    ...(config.leaderPlacement !== undefined ? { leaderPlacement: placementPolicy(config.leaderPlacement) } : {}),
    ...(config.compactBytes !== undefined ? { compactBytes: atLeastOne(config.compactBytes, 'compactBytes', 'bytes of entries applied between snapshots') } : {}),
    ...(config.dialAddresses !== undefined ? { dialAddresses: dialAddresses(config.dialAddresses, nodeIds) } : {}),
    ...(config.unsafeForTesting !== undefined ? { unsafeForTesting: unsafeMode(config.unsafeForTesting) } : {}),
    ...(config.slowDiskForTesting !== undefined ? { slowDiskForTesting: slowDiskDelay(config.slowDiskForTesting) } : {}),
  };
}

const CONFIG_FIELDS = [
  'self', 'dataDir', 'clusterSecret', 'nodes', 'shards', 'virtualNodes', 'join', 'timers', 'tls', 'clientToken', 'limits',
  'compactEvery', 'compactBytes', 'leaderPlacement', 'dialAddresses', 'unsafeForTesting', 'slowDiskForTesting',
];

function knownFields(value: Record<string, unknown>, where: string, fields: readonly string[]): void {
  const unknown = Object.keys(value).find((field) => !fields.includes(field));
  if (unknown !== undefined) throw new ConfigError(`${where}: unknown field ${JSON.stringify(unknown)}; the fields are ${fields.join(', ')}`);
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${field} must be true or false, not ${JSON.stringify(value)}`);
  return value;
}

function slowDiskDelay(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 10_000) throw new ConfigError(`slowDiskForTesting must be a whole number of milliseconds from 1 to 10000, not ${JSON.stringify(value)}`);
  return value as number;
}

function placementPolicy(value: unknown): 'spread' | 'elected' {
  if (value !== 'spread' && value !== 'elected') throw new ConfigError(`leaderPlacement must be "spread" or "elected", not ${JSON.stringify(value)}`);
  return value;
}

function atLeastOne(value: unknown, field: string, meaning: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new ConfigError(`${field} must be a whole number >= 1 (${meaning}), not ${JSON.stringify(value)}`);
  return value as number;
}

/** `dialAddresses: { <peer>: { host, port } }`, each key a node. */
function dialAddresses(value: unknown, nodeIds: readonly string[]): Record<string, { host: string; port: number }> {
  return Object.fromEntries(
    Object.entries(record(value, 'dialAddresses')).map(([peer, address]) => {
      if (!nodeIds.includes(peer)) throw new ConfigError(`dialAddresses: ${JSON.stringify(peer)} is not a node`);
      const at = record(address, `dialAddresses.${peer}`);
      return [peer, { host: text(at.host, `dialAddresses.${peer}.host`), port: port(at.port, `dialAddresses.${peer}.port`) }];
    }),
  );
}

function unsafeMode(value: unknown): 'follower-reads' {
  if (value !== 'follower-reads') throw new ConfigError(`unsafeForTesting: the one broken build is "follower-reads", not ${JSON.stringify(value)}`);
  return value;
}

/** `tls: { ca, cert, key }`, each a readable PEM file that fits the others (tls-files.ts). */
function tlsPaths(value: unknown): TlsPaths {
  const tls = record(value, 'tls');
  const unknown = Object.keys(tls).filter((field) => !['ca', 'cert', 'key'].includes(field));
  if (unknown.length > 0) throw new ConfigError(`tls: unknown field ${JSON.stringify(unknown[0])}; tls takes ca, cert and key (paths of PEM files)`);
  const paths = { ca: text(tls.ca, 'tls.ca'), cert: text(tls.cert, 'tls.cert'), key: text(tls.key, 'tls.key') };
  try {
    readTlsFiles(paths);
  } catch (error) {
    if (error instanceof TlsFileError) throw new ConfigError(error.message);
    throw error;
  }
  return paths;
}

/** `limits: { maxInFlightPerClient?, maxConnectionsPerPeer?, maxHandshakesPerAddress? }`, each a whole number from 1 to 1,000,000. */
function limits(value: unknown): Partial<ServiceLimits> {
  const given = record(value, 'limits');
  const names = Object.keys(DEFAULT_SERVICE_LIMITS);
  const result: Record<string, number> = {};
  for (const [name, limit] of Object.entries(given)) {
    if (!names.includes(name)) throw new ConfigError(`limits: unknown field ${JSON.stringify(name)}; the limits are ${names.join(', ')}`);
    if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > 1_000_000) throw new ConfigError(`limits.${name} must be a whole number from 1 to 1000000, not ${JSON.stringify(limit)}`);
    result[name] = limit as number;
  }
  return result as Partial<ServiceLimits>;
}

/**
 * The placement `unanimous serve` uses: shard i on nodes i, i+1, i+2 (mod the number of nodes), so
 * with three nodes every node holds a replica of every shard; fewer nodes give smaller groups.
 */
export function placeShards(nodeIds: readonly string[], shardCount: number, replicasPerShard = 3): ShardPlacement[] {
  const size = Math.min(replicasPerShard, nodeIds.length);
  return Array.from({ length: shardCount }, (_, i) => ({
    id: `s${i}`,
    replicas: Array.from({ length: size }, (_, j) => nodeIds[(i + j) % nodeIds.length]!),
  }));
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(`${where} must be an array`);
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(`${where} must be a non-empty string`);
  return value;
}

function id(value: unknown, where: string): string {
  if (!isId(value)) throw new ConfigError(`${where} must be an id (letters, digits, - and _; up to 64), not ${JSON.stringify(value)}`);
  return value;
}

function port(value: unknown, where: string): number {
  if (!isPort(value)) throw new ConfigError(`${where} must be a port from 1 to 65535, not ${JSON.stringify(value)}`);
  return value as number;
}

function unique(values: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new ConfigError(`${where}: ${JSON.stringify(value)} appears twice`);
    seen.add(value);
  }
}
