import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../node/index.ts';
import { send } from '../node/index.ts';
import type { CommandResults, ShardCommand } from './shard-command.ts';
import type { OperationResult, Txn, TxnResult } from './txn.ts';

/** One shard's part of a transaction, and where its operations stand in the whole. */
export interface ShardPart {
  readonly shard: string;
  readonly part: Txn;
  /** The index in the transaction's `ops` of each of the part's operations. */
  readonly opIndexes: readonly number[];
}

export interface CrossShardCommitConfig {
  /** The transaction's id, named in every command. */
  readonly id: string;
  /** The parts, one per shard, sorted by shard: the first shard is the anchor. */
  readonly parts: readonly ShardPart[];
  readonly voteTimeoutMs: number;
}

/**
 * The coordinator's messages. It sends each shard a `Command` (what the shard orders through its
 * log, src/service/shard-command.ts); the shard answers with the command's `Result`. At runtime
 * the host delivers `Unreachable` when a shard's leader could not be reached within its deadline.
 */
export type CommitMessage =
  | { readonly type: 'Command'; readonly command: ShardCommand }
  | { readonly type: 'Result'; readonly command: ShardCommand; readonly result: CommandResults[keyof CommandResults] }
  | { readonly type: 'Unreachable'; readonly command: ShardCommand; readonly error: string };

/** How a transaction ended, as its client is told. */
export type CrossShardVerdict =
  | { readonly status: 'committed'; readonly revisions: { readonly [shard: string]: number }; readonly results: readonly OperationResult[] }
  /** `unavailable`: a shard could not be reached (or did not vote in time), rather than refusing. */
  | { readonly status: 'aborted'; readonly reason: string; readonly unavailable: boolean }
  /** The decision could not be confirmed at the anchor: it may be either; the shards will learn it from the anchor. */
  | { readonly status: 'unknown'; readonly error: string }
  /** Committed at the anchor, but a shard did not confirm applying its part (it will, through its resolver). */
  | { readonly status: 'unconfirmed'; readonly shard: string };

interface CrossShardCommitContext {
  readonly config: CrossShardCommitConfig;
  /** Shards other than the anchor that voted prepared, in order of arrival. */
  readonly prepared: readonly string[];
  /** Each shard's result of applying its committed part. */
  readonly applied: { readonly [shard: string]: TxnResult };
  readonly verdict?: CrossShardVerdict;
}

type CommitEvent = Delivered<Extract<CommitMessage, { type: 'Result' | 'Unreachable' }>>;

const anchorOf = (config: CrossShardCommitConfig) => config.parts[0]!;
const othersOf = (config: CrossShardCommitConfig) => config.parts.slice(1);
const command = (message: ShardCommand): CommitMessage => ({ type: 'Command', command: message });
/** The result of applying a committed part, which a `decide` or `finish` answer carries (the guards checked it is there). */
const appliedPart = (event: CommitEvent): TxnResult => ((event as Extract<CommitEvent, { type: 'Result' }>).result as { readonly result: TxnResult }).result;

/** The event answers this transaction's command of `kind` (a stale answer, or another transaction's, is ignored). */
const answers = (context: CrossShardCommitContext, event: CommitEvent, kind: ShardCommand['kind']) => event.command.kind === kind && 'id' in event.command && event.command.id === context.config.id;

/**
 * The coordinator of one transaction across shards — 2PC whose participants are the shards' Raft
 * groups and whose decision is logged in a Raft group too, the anchor (the first of its shards):
 * the arrangement of Spanner, and of CockroachDB's transaction record. The same machine is checked
 * (models/service/cross-shard.ts, running the service's own `ShardState` as the shards) and runs in
 * every node (`CrossShardCoordinator`).
 *
 * 1. **preparing**: each shard but the anchor is asked to prepare its part; each takes the part's
 *    locks and checks its compares, or refuses with the reason. A refusal, an unreachable shard or
 *    the vote timeout aborts — without logging anything: nothing was decided, so the anchor's first
 *    decision can only be abort (presumed abort).
 * 2. **deciding**: all prepared, the anchor is asked to `decide committed` with its own part. That
 *    entry is the commit point: the anchor prepares its part and, if it holds, logs the commit and
 *    applies the part in one step (2PC's "last agent" optimization; Samaras et al., "Two-Phase
 *    Commit Optimizations in a Commercial Distributed Environment", 1995), or logs abort. Its
 *    answer is the decision that stands: the first logged, which is abort if a participant, tired
 *    of waiting, asked the anchor to abort first. An answer that the anchor no longer remembers
 *    (a late copy of this decide, applied after the transaction was pruned: shard-state.ts) ends
 *    the transaction unknown, not aborted: it may have committed.
 * 3. **finishing**: the other shards are told to apply their parts; the transaction is answered
 *    once all have, with every operation's result.
 *
 * The coordinator keeps nothing durable: what it decided is in the anchor's log. If it dies with
 * parts prepared, each participant shard's leader resolves them through the anchor
 * (`InDoubtResolver`), committing what the anchor committed and aborting the rest.
 */
export const crossShardCommit = setup({
  types: {
    context: {} as CrossShardCommitContext,
    events: {} as CommitEvent,
    input: {} as NodeInput<CrossShardCommitConfig>,
    emitted: {} as Effect<CommitMessage>,
  },
  guards: {
    refused: ({ context, event }) => answers(context, event, 'prepare') && event.type === 'Result' && (event.result as CommandResults['prepare']).vote === 'refused',
    voted: ({ context, event }) => answers(context, event, 'prepare') && event.type === 'Result',
    allPrepared: ({ context }) => context.prepared.length === othersOf(context.config).length,
    committedAtAnchor: ({ context, event }) => answers(context, event, 'decide') && event.type === 'Result' && (event.result as CommandResults['decide']).outcome === 'committed',
    abortedAtAnchor: ({ context, event }) => answers(context, event, 'decide') && event.type === 'Result',
    forgottenAtAnchor: ({ context, event }) => answers(context, event, 'decide') && event.type === 'Result' && (event.result as CommandResults['decide']).forgotten === true,
    answersDecide: ({ context, event }) => answers(context, event, 'decide'),
    answersPrepare: ({ context, event }) => answers(context, event, 'prepare'),
    applied: ({ context, event }) => answers(context, event, 'finish') && event.type === 'Result' && (event.result as CommandResults['finish']).result?.committed === true,
    answersFinish: ({ context, event }) => answers(context, event, 'finish'),
    allApplied: ({ context }) => Object.keys(context.applied).length === context.config.parts.length,
  },
  actions: {
    requestVotes: enqueueActions(({ context, enqueue }) => {
      const { id } = context.config;
      const anchor = anchorOf(context.config).shard;
      for (const { shard, part } of othersOf(context.config)) enqueue.emit(send(shard, command({ kind: 'prepare', id, anchor, part })));
    }),
    recordVote: assign({ prepared: ({ context, event }) => (context.prepared.includes(event.from) ? context.prepared : [...context.prepared, event.from]) }),
    refuse: assign({
      verdict: ({ event }) => ({ status: 'aborted', reason: `shard ${event.from}: ${(event.type === 'Result' && (event.result as { reason?: string }).reason) || 'refused'}`, unavailable: false }) as const,
    }),
    giveUp: assign({
      verdict: ({ event }) => ({ status: 'aborted', reason: event.type === 'Unreachable' ? `${event.error}; the transaction was aborted, retry` : `shard ${event.from} did not vote`, unavailable: true }) as const,
    }),
    voteTimedOut: assign({ verdict: () => ({ status: 'aborted', reason: 'a shard did not vote in time; the transaction was aborted, retry', unavailable: true }) as const }),
    requestDecision: emit(({ context }) => {
      const anchor = anchorOf(context.config);
      return send(anchor.shard, command({ kind: 'decide', id: context.config.id, outcome: 'committed', part: anchor.part }));
    }),
    recordAnchorPart: assign({ applied: ({ context, event }) => ({ ...context.applied, [event.from]: appliedPart(event) }) }),
    abortedByAnchor: assign({
      verdict: ({ context, event }) => {
        const reason = event.type === 'Result' ? (event.result as CommandResults['decide']).reason : undefined;
        return { status: 'aborted', reason: `shard ${event.from}: ${reason ?? `transaction ${context.config.id} was aborted at its anchor before it could commit (a participant stopped waiting for the decision); retry`}`, unavailable: false } as const;
      },
    }),
    decisionUnknown: assign({
      verdict: ({ context, event }) => ({ status: 'unknown', error: `the decision of transaction ${context.config.id} could not be confirmed at its anchor ${anchorOf(context.config).shard} (${event.type === 'Unreachable' ? event.error : 'no answer'}); it may or may not have committed` }) as const,
    }),
    decisionForgotten: assign({
      verdict: ({ context }) => ({ status: 'unknown', error: `the decision of transaction ${context.config.id} is older than what its anchor ${anchorOf(context.config).shard} remembers; it may or may not have committed` }) as const,
    }),
    requestFinishes: enqueueActions(({ context, enqueue }, params: { outcome: 'committed' | 'aborted' }) => {
      for (const { shard } of othersOf(context.config)) enqueue.emit(send(shard, command({ kind: 'finish', id: context.config.id, outcome: params.outcome })));
    }),
    recordApplied: assign({ applied: ({ context, event }) => ({ ...context.applied, [event.from]: appliedPart(event) }) }),
    unconfirmed: assign({ verdict: ({ event }) => ({ status: 'unconfirmed', shard: event.from }) as const }),
    committed: assign({
      verdict: ({ context }) => {
        const results: OperationResult[] = [];
        const revisions: Record<string, number> = {};
        for (const { shard, opIndexes } of context.config.parts) {
          const applied = context.applied[shard];
          if (applied?.committed !== true) continue;
          revisions[shard] = applied.revision;
          applied.results.forEach((result, j) => (results[opIndexes[j]!] = result));
        }
        return { status: 'committed', revisions, results } as const;
      },
    }),
  },
  delays: {
    voteTimeout: ({ context }) => context.config.voteTimeoutMs,
  },
}).createMachine({
  id: 'crossShardCommit',
  context: ({ input }) => ({ config: input.config, prepared: [], applied: {} }),
  initial: 'preparing',
  states: {
    preparing: {
      entry: 'requestVotes',
      on: {
        Result: [
          { guard: 'refused', target: 'aborting', actions: 'refuse' },
          { guard: 'voted', actions: 'recordVote' },
        ],
        Unreachable: { guard: 'answersPrepare', target: 'aborting', actions: 'giveUp' },
      },
      always: { guard: 'allPrepared', target: 'deciding' },
      after: { voteTimeout: { target: 'aborting', actions: 'voteTimedOut' } },
    },
    deciding: {
      entry: 'requestDecision',
      on: {
        Result: [
          { guard: 'committedAtAnchor', target: 'finishing', actions: 'recordAnchorPart' },
          // A late copy of this decide, answered after the anchor pruned the decision (shard-state.ts).
          { guard: 'forgottenAtAnchor', target: 'unknown', actions: 'decisionForgotten' },
          { guard: 'abortedAtAnchor', target: 'aborting', actions: 'abortedByAnchor' },
        ],
        Unreachable: { guard: 'answersDecide', target: 'unknown', actions: 'decisionUnknown' },
      },
    },
    finishing: {
      entry: { type: 'requestFinishes', params: { outcome: 'committed' } },
      on: {
        Result: [
          { guard: 'applied', actions: 'recordApplied' },
          // A shard that finished otherwise than decided cannot answer a correct coordinator.
          { guard: 'answersFinish', target: 'unconfirmed', actions: 'unconfirmed' },
        ],
        Unreachable: { guard: 'answersFinish', target: 'unconfirmed', actions: 'unconfirmed' },
      },
      always: { guard: 'allApplied', target: 'committed', actions: 'committed' },
    },
    // Aborted before or at the decision: release the prepared parts (a refusing shard holds none).
    aborting: {
      entry: { type: 'requestFinishes', params: { outcome: 'aborted' } },
      always: 'aborted',
    },
    committed: { type: 'final' },
    aborted: { type: 'final' },
    unknown: { type: 'final' },
    unconfirmed: { type: 'final' },
  },
});

/** The verdict of a finished coordinator (a snapshot whose status is 'done'). */
export const verdictOf = (context: unknown): CrossShardVerdict => (context as CrossShardCommitContext).verdict!;
