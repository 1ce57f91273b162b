import { readFileSync } from 'node:fs';
import type { TimerPolicy } from '../runtime/index.ts';
import { DEFAULT_VIRTUAL_NODES } from './hash-ring.ts';

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
  /** Raft's timer durations (electionTimeout, heartbeatTimeout); the service's defaults when absent. */
  readonly timers?: TimerPolicy;
}

/** A bad configuration: the message names the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

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
  const nodes = array(config.nodes, 'nodes').map((value, i): NodeAddress => {
    const node = record(value, `nodes[${i}]`);
    return { id: id(node.id, `nodes[${i}].id`), host: text(node.host, `nodes[${i}].host`), raftPort: port(node.raftPort, `nodes[${i}].raftPort`), httpPort: port(node.httpPort, `nodes[${i}].httpPort`) };
  });
  if (nodes.length === 0) throw new ConfigError('nodes: at least one node');
  const nodeIds = nodes.map((node) => node.id);
  unique(nodeIds, 'nodes: node ids');
  const shards = array(config.shards, 'shards').map((value, i): ShardPlacement => {
    const shard = record(value, `shards[${i}]`);
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
    ...(config.timers !== undefined ? { timers: record(config.timers, 'timers') as TimerPolicy } : {}),
  };
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
  if (typeof value !== 'string' || !ID.test(value)) throw new ConfigError(`${where} must be an id (letters, digits, - and _; up to 64), not ${JSON.stringify(value)}`);
  return value;
}

function port(value: unknown, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) throw new ConfigError(`${where} must be a port from 1 to 65535, not ${JSON.stringify(value)}`);
  return value as number;
}

function unique(values: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new ConfigError(`${where}: ${JSON.stringify(value)} appears twice`);
    seen.add(value);
  }
}
