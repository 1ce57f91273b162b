import type { AnyMachineSnapshot } from 'xstate';
import type { Effect } from '../node/index.ts';
import { Stepper } from '../node/index.ts';
import type { Logger } from '../runtime/index.ts';
import type { CommitMessage } from './cross-shard-commit.ts';
import type { ShardRouter } from './cross-shard-coordinator.ts';
import { txnMemoryPruning } from './txn-memory-pruning.ts';

/**
 * How far the watermark stays behind the pruner's clock. Nothing unsafe happens when it passes a
 * transaction still at work (shard-state.ts): the transaction aborts. The horizon keeps that from
 * happening to live ones. A coordinator's command waits at most LEADER_WAIT_MS (5 s) for a leader
 * and 15 s for a forwarded answer (kv-node.ts, command-forwarder.ts), three commands deep: about a
 * minute at worst; an in-doubt part is resolved after RESOLVE_AFTER_MS (5 s). Five minutes leaves
 * room for that several times over, and for node clocks minutes apart.
 */
export const DEFAULT_PRUNE_HORIZON_MS = 5 * 60_000;
/**
 * How often a round runs. A shard remembers about (rate of transactions across shards) × (horizon
 * + interval) of them; the horizon dominates, so counting finished transactions to prune sooner
 * would not bound memory any tighter.
 */
export const DEFAULT_PRUNE_EVERY_MS = 30_000;

export interface TxnMemoryPrunerOptions {
  readonly horizonMs?: number;
  readonly intervalMs?: number;
  readonly logger: Logger;
  /** The clock the watermark is read from, in ms since the epoch (the coordinators stamp ids with theirs). */
  readonly now?: () => number;
}

/** How a round ended: `pruned` with the committed watermark it set, or `incomplete` (a shard was unreachable, no commit forgotten). */
export type PruneRound = { readonly outcome: 'pruned'; readonly below: number; readonly committedBelow: number } | { readonly outcome: 'incomplete'; readonly below: number };

/** One stepper for every round (stepping is synchronous). */
const stepper = new Stepper(txnMemoryPruning);

/**
 * Keeps the memory of finished transactions across shards bounded: every `intervalMs`, on the
 * node where `leads()` holds (one node of the cluster, the leader of its first shard), it runs the
 * checked `txnMemoryPruning` round over every shard with the watermark `now - horizonMs`. The
 * machine's sends become `runOn(shard, command)` — proposals through each shard's log — and the
 * answers its events, as `CrossShardCoordinator` runs `crossShardCommit`. Two nodes running rounds
 * at once (leadership moving) is harmless: every prune only raises watermarks, and every floor a
 * round acts on is a promise its shard logged.
 */
export class TxnMemoryPruner {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly horizonMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly router: ShardRouter,
    /** Every shard of the cluster. */
    private readonly shards: readonly string[],
    /** Whether this node is the one to run rounds now. */
    private readonly leads: () => boolean,
    private readonly options: TxnMemoryPrunerOptions,
  ) {
    this.horizonMs = options.horizonMs ?? DEFAULT_PRUNE_HORIZON_MS;
    this.intervalMs = options.intervalMs ?? DEFAULT_PRUNE_EVERY_MS;
    this.now = options.now ?? Date.now;
    for (const [name, value] of [['horizonMs', this.horizonMs], ['intervalMs', this.intervalMs]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of ms >= 1, not ${value}`);
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs one round below `now - horizonMs`, resolving once every command it sent was answered. */
  async prune(): Promise<PruneRound> {
    const below = Math.max(0, Math.floor(this.now() - this.horizonMs));
    const config = { shards: this.shards, below };
    const sent: Promise<void>[] = [];
    let snapshot: AnyMachineSnapshot;
    const advance = (step: { snapshot: AnyMachineSnapshot; effects: readonly Effect[] }) => {
      snapshot = step.snapshot;
      for (const effect of step.effects) {
        if (effect.type !== 'send') continue;
        const to = effect.to;
        const { command } = effect.message as Extract<CommitMessage, { type: 'Command' }>;
        const answered = this.router.runOn(to, command).then(
          (outcome) => (outcome.kind === 'done' ? { type: 'Result', from: to, command, result: outcome.result } : { type: 'Unreachable', from: to, command, error: outcome.body.error }),
          (error: unknown) => ({ type: 'Unreachable', from: to, command, error: `shard ${to}: ${(error as Error).message}` }),
        );
        sent.push(
          answered.then((event) => {
            if (snapshot.status !== 'done') advance(stepper.step(snapshot, event));
          }),
        );
      }
    };
    advance(stepper.start({ id: 'txnMemoryPruning', peers: this.shards, durable: {}, config }));
    // Every answer may start more commands (the second step): wait until none is outstanding.
    for (let waited = 0; waited < sent.length; ) {
      const outstanding = sent.slice(waited);
      waited = sent.length;
      await Promise.all(outstanding);
    }
    const { floors } = snapshot!.context as { floors: Record<string, number> };
    return snapshot!.value === 'pruned' ? { outcome: 'pruned', below, committedBelow: Math.min(below, ...Object.values(floors)) } : { outcome: 'incomplete', below };
  }

  private async tick(): Promise<void> {
    if (this.running || !this.leads()) return;
    this.running = true;
    try {
      const round = await this.prune();
      if (round.outcome === 'incomplete') this.options.logger.warn('pruning finished transactions: a shard could not be reached; no committed decision forgotten this round', round);
    } catch (error) {
      this.options.logger.error('pruning finished transactions failed; the next round will try again', { error });
    } finally {
      this.running = false;
    }
  }
}
