import { randomUUID } from 'node:crypto';
import type { AnyMachineSnapshot } from 'xstate';
import type { Effect } from '../node/index.ts';
import { Stepper } from '../node/index.ts';
import { type CommitMessage, type CrossShardVerdict, crossShardCommit, type ShardPart, verdictOf } from './cross-shard-commit.ts';
import { type ResultOf, type ShardCommand, stampedTxnId } from './shard-command.ts';
import type { Compare, Operation, OperationResult, Txn } from './txn.ts';

export type { ShardPart } from './cross-shard-commit.ts';

/** What running a command on a shard's leader gave: its result, or an error to show the client. */
export type CommandOutcome<R> =
  | { readonly kind: 'done'; readonly shard: string; readonly result: R }
  | { readonly kind: 'error'; readonly status: number; readonly body: { readonly error: string; readonly [field: string]: unknown } };

/** Runs a command on the leader of a shard, wherever it is (KvNode: proposed locally or forwarded). */
export interface ShardRouter {
  runOn<C extends ShardCommand>(shard: string, command: C): Promise<CommandOutcome<ResultOf<C>>>;
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

/** One stepper for every transaction: stepping is synchronous, so concurrent transactions never interleave inside it. */
const stepper = new Stepper(crossShardCommit);

/**
 * Runs transactions across shards on a node: the checked `crossShardCommit` machine, one instance
 * per transaction, stepped by the same `Stepper` as the checker. Each `send` it emits becomes
 * `runOn(shard, command)` (a proposal to the shard's leader, here or forwarded); the answer comes
 * back as the machine's `Result` event, or `Unreachable` when the leader could not be reached
 * within `runOn`'s deadline — which stands in for the machine's vote timeout, so real timers are
 * not armed. The client's answer is the verdict the machine ends with.
 */
export class CrossShardCoordinator {
  constructor(
    private readonly router: ShardRouter,
    /** Put in the transaction ids this coordinator makes (its node id), so ids say who coordinated. */
    private readonly node: string,
    /** The clock that stamps the ids, in ms since the epoch: shards prune what is stamped below their watermark (shard-state.ts). */
    private readonly now: () => number = Date.now,
  ) {}

  run(parts: readonly ShardPart[]): Promise<CrossShardOutcome> {
    const shards = parts.map(({ shard }) => shard);
    // `<stamp>.<node>.<uuid>`: at most 15 + 64 + 36 + 2 characters, within a shard command's 128.
    const config = { id: stampedTxnId(this.now(), this.node, randomUUID()), parts, voteTimeoutMs: 0 };
    return new Promise((resolve) => {
      let snapshot: AnyMachineSnapshot;
      const release = (effects: readonly Effect[]) => {
        for (const effect of effects) {
          if (effect.type !== 'send') continue;
          const to = effect.to;
          const { command } = effect.message as Extract<CommitMessage, { type: 'Command' }>;
          const answered = this.router.runOn(to, command).then(
            (outcome) =>
              outcome.kind === 'done' ? { type: 'Result', from: to, command, result: outcome.result } : { type: 'Unreachable', from: to, command, error: outcome.body.error },
            // A failure the router did not expect is, to the coordinator, a shard it could not reach.
            (error: unknown) => ({ type: 'Unreachable', from: to, command, error: `shard ${to}: ${(error as Error).message}` }),
          );
          void answered.then((event) => {
            if (snapshot.status !== 'done') advance(stepper.step(snapshot, event));
          });
        }
      };
      const advance = (step: { snapshot: AnyMachineSnapshot; effects: readonly Effect[] }) => {
        snapshot = step.snapshot;
        release(step.effects);
        if (snapshot.status === 'done') resolve(outcomeOf(shards, verdictOf(snapshot.context)));
      };
      advance(stepper.start({ id: config.id, peers: shards, durable: {}, config }));
    });
  }
}

function outcomeOf(shards: readonly string[], verdict: CrossShardVerdict): CrossShardOutcome {
  switch (verdict.status) {
    case 'committed':
      return { kind: 'cross', shards, result: { committed: true, revisions: verdict.revisions, results: verdict.results } };
    case 'aborted':
      return verdict.unavailable
        ? { kind: 'error', status: 503, body: { error: verdict.reason, shards, retryable: true } }
        : { kind: 'cross', shards, result: { committed: false, reason: verdict.reason } };
    case 'unknown':
      return { kind: 'error', status: 503, body: { error: verdict.error, shards, outcome: 'unknown' } };
    case 'unconfirmed':
      return { kind: 'error', status: 503, body: { error: `the transaction committed (decided at its anchor ${shards[0]}), but shard ${verdict.shard} has not confirmed applying its part yet; it will`, shards, outcome: 'committed' } };
  }
}
