import type { Logger } from '../runtime/index.ts';
import type { NodeAddress } from './cluster-config.ts';
import type { ClusterMap, ClusterMapImage } from './cluster-map.ts';
import { parseClusterMapImage } from './cluster-map.ts';
import type { MembershipChange, ShardReplica } from './shard-replica.ts';

/** An answer to an operator's request: its HTTP status and JSON body. */
export interface AdminAnswer {
  readonly status: number;
  readonly body: object;
}

/** What the admin needs of its node (KvNode). */
export interface MembershipHost {
  readonly id: string;
  readonly map: ClusterMap;
  replica(shard: string): ShardReplica | undefined;
  atLeader(shard: string, hops: number, path: string, body: object, here: (replica: ShardReplica) => Promise<AdminAnswer>): Promise<AdminAnswer>;
  callNode(node: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: object, options?: { readonly timeoutMs?: number }): Promise<{ status: number; body: unknown }>;
  hostReplica(shard: string, members: readonly string[]): 'started' | 'held';
  dropReplica(shard: string): Promise<boolean>;
  mergeMap(image: ClusterMapImage): void;
}

/** The routes between nodes that membership changes use (all with the cluster secret). */
export const MAP_PATH = '/internal/cluster-map';
export const REPLICAS_PATH = '/internal/replicas';

/**
 * The operator's membership changes of a running cluster (`unanimous kv member|replica`, the
 * /admin routes):
 *
 * - A node joins the cluster (`addNode`): its addresses go into every node's map, so that peers
 *   dial it and take its connections. It holds nothing yet.
 * - A replica of a shard is added on a node (`changeReplicas` with `add`): the node starts an empty
 *   replica joining the group, then the shard's leader adds it by the Raft machine's checked
 *   single-server change (models/raft/membership.ts). The leader catches the new replica up by
 *   ordinary replication or, past its compacted prefix, InstallSnapshot: that is how the data moves.
 * - A replica is removed (`remove`): the leader removes it from the group the same way; once the
 *   configuration without it committed, the node is told to drop the replica and erase its data.
 *   `kv replica move` is an add then a remove, so the group never has fewer replicas than before.
 * - A node leaves (`removeNode`) once it holds no replica: it is marked removed in every map, and
 *   peers close their links to it and refuse its connections.
 *
 * Nothing here decides who belongs to a group — the configuration entries in the shard's log do —
 * and every refusal comes before anything changed: an unknown shard (404), an unknown node (400),
 * a change the group's state forbids (409: already a member, not a member, it would lose the
 * shard's quorum, the node still holds replicas).
 */
export class MembershipAdmin {
  constructor(
    private readonly node: MembershipHost,
    private readonly options: { readonly logger: Logger },
  ) {}

  /** The cluster as this node's map has it: live nodes, removed ones, and every shard's replicas. */
  members(): AdminAnswer {
    const image = this.node.map.image();
    return {
      status: 200,
      body: {
        nodes: image.nodes.filter((node) => !node.removed),
        removed: image.nodes.filter((node) => node.removed).map((node) => node.id),
        shards: image.shards,
      },
    };
  }

  async addNode(address: NodeAddress): Promise<AdminAnswer> {
    const { map } = this.node;
    if (map.wasRemoved(address.id)) return refuse(409, `${address.id} was removed from the cluster; a removed node's id is not used again`);
    const held = map.node(address.id);
    if (held !== undefined) {
      if (sameAddress(held, address)) return { status: 200, body: { node: held, added: false } };
      return refuse(409, `${address.id} is a node of the cluster already, at ${describe(held)}, not ${describe(address)}`);
    }
    const clash = map.liveNodes().find((node) => node.host === address.host && (node.raftPort === address.raftPort || node.httpPort === address.httpPort || node.raftPort === address.httpPort || node.httpPort === address.raftPort));
    if (clash !== undefined) return refuse(409, `${describe(address)} takes a port of ${clash.id} (${describe(clash)})`);
    this.node.mergeMap({ nodes: [address], shards: [] });
    await this.broadcast();
    this.options.logger.info('a node joined the cluster', { node: address.id });
    return { status: 200, body: { node: address, added: true } };
  }

  async removeNode(id: string): Promise<AdminAnswer> {
    const { map } = this.node;
    const address = map.node(id);
    if (address === undefined) return map.wasRemoved(id) ? { status: 200, body: { node: id, removed: false } } : refuse(400, unknownNode(map, id));
    const holding = map.shardsOn(id);
    if (holding.length > 0) return refuse(409, `${id} still holds replicas of ${holding.join(', ')}: move them off first (unanimous kv replica move <shard> ${id} <node>)`);
    if (map.liveNodes().length === 1) return refuse(400, `${id} is the cluster's last node`);
    const tombstone = { nodes: [{ ...address, removed: true as const }], shards: [] };
    const image = map.image();
    // The node leaving is told first, while this node still has its address, so that it knows it is out.
    await this.exchangeMaps(id, { nodes: [...image.nodes.filter((node) => node.id !== id), ...tombstone.nodes], shards: image.shards });
    this.node.mergeMap(tombstone);
    await this.broadcast();
    this.options.logger.info('a node left the cluster', { node: id });
    return { status: 200, body: { node: id, removed: true } };
  }

  /**
   * Adds or removes the replica of `shard` on one node (`POST /admin/shards/<shard>/replicas`), at
   * the shard's leader (`hops`: how many nodes forwarded the request already).
   */
  async changeReplicas(shard: string, change: MembershipChange, hops = 0): Promise<AdminAnswer> {
    const { map } = this.node;
    if (map.shard(shard) === undefined) return refuse(404, `unknown shard ${JSON.stringify(shard)}; the shards are ${map.allShards().map((s) => s.id).join(', ')}`);
    const target = 'add' in change ? change.add : change.remove;
    if (map.node(target) === undefined) return refuse(400, unknownNode(map, target));
    return this.node.atLeader(shard, hops, `/admin/shards/${encodeURIComponent(shard)}/replicas`, change, (replica) =>
      'add' in change ? this.addReplica(replica, change.add) : this.removeReplica(replica, change.remove),
    );
  }

  /**
   * At boot, before the replicas start: exchanges maps with every other live node at once, and
   * waits for their answers at most `waitMs` (a node restarting alone must not wait for the
   * down ones; gossip brings the rest).
   */
  async exchangeMapsAtBoot(waitMs: number): Promise<void> {
    const others = this.node.map.liveNodes().filter((node) => node.id !== this.node.id);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(others.map((other) => this.exchangeMaps(other.id, this.node.map.image(), waitMs))),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  /** Pushes this node's map (or `image`) to `other` and takes in the one it answers with. */
  async exchangeMaps(other: string, image: ClusterMapImage = this.node.map.image(), timeoutMs = 2_000): Promise<void> {
    try {
      const response = await this.node.callNode(other, 'POST', MAP_PATH, image, { timeoutMs });
      if (response.status === 200) this.node.mergeMap(parseClusterMapImage(response.body));
    } catch {
      // Down or unreachable: gossip tries another node next time.
    }
  }

  private async addReplica(leader: ShardReplica, node: string): Promise<AdminAnswer> {
    const shard = leader.shard;
    const members = leader.members();
    if (members.includes(node)) return refuse(409, `${node} holds a replica of ${shard} already (its replicas: ${members.join(', ')})`);
    try {
      await this.startReplica(node, shard, members);
    } catch (error) {
      return refuse(503, `${node} did not start a replica of ${shard}: ${(error as Error).message}; nothing was changed`);
    }
    const outcome = await leader.changeMembership({ add: node });
    if (!outcome.changed) {
      // A final refusal: the replica started for it stays out of the group, so it goes. (A retryable one keeps it for the retry.)
      if (!outcome.retryable) await this.dropAt(node, shard);
      return { status: outcome.status, body: { shard, error: outcome.error, ...(outcome.retryable ? { retryable: true } : {}) } };
    }
    this.learn(shard, outcome.members, outcome.index);
    this.options.logger.info('added a replica to the group', { shard, node, members: outcome.members, index: outcome.index });
    return { status: 200, body: { shard, added: node, members: outcome.members, index: outcome.index } };
  }

  private async removeReplica(leader: ShardReplica, node: string): Promise<AdminAnswer> {
    const shard = leader.shard;
    const members = leader.members();
    if (!members.includes(node)) return refuse(409, `${node} holds no replica of ${shard} (its replicas: ${members.join(', ')})`);
    const outcome = await leader.changeMembership({ remove: node });
    if (!outcome.changed) return { status: outcome.status, body: { shard, error: outcome.error, ...(outcome.retryable ? { retryable: true } : {}) } };
    this.learn(shard, outcome.members, outcome.index);
    // The leader stops replicating to a server from the moment the entry removing it is appended
    // (thesis §4.2.2), so the removed replica may never see it: it is told to go.
    const dropped = await this.dropAt(node, shard);
    this.options.logger.info('removed a replica from the group', { shard, node, members: outcome.members, index: outcome.index, dropped });
    return { status: 200, body: { shard, removed: node, members: outcome.members, index: outcome.index, dropped } };
  }

  /** Has `node` start a replica of `shard` joining the group of `members`; throws when it did not. */
  private async startReplica(node: string, shard: string, members: readonly string[]): Promise<void> {
    if (node === this.node.id) {
      this.node.hostReplica(shard, members);
      return;
    }
    const response = await this.node.callNode(node, 'POST', REPLICAS_PATH, { shard, members });
    if (response.status !== 200) throw new Error(`it answered ${response.status} ${JSON.stringify(response.body)}`);
  }

  /** Has `node` drop its replica of `shard` (tried three times); false when it could not be told. */
  private async dropAt(node: string, shard: string): Promise<boolean> {
    if (node === this.node.id) {
      // Not within the leader's own request: the answer goes first.
      setImmediate(() => void this.node.dropReplica(shard));
      return true;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const response = await this.node.callNode(node, 'DELETE', `${REPLICAS_PATH}/${encodeURIComponent(shard)}`, undefined, { timeoutMs: 5_000 });
        if (response.status === 200) return true;
      } catch {
        // Try again.
      }
    }
    this.options.logger.warn('could not tell a removed replica to drop its data; stop its node before it campaigns', { shard, node });
    return false;
  }

  /** A committed configuration of `shard`: into this node's map, and every other node's. */
  private learn(shard: string, members: readonly string[], index: number): void {
    this.node.mergeMap({ nodes: [], shards: [{ id: shard, replicas: members, index }] });
    void this.broadcast();
  }

  /** Sends this node's map to `nodes` (every other live node by default), waiting at most two seconds. */
  private async broadcast(nodes: readonly string[] = this.node.map.liveNodes().map((node) => node.id)): Promise<void> {
    await Promise.all(nodes.filter((node) => node !== this.node.id).map((node) => this.exchangeMaps(node)));
  }
}

const refuse = (status: number, error: string): AdminAnswer => ({ status, body: { error } });

const sameAddress = (a: NodeAddress, b: NodeAddress): boolean => a.host === b.host && a.raftPort === b.raftPort && a.httpPort === b.httpPort;

const describe = (node: NodeAddress): string => `${node.host} raft ${node.raftPort} http ${node.httpPort}`;

const unknownNode = (map: ClusterMap, id: string): string =>
  `unknown node ${JSON.stringify(id)}${map.wasRemoved(id) ? ' (it was removed from the cluster)' : ''}; the nodes are ${map
    .liveNodes()
    .map((node) => node.id)
    .join(', ')}`;
