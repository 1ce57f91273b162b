import type { Logger } from '../runtime/index.ts';
import type { ShardRouter } from './cross-shard-coordinator.ts';
import type { ShardReplica } from './shard-replica.ts';

export interface InDoubtResolverOptions {
  /** How long a part may stay prepared before its shard's leader asks the anchor for the decision. */
  readonly resolveAfterMs: number;
  /** How often the leaders' prepared parts are looked over. */
  readonly intervalMs: number;
  readonly logger: Logger;
}

/**
 * Settles transactions across shards whose coordinator went away: 2PC's termination protocol for
 * an in-doubt participant (Bernstein, Hadzilacos & Goodman, "Concurrency Control and Recovery in
 * Database Systems", ch. 7), asking the one place the decision can be, the anchor's log. For every part its node's replicas lead and that has been prepared for
 * `resolveAfterMs`, it proposes `decide aborted` to the transaction's anchor. The anchor answers
 * with the decision that stands — the coordinator's commit if that was logged first, else this
 * abort — and the part is finished accordingly through its own shard's log. A coordinator still
 * at work loses nothing but the transaction: it learns the abort from the anchor too.
 */
export class InDoubtResolver {
  private readonly resolving = new Set<string>();
  /** Parts this node resolved, by outcome (for the node's status). */
  readonly resolved = { committed: 0, aborted: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly replicas: () => Iterable<ShardReplica>,
    private readonly router: ShardRouter,
    private readonly options: InDoubtResolverOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts resolving every part in doubt on a replica that leads. */
  private sweep(): void {
    for (const replica of this.replicas()) {
      if (!replica.isLeader()) continue;
      for (const { id, anchor } of replica.inDoubt(this.options.resolveAfterMs)) {
        if (this.resolving.has(id)) continue;
        this.resolving.add(id);
        this.resolve(replica.shard, id, anchor)
          .catch((error: unknown) => this.options.logger.error('resolving an in-doubt transaction failed; it will be tried again', { id, error }))
          .finally(() => this.resolving.delete(id));
      }
    }
  }

  private async resolve(shard: string, id: string, anchor: string): Promise<void> {
    const decision = await this.router.runOn(anchor, { kind: 'decide', id, outcome: 'aborted' });
    if (decision.kind === 'error') {
      this.options.logger.warn('an in-doubt transaction could not learn its decision yet', { id, shard, anchor, error: decision.body.error });
      return;
    }
    const outcome = decision.result.outcome;
    const finished = await this.router.runOn(shard, { kind: 'finish', id, outcome });
    if (finished.kind === 'done') this.resolved[outcome]++;
    this.options.logger.info('resolved an in-doubt transaction', { id, shard, anchor, outcome, applied: finished.kind === 'done' });
  }
}
