import { assign, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../node/index.ts';
import { send } from '../node/index.ts';
import type { CommitMessage } from './cross-shard-commit.ts';
import type { CommandResults, ShardCommand } from './shard-command.ts';

export interface TxnMemoryPruningConfig {
  /** Every shard of the cluster: any of them may hold a part of any transaction. */
  readonly shards: readonly string[];
  /** The watermark: transactions stamped before it are over, unless a part of them is still prepared somewhere. */
  readonly below: number;
}

interface TxnMemoryPruningContext {
  readonly config: TxnMemoryPruningConfig;
  /** Each shard's prepared floor, as it answered the first prune. */
  readonly floors: { readonly [shard: string]: number };
}

type PruningEvent = Delivered<Extract<CommitMessage, { type: 'Result' | 'Unreachable' }>>;

/** A prune of the first round: the watermark alone. */
const firstRound = (config: TxnMemoryPruningConfig): ShardCommand => ({ kind: 'prune', below: config.below });

/** The event answers a prune of the first round (an answer of the second, or of another round, is not a floor). */
const answersFirstRound = (context: TxnMemoryPruningContext, event: PruningEvent) =>
  event.command.kind === 'prune' && event.command.below === context.config.below && event.command.committedBelow === undefined;

/**
 * One round of pruning the memory of finished transactions across shards, in two steps (the rules
 * of `prune` and why they are safe are in shard-state.ts):
 *
 * 1. **collecting floors**: every shard is told `prune { below }`. Each forgets its finished parts
 *    and aborted decisions stamped before the watermark, refuses from then on what comes late for
 *    them, and answers its prepared floor — no part stamped before it is prepared there, nor ever
 *    will be.
 * 2. **forgetting commits**: with every floor in, the least of them is a point below which every
 *    participant of every transaction has finished: each shard is told `prune { below,
 *    committedBelow }`, and anchors forget the committed decisions stamped before it. This is
 *    presumed abort's rule that a commit record is forgotten once every participant acknowledged it
 *    (Mohan, Lindsay & Obermarck, "Transaction Management in the R* Distributed Database Management
 *    System", 1986), with the acknowledgements gathered per watermark instead of per transaction.
 *
 * A shard that cannot be reached in step 1 ends the round: its floor is unknown, so no commit is
 * forgotten (what step 1 pruned stays pruned; the next round tries again). The machine keeps
 * nothing durable: every answer it acts on is a promise the shard logged. Checked by
 * models/service/txn-memory-pruning.ts; run by `TxnMemoryPruner`.
 */
export const txnMemoryPruning = setup({
  types: {
    context: {} as TxnMemoryPruningContext,
    events: {} as PruningEvent,
    input: {} as NodeInput<TxnMemoryPruningConfig>,
    emitted: {} as Effect<CommitMessage>,
  },
  guards: {
    floorAnswered: ({ context, event }) => event.type === 'Result' && answersFirstRound(context, event) && context.floors[event.from] === undefined,
    floorUnknown: ({ context, event }) => event.type === 'Unreachable' && answersFirstRound(context, event),
    allFloors: ({ context }) => context.config.shards.every((shard) => context.floors[shard] !== undefined),
  },
  actions: {
    pruneFinished: enqueueActions(({ context, enqueue }) => {
      for (const shard of context.config.shards) enqueue.emit(send(shard, { type: 'Command', command: firstRound(context.config) }));
    }),
    recordFloor: assign({
      floors: ({ context, event }) => ({ ...context.floors, [event.from]: ((event as Extract<PruningEvent, { type: 'Result' }>).result as CommandResults['prune']).preparedFloor }),
    }),
    pruneCommitted: enqueueActions(({ context, enqueue }) => {
      const { shards, below } = context.config;
      const committedBelow = Math.min(below, ...Object.values(context.floors));
      for (const shard of shards) enqueue.emit(send(shard, { type: 'Command', command: { kind: 'prune', below, committedBelow } }));
    }),
  },
}).createMachine({
  id: 'txnMemoryPruning',
  context: ({ input }) => ({ config: input.config, floors: {} }),
  initial: 'collectingFloors',
  states: {
    collectingFloors: {
      entry: 'pruneFinished',
      on: {
        Result: { guard: 'floorAnswered', actions: 'recordFloor' },
        Unreachable: { guard: 'floorUnknown', target: 'incomplete' },
      },
      always: { guard: 'allFloors', target: 'forgettingCommits' },
    },
    forgettingCommits: {
      entry: 'pruneCommitted',
      always: 'pruned',
    },
    pruned: { type: 'final' },
    incomplete: { type: 'final' },
  },
});
