import type { Logger } from '../runtime/index.ts';
import type { ShardReplica } from './shard-replica.ts';

/** How often a node looks at the shards it leads. */
export const DEFAULT_PLACEMENT_EVERY_MS = 2_000;
/** After a transfer to a shard's preferred leader failed, how long before it is tried again (doubling up to 5 min). */
const FIRST_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 5 * 60_000;
/** How long a node leads a shard before it hands the leadership to the shard's preferred leader. */
export const DEFAULT_SETTLE_MS = 5_000;

/**
 * Spreads the shards' leaders over the nodes. Elections put leaders wherever timers happened to
 * fire first — often several on one node, which then carries most of the load while the others
 * idle. Each shard has a preferred leader, the first of its replicas in the cluster's placement:
 * `placeShards` puts shard i's replicas on nodes i, i+1, i+2, so the preferred leaders of n shards
 * over n nodes are n different nodes. A node leading a shard whose preferred leader is another
 * replica hands the leadership over with Raft's leadership transfer (thesis §3.10, the machine's
 * checked rule) — as CockroachDB's lease preferences and TiKV's leader balancing move leaders.
 *
 * Nothing here is needed for safety: a transfer is an election the target's log entitles it to,
 * and a failed one leaves the leader leading. A preferred node that is down or far behind makes
 * the transfer time out (an election timeout, while the shard takes no writes), so a failed
 * shard is tried again only after a backoff that doubles, up to five minutes.
 *
 * A node hands a leadership over only once it has led the shard for a settle time (5 s): an
 * operator's transfer (`unanimous kv transfer`) is then seen to take effect before the policy
 * undoes it, and leaderships that elections move back and forth are not chased transfer by transfer.
 */
export class LeaderPlacement {
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff = new Map<string, { readonly until: number; readonly ms: number }>();
  private readonly busy = new Set<string>();
  /** When a tick first saw this node leading each shard it leads. */
  private readonly leadingSince = new Map<string, number>();

  constructor(
    private readonly node: string,
    private readonly replicas: () => Iterable<ShardReplica>,
    /** The node that should lead each shard. */
    private readonly preferredLeaderOf: (shard: string) => string,
    private readonly options: { readonly logger: Logger; readonly intervalMs?: number; readonly settleMs?: number },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.options.intervalMs ?? DEFAULT_PLACEMENT_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Starts a transfer for every shard led here for the settle time that prefers another node and
   * is not backing off.
   */
  tick(now = Date.now()): void {
    for (const replica of this.replicas()) {
      const shard = replica.shard;
      if (!replica.isLeader()) {
        this.leadingSince.delete(shard);
        continue;
      }
      const since = this.leadingSince.get(shard) ?? now;
      this.leadingSince.set(shard, since);
      const preferred = this.preferredLeaderOf(shard);
      const settled = now - since >= (this.options.settleMs ?? DEFAULT_SETTLE_MS);
      if (preferred === this.node || !settled || this.busy.has(shard) || (this.backoff.get(shard)?.until ?? 0) > now) continue;
      this.busy.add(shard);
      void replica
        .transferLeadership(preferred)
        .then((outcome) => {
          if (outcome.transferred) {
            this.backoff.delete(shard);
            this.options.logger.info('moved the leadership to the preferred leader', { shard, to: preferred, term: outcome.term });
            return;
          }
          const ms = Math.min(MAX_BACKOFF_MS, (this.backoff.get(shard)?.ms ?? FIRST_BACKOFF_MS / 2) * 2);
          this.backoff.set(shard, { until: Date.now() + ms, ms });
          this.options.logger.warn('the leadership did not move to the preferred leader; trying again later', { shard, to: preferred, error: outcome.error, retryInMs: ms });
        })
        .finally(() => this.busy.delete(shard));
    }
  }
}
