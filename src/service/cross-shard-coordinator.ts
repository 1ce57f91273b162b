import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../runtime/index.ts';
import type { Outcome, ResultOf, ShardCommand } from './shard-command.ts';
import type { Compare, Operation, OperationResult, Txn } from './txn.ts';

/** What running a command on a shard's leader gave: its result, or an error to show the client. */
export type CommandOutcome<R> =
  | { readonly kind: 'done'; readonly shard: string; readonly result: R }
  | { readonly kind: 'error'; readonly status: number; readonly body: { readonly error: string; readonly [field: string]: unknown } };

/** Runs a command on the leader of a shard, wherever it is (KvNode: proposed locally or forwarded). */
export interface ShardRouter {
  runOn<C extends ShardCommand>(shard: string, command: C): Promise<CommandOutcome<ResultOf<C>>>;
  /** True once the node is stopping: retries end. */
  readonly stopping: boolean;
}

/** A transaction across shards, as the client sees it. */
export type CrossShardResult =
  | {
      readonly committed: true;
      /** Each shard's revision after applying its part. */
      readonly revisions: { readonly [shard: string]: number };
      /** One result per operation, in the transaction's order. */
      readonly results: readonly OperationResult[];
    }
  | { readonly committed: false; readonly reason: string };

export type CrossShardOutcome =
  | { readonly kind: 'cross'; readonly shards: readonly string[]; readonly result: CrossShardResult }
  | { readonly kind: 'error'; readonly status: number; readonly body: { readonly error: string; readonly [field: string]: unknown } };

/** One shard's part of a transaction, and where its operations stand in the whole. */
export interface ShardPart {
  readonly shard: string;
  readonly part: Txn;
  /** The index in the transaction's `ops` of each of the part's operations. */
  readonly opIndexes: readonly number[];
}

/** Splits a transaction by the shard of each key, keeping the order of operations within each part; parts sorted by shard. */
export function splitByShard(txn: Txn, shardOf: (key: string) => string): ShardPart[] {
  const parts = new Map<string, { compare: Compare[]; ops: Operation[]; opIndexes: number[] }>();
  const partOf = (key: string) => {
    const shard = shardOf(key);
    let part = parts.get(shard);
    if (part === undefined) parts.set(shard, (part = { compare: [], ops: [], opIndexes: [] }));
    return part;
  };
  for (const compare of txn.compare) partOf(compare.key).compare.push(compare);
  txn.ops.forEach((op, index) => {
    const part = partOf(op.key);
    part.ops.push(op);
    part.opIndexes.push(index);
  });
  return [...parts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([shard, { compare, ops, opIndexes }]) => ({ shard, part: { compare, ops }, opIndexes }));
}

export interface CrossShardOptions {
  /** Prefix of the transaction ids this coordinator makes (its node id), so ids say who coordinated. */
  readonly node: string;
  readonly logger: Logger;
  /** How long the coordinator keeps repeating a committed transaction's finish to a shard before answering the client without it. */
  readonly finishDeadlineMs?: number;
}

/**
 * The coordinator of transactions across shards: Two-Phase Commit whose participants are the
 * shards' Raft groups and whose decision is logged in a Raft group too — the anchor, the first of
 * the transaction's shards (the arrangement of 2PC over consensus groups: Spanner, and the
 * transaction record of CockroachDB; the checked model is two-phase-over-groups/cross-shard-txn).
 *
 * 1. **Prepare** each other shard's part through that shard's log, all at once. Each participant
 *    shard takes the part's locks and checks its compares, or refuses with the reason (`ShardState`).
 * 2. **Decide.** All prepared: propose `decide committed` with the anchor's own part to the anchor's
 *    log. That entry is the commit point: the anchor prepares its part, and if it holds, logs the
 *    commit and applies the part in the same step (the last agent optimization); if not, it logs an
 *    abort. It answers with the decision that stands — the first logged, which is abort if a
 *    participant, tired of waiting, asked the anchor to abort first. A refusal, or a participant not
 *    answering, aborts without logging anything: nothing was decided, so the anchor's first
 *    decision can only be abort (presumed abort).
 * 3. **Finish** each other part through its shard's log: apply it (committed) or drop it and its
 *    locks. The client gets its answer once every part is applied, with each operation's result.
 *
 * A transaction on two shards costs three log entries' worth of commands (prepare, decide, finish)
 * in three rounds. The coordinator is whichever node the client asked; when that is the anchor's
 * leader (a smart client sends it there), only the other shards' commands cross the network.
 *
 * The coordinator keeps nothing durable of its own: everything it decided is in the anchor's log.
 * If it dies (its node is killed) with parts prepared, each participant's leader finds them still
 * prepared after a while and resolves them through the anchor (`InDoubtResolver`), committing what
 * the anchor committed and aborting the rest. A new leader of a shard does the same, so prepared
 * transactions are resolved after any failover that leaves a majority of each group.
 */
export class CrossShardCoordinator {
  private readonly finishDeadlineMs: number;

  constructor(
    private readonly router: ShardRouter,
    private readonly options: CrossShardOptions,
  ) {
    this.finishDeadlineMs = options.finishDeadlineMs ?? 30_000;
  }

  async run(parts: readonly ShardPart[]): Promise<CrossShardOutcome> {
    const shards = parts.map(({ shard }) => shard);
    const id = `${this.options.node}.${randomUUID()}`;
    const [anchor, ...others] = parts as [ShardPart, ...ShardPart[]];
    const votes = await Promise.all(others.map(({ shard, part }) => this.router.runOn(shard, { kind: 'prepare', id, anchor: anchor.shard, part })));
    const failed = votes.find((vote) => vote.kind === 'error');
    const refused = votes.find((vote) => vote.kind === 'done' && vote.result.vote === 'refused');
    if (failed !== undefined || refused !== undefined) {
      this.finishInBackground(id, others, 'aborted');
      if (refused?.kind === 'done' && refused.result.vote === 'refused') {
        return { kind: 'cross', shards, result: { committed: false, reason: `shard ${refused.shard}: ${refused.result.reason}` } };
      }
      const error = failed as Extract<typeof failed, { kind: 'error' }>;
      return { kind: 'error', status: 503, body: { ...error.body, error: `${error.body.error}; the transaction across shards ${shards.join(', ')} was aborted, retry`, retryable: true } };
    }

    const decision = await this.router.runOn(anchor.shard, { kind: 'decide', id, outcome: 'committed', part: anchor.part });
    if (decision.kind === 'error') {
      // Perhaps logged, perhaps not: the participants will learn which from the anchor.
      return { kind: 'error', status: 503, body: { error: `the decision of transaction ${id} could not be confirmed at its anchor shard ${anchor.shard} (${decision.body.error}); it may or may not have committed`, outcome: 'unknown' } };
    }
    if (decision.result.outcome === 'aborted') {
      this.finishInBackground(id, others, 'aborted');
      const reason = decision.result.reason ?? `transaction ${id} was aborted at its anchor before it could commit (a participant stopped waiting for the decision); retry`;
      return { kind: 'cross', shards, result: { committed: false, reason: `shard ${anchor.shard}: ${reason}` } };
    }

    const finished = [decision.result.result, ...(await Promise.all(others.map(({ shard }) => this.finish(id, shard, 'committed'))))];
    const results: OperationResult[] = [];
    const revisions: Record<string, number> = {};
    for (const [i, { shard, opIndexes }] of parts.entries()) {
      const result = finished[i];
      if (result === undefined || !result.committed) {
        return { kind: 'error', status: 503, body: { error: `transaction ${id} committed (decided at its anchor ${anchor.shard}), but shard ${shard} has not confirmed applying its part yet; it will`, outcome: 'committed' } };
      }
      revisions[shard] = result.revision;
      result.results.forEach((operation, j) => (results[opIndexes[j]!] = operation));
    }
    return { kind: 'cross', shards, result: { committed: true, revisions, results } };
  }

  /** Repeats a finish on `shard` until it is applied or the deadline passes; the part's result when it committed there. */
  private async finish(id: string, shard: string, outcome: Outcome) {
    const deadline = Date.now() + this.finishDeadlineMs;
    while (!this.router.stopping && Date.now() < deadline) {
      const finished = await this.router.runOn(shard, { kind: 'finish', id, outcome });
      if (finished.kind === 'done') {
        if (finished.result.outcome !== outcome) this.options.logger.error('a shard finished a transaction otherwise than decided', { id, shard, decided: outcome, finished: finished.result.outcome });
        return finished.result.result;
      }
      await sleep(100);
    }
    return undefined;
  }

  /** Aborts the parts (releasing their locks) without holding up the client's answer. */
  private finishInBackground(id: string, parts: readonly ShardPart[], outcome: Outcome): void {
    for (const { shard } of parts) void this.finish(id, shard, outcome);
  }
}
