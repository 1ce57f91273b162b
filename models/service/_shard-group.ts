import { and, assign, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, Json, NodeInput } from '../../src/node/index.ts';
import { send } from '../../src/node/index.ts';
import { type CommandResults, type CommitMessage, type ShardCommand, type ShardImage, ShardState } from '../../src/service/index.ts';

export interface ShardGroupConfig {
  /**
   * How an in-doubt part is resolved: `anchor` asks the transaction's anchor for its decision (the
   * service's `InDoubtResolver`); `alone` aborts it here without asking — the broken variant.
   */
  readonly resolve: 'anchor' | 'alone';
}

interface ShardGroupContext {
  readonly config: ShardGroupConfig;
  /** The service's own shard state, as JSON between steps. */
  readonly image: ShardImage;
}

/** Whatever reaches a shard: commands from coordinators and resolvers, and the anchor's answers to this shard's own resolutions. */
type ShardGroupEvent = Delivered<Extract<CommitMessage, { type: 'Command' | 'Result' }>> | { readonly type: 'ResolveInDoubt' };

/** A kind of shard state: the service's `ShardState`, or a broken variant of it. */
export type ShardStateClass = new (image?: ShardImage) => ShardState;

const asJson = (value: unknown) => value as Json;

/**
 * A shard's Raft group as the cross-shard model sees it: one node that applies every command it
 * receives to the service's own `ShardState` (src/service/shard-state.ts) — the log's order is the
 * order of delivery, Raft itself being checked in models/raft — and answers the sender with the
 * result, as `ShardReplica` answers a proposer.
 *
 * Its `ResolveInDoubt` step is the service's `InDoubtResolver` (src/service/in-doubt-resolver.ts):
 * for every part prepared here it asks the part's anchor `decide aborted`, and finishes the part as
 * the anchor answers. The checker may take that step whenever a part is prepared — the runtime
 * waits a few seconds first, which orders nothing — so a resolver racing a live coordinator is
 * covered.
 */
export function shardGroupOf(State: ShardStateClass) {
  /** Runs `command` on the shard state of `image`: the new image and the command's result. */
  const applied = (image: ShardImage, command: ShardCommand) => {
    const state = new State(image);
    const result = state.apply(command);
    return { image: state.image(), result };
  };
  return setup({
    types: {
      context: {} as ShardGroupContext,
      events: {} as ShardGroupEvent,
      input: {} as NodeInput<ShardGroupConfig>,
      emitted: {} as Effect<CommitMessage>,
    },
    guards: {
      holdsPreparedParts: ({ context }) => context.image.prepared.length > 0,
      resolvesAlone: ({ context }) => context.config.resolve === 'alone',
      answersResolution: ({ context, event }) =>
        event.type === 'Result' && event.command.kind === 'decide' && event.command.part === undefined && context.image.prepared.some(([id]) => id === (event.command as { id: string }).id),
    },
    actions: {
      applyAndAnswer: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'Command') return;
        const { image, result } = applied(context.image, event.command);
        enqueue.assign({ image });
        enqueue.emit(send(event.from, { type: 'Result', command: event.command, result: asJson(result) } as CommitMessage));
      }),
      askAnchors: enqueueActions(({ context, enqueue }) => {
        for (const [id, part] of context.image.prepared) enqueue.emit(send(part.anchor, { type: 'Command', command: { kind: 'decide', id, outcome: 'aborted' } }));
      }),
      abortAlone: assign({
        image: ({ context }) => context.image.prepared.reduce((image, [id]) => applied(image, { kind: 'finish', id, outcome: 'aborted' }).image, context.image),
      }),
      finishAsDecided: assign({
        image: ({ context, event }) => {
          if (event.type !== 'Result' || event.command.kind !== 'decide') return context.image;
          const { outcome } = event.result as CommandResults['decide'];
          return applied(context.image, { kind: 'finish', id: event.command.id, outcome }).image;
        },
      }),
    },
  }).createMachine({
    id: 'shardGroup',
    context: ({ input }) => ({ config: input.config, image: new State().image() }),
    initial: 'serving',
    states: {
      serving: {
        on: {
          Command: { actions: 'applyAndAnswer' },
          Result: { guard: 'answersResolution', actions: 'finishAsDecided' },
          ResolveInDoubt: [
            { guard: and(['holdsPreparedParts', 'resolvesAlone']), actions: 'abortAlone' },
            { guard: 'holdsPreparedParts', actions: 'askAnchors' },
          ],
        },
      },
    },
  });
}

/** The shard group of the service as it is. */
export const shardGroup = shardGroupOf(ShardState);
