import type { Json } from '../node/index.ts';
import type { SqliteFile, SqliteStore } from '../runtime/index.ts';
import type { ClusterConfig } from './cluster-config.ts';
import { ClusterMap, parseClusterMapImage } from './cluster-map.ts';

/**
 * How a node holds one shard's replica: the peers and `joining` its Raft server was first booted
 * with. They must be the same at every restart — the server's initial configuration (thesis §4.1)
 * is what holds until a configuration entry or a snapshot in its log replaces it.
 */
export interface Hosting {
  readonly peers: readonly string[];
  readonly joining: boolean;
}

/**
 * What a node keeps of the cluster beside its replicas' Raft state, in its own namespace of the
 * node's SQLite file (`_node`: no shard id starts with "_"): the cluster map as last known and the
 * replicas it holds. A node's first start takes both from its config file — the replicas the
 * placement puts on it, booted with the other replicas as peers — and every later start from here,
 * so that replicas added to the node or moved off it while it ran stay so across restarts.
 */
export class NodeRecords {
  private constructor(
    private readonly store: SqliteStore,
    readonly map: ClusterMap,
    private readonly hostings: Map<string, Hosting>,
  ) {}

  static open(file: SqliteFile, config: ClusterConfig): NodeRecords {
    const store = file.store(NAMESPACE);
    const saved = store.load() as { map?: Json; hosted?: Json };
    // A node started to join is in the cluster only once an operator's `member add` reaches it (merged below, or later).
    const map = ClusterMap.fromConfig(config.join ? { ...config, nodes: config.nodes.filter((node) => node.id !== config.self) } : config);
    if (saved.map !== undefined) map.merge(parseClusterMapImage(saved.map));
    const hostings = new Map<string, Hosting>(
      saved.hosted !== undefined
        ? Object.entries(saved.hosted as unknown as Record<string, Hosting>)
        : config.shards.filter((shard) => shard.replicas.includes(config.self)).map((shard) => [shard.id, { peers: shard.replicas.filter((node) => node !== config.self), joining: false }]),
    );
    const records = new NodeRecords(store, map, hostings);
    records.save();
    return records;
  }

  /** The replicas this node holds, by shard. */
  get hosted(): ReadonlyMap<string, Hosting> {
    return this.hostings;
  }

  host(shard: string, hosting: Hosting): void {
    this.hostings.set(shard, hosting);
    this.save();
  }

  drop(shard: string): void {
    this.hostings.delete(shard);
    this.save();
  }

  /** Makes the map and the hostings durable (one small SQLite transaction: they change only when the cluster does). */
  save(): void {
    this.store.commit([{ set: { map: this.map.image() as unknown as Json, hosted: Object.fromEntries(this.hostings) as unknown as Json } }]);
  }

  close(): void {
    this.store.close();
  }
}

const NAMESPACE = '_node';
