import { type ClusterConfig, isId, isPort, type NodeAddress } from './cluster-config.ts';

/** A node as the map knows it: its addresses, and whether it was removed from the cluster (a tombstone: its id is never reused). */
export interface MappedNode extends NodeAddress {
  readonly removed?: true;
}

/**
 * Where a shard's replicas are, as far as this node knows: the members of the shard's Raft
 * configuration and the index of the log entry that set them (0 for the placement the cluster
 * started with). A higher index is a later configuration of the same log.
 */
export interface MappedShard {
  readonly id: string;
  readonly replicas: readonly string[];
  readonly index: number;
}

/** The map as JSON: what nodes persist and exchange. */
export interface ClusterMapImage {
  readonly nodes: readonly MappedNode[];
  readonly shards: readonly MappedShard[];
}

/** What a merge changed: nodes that appeared and nodes that were removed. */
export interface MapChanges {
  readonly changed: boolean;
  readonly joined: readonly NodeAddress[];
  readonly left: readonly string[];
}

/**
 * A node's map of the cluster: every node's addresses and every shard's replicas. The cluster's
 * safety does not rest on it — who belongs to a shard's group is decided by the configuration
 * entries in the shard's Raft log (the checked rule, src/protocols/raft) — it tells a node where
 * to dial its peers and where to send a request for a shard it holds no replica of.
 *
 * It must still converge on every node, so two maps merge as a join: a node once removed stays
 * removed; a shard takes the configuration of the higher log index (two replicas of one log
 * never commit different configurations at one index: Log Matching), the config file's placement
 * being index 0. Merging in any order, any number of times, gives the same map, so nodes may
 * exchange maps whenever they like (`ClusterMapGossip`) and still agree.
 */
export class ClusterMap {
  private readonly nodes = new Map<string, MappedNode>();
  private readonly shards = new Map<string, MappedShard>();

  /** The map a node starts from before it has heard anything: its config file's nodes and placement. */
  static fromConfig(config: Pick<ClusterConfig, 'nodes' | 'shards'>): ClusterMap {
    const map = new ClusterMap();
    for (const node of config.nodes) map.nodes.set(node.id, node);
    for (const shard of config.shards) map.shards.set(shard.id, { id: shard.id, replicas: shard.replicas, index: 0 });
    return map;
  }

  /** Takes in another map (persisted, or another node's); a node whose addresses disagree with the ones held keeps the held ones. */
  merge(image: ClusterMapImage): MapChanges {
    const joined: NodeAddress[] = [];
    const left: string[] = [];
    let changed = false;
    for (const node of image.nodes) {
      const held = this.nodes.get(node.id);
      if (held === undefined) {
        this.nodes.set(node.id, node);
        changed = true;
        if (node.removed) left.push(node.id);
        else joined.push(node);
      } else if (node.removed && !held.removed) {
        this.nodes.set(node.id, { ...held, removed: true });
        changed = true;
        left.push(node.id);
      }
    }
    for (const shard of image.shards) {
      const held = this.shards.get(shard.id);
      // A shard this node's ring does not have is another cluster's: not taken.
      if (held !== undefined && shard.index > held.index) {
        this.shards.set(shard.id, shard);
        changed = true;
      }
    }
    return { changed, joined, left };
  }

  /** A node of the cluster, not removed. */
  node(id: string): NodeAddress | undefined {
    const node = this.nodes.get(id);
    return node === undefined || node.removed ? undefined : node;
  }

  /** Whether `id` was a node of the cluster and was removed. */
  wasRemoved(id: string): boolean {
    return this.nodes.get(id)?.removed === true;
  }

  /** The nodes of the cluster, removed ones left out. */
  liveNodes(): NodeAddress[] {
    return [...this.nodes.values()].filter((node) => !node.removed);
  }

  shard(id: string): MappedShard | undefined {
    return this.shards.get(id);
  }

  allShards(): MappedShard[] {
    return [...this.shards.values()];
  }

  /** The shards whose replicas include `node`. */
  shardsOn(node: string): string[] {
    return this.allShards()
      .filter((shard) => shard.replicas.includes(node))
      .map((shard) => shard.id);
  }

  image(): ClusterMapImage {
    return { nodes: [...this.nodes.values()], shards: this.allShards() };
  }
}

/** A map image as sent by another node, checked field by field; throws TypeError naming what is wrong. */
export function parseClusterMapImage(value: unknown): ClusterMapImage {
  const image = value as { nodes?: unknown; shards?: unknown } | null;
  if (typeof image !== 'object' || image === null || !Array.isArray(image.nodes) || !Array.isArray(image.shards)) throw new TypeError('a cluster map is {nodes: [...], shards: [...]}');
  const nodes = image.nodes.map((node: unknown, i): MappedNode => {
    const n = node as Record<string, unknown> | null;
    if (typeof n !== 'object' || n === null || !isId(n.id) || typeof n.host !== 'string' || n.host.length === 0 || !isPort(n.raftPort) || !isPort(n.httpPort) || (n.removed !== undefined && n.removed !== true)) {
      throw new TypeError(`nodes[${i}] must be {id, host, raftPort, httpPort, removed?: true}`);
    }
    return { id: n.id, host: n.host, raftPort: n.raftPort, httpPort: n.httpPort, ...(n.removed ? { removed: true as const } : {}) };
  });
  const shards = image.shards.map((shard: unknown, i): MappedShard => {
    const s = shard as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || !isId(s.id) || !Array.isArray(s.replicas) || !s.replicas.every(isId) || !Number.isSafeInteger(s.index) || (s.index as number) < 0) {
      throw new TypeError(`shards[${i}] must be {id, replicas: [node ids], index}`);
    }
    return { id: s.id, replicas: s.replicas as string[], index: s.index as number };
  });
  return { nodes, shards };
}
