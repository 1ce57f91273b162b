import type { ClusterConfig } from './cluster-config.ts';
import type { ClusterMap, ClusterMapImage } from './cluster-map.ts';
import type { MembershipAdmin } from './membership-admin.ts';
import type { CommandOutcome, CrossShardOutcome } from './cross-shard-coordinator.ts';
import type { HashRing } from './hash-ring.ts';
import type { ResultOf, ShardCommand } from './shard-command.ts';
import type { ReplicaStatus, ShardReplica } from './shard-replica.ts';
import type { Txn, TxnResult } from './txn.ts';

/** What executing a client's transaction gave: its shard's answer, the answer across shards, or an error to show the client. */
export type TxnOutcome = CommandOutcome<TxnResult> | CrossShardOutcome;

export interface NodeStatus {
  readonly node: string;
  readonly http: string;
  readonly replicas: readonly ReplicaStatus[];
  /** Parts of transactions across shards left prepared by a coordinator that went away, which this node's leaders resolved. */
  readonly inDoubtResolved: { readonly committed: number; readonly aborted: number };
}

export interface ClusterStatus {
  readonly node: string;
  readonly nodes: readonly { readonly id: string; readonly http: string; readonly raft: string; readonly up: boolean; readonly error?: string }[];
  readonly shards: readonly {
    readonly id: string;
    readonly replicas: readonly string[];
    readonly leader: string | null;
    readonly term: number;
    readonly commitIndex: number;
    readonly members: readonly ReplicaStatus[];
  }[];
}

/**
 * A node as its HTTP API (http-api.ts) serves it: what the routes ask of it. KvNode is the one
 * implementation; the API depends on this rather than on KvNode, which starts the API's server,
 * so that neither module imports the other.
 */
export interface ServedNode {
  readonly id: string;
  readonly config: ClusterConfig;
  readonly ring: HashRing;
  /** The replica of `shard` on this node, if it holds one. */
  replica(shard: string): ShardReplica | undefined;
  /** Runs a client's transaction, on one shard or across shards. */
  execute(txn: Txn): Promise<TxnOutcome>;
  /** Runs a command on `shard`'s leader, here or forwarded (`hops`: how many nodes forwarded it already). */
  runOn<C extends ShardCommand>(shard: string, command: C, hops?: number): Promise<CommandOutcome<ResultOf<C>>>;
  /** Moves a shard's leadership to node `to` (`hops`: how many nodes forwarded the request already). */
  transferLeadership(shard: string, to: string, hops?: number): Promise<{ readonly status: number; readonly body: object }>;
  /** The cluster as this node knows it: nodes and where shards' replicas are. */
  readonly map: ClusterMap;
  /** The operator's membership changes (the /admin/members and /admin/shards/<shard>/replicas routes). */
  readonly membership: MembershipAdmin;
  /** Takes in another node's map. */
  mergeMap(image: ClusterMapImage): void;
  /** Starts a replica of `shard` joining the group of `members` (another node adds it). */
  hostReplica(shard: string, members: readonly string[]): 'started' | 'held';
  /** Stops and erases this node's replica of `shard`; false when it holds none. */
  dropReplica(shard: string): Promise<boolean>;
  /** Whether a request's `authorization` header carries the cluster's secret. */
  fromClusterNode(authorization: string | undefined): boolean;
  /** This node's own view: its replicas. */
  nodeStatus(): NodeStatus;
  /** Every node's view gathered. */
  clusterStatus(): Promise<ClusterStatus>;
}
