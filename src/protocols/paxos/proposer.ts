import { and, assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { isQuorum, type PaxosMessage } from './messages.ts';
import { forcedValue, safeValues, type PromiseReport } from './voting-rule.ts';

export interface ProposerConfig {
  /** The ballots this proposer owns, ascending; no two proposers share a ballot. */
  readonly ballots: readonly number[];
  readonly acceptors: readonly string[];
  /** The values it may propose; the first is its own (a client's) value. */
  readonly values: readonly string[];
  /**
   * How it acts. `spontaneous`: as in Paxos.tla, it starts a ballot (`StartBallot`, Phase1a) and
   * proposes a safe value (`Propose`, Phase2a) when a model lets it, with no timers. `deployed`:
   * it starts at once, proposes its forced or own value on a quorum of promises, and on
   * `retryTimeout` moves to its next ballot.
   */
  readonly mode: 'spontaneous' | 'deployed';
  readonly retryTimeoutMs: number;
}

interface ProposerContext {
  readonly config: ProposerConfig;
  /** Index into config.ballots of the current ballot. */
  readonly round: number;
  /** Promises received in the current ballot, by acceptor. */
  readonly promises: Readonly<Record<string, PromiseReport>>;
  /** The value proposed in the current ballot, once proposed. */
  readonly proposal: string | null;
}

type ProposerEvent =
  | Delivered<Extract<PaxosMessage, { type: 'Promise' | 'Accepted' }>>
  | { readonly type: 'StartBallot' }
  | { readonly type: 'Propose'; readonly value: string };

const ballotOf = (context: ProposerContext) => context.config.ballots[context.round]!;

/**
 * A Paxos proposer (leader of its ballots). Phase 1: ask every acceptor to promise the ballot;
 * phase 2: with a quorum of promises, propose the value the voting rule allows (the value voted
 * in the highest ballot reported, or its own). It persists each ballot before using it, and a
 * restarted proposer moves on to its next ballot: reusing a ballot after a crash could propose a
 * second value in it.
 */
export const proposer = setup({
  types: {
    context: {} as ProposerContext,
    events: {} as ProposerEvent,
    input: {} as NodeInput<ProposerConfig>,
    emitted: {} as Effect<PaxosMessage>,
  },
  guards: {
    deployed: ({ context }) => context.config.mode === 'deployed',
    forThisBallot: ({ context, event }) => event.type === 'Promise' && event.ballot === ballotOf(context),
    hasQuorum: ({ context }) => isQuorum(Object.keys(context.promises).length, context.config.acceptors.length),
    isSafe: ({ context, event }) =>
      event.type === 'Propose' && safeValues(context.promises, context.config.acceptors.length, context.config.values).includes(event.value),
    hasNextBallot: ({ context }) => context.round + 1 < context.config.ballots.length,
    exhausted: ({ context }) => context.round >= context.config.ballots.length,
  },
  actions: {
    persistRound: emit(({ context }) => persist({ set: { round: context.round } })),
    requestPromises: enqueueActions(({ context, enqueue }) => {
      for (const to of context.config.acceptors) enqueue.emit(send(to, { type: 'Prepare', ballot: ballotOf(context) }));
    }),
    recordPromise: assign({
      promises: ({ context, event }) =>
        event.type === 'Promise' ? { ...context.promises, [event.from]: { votedBallot: event.votedBallot, votedValue: event.votedValue } } : context.promises,
    }),
    chooseProposal: assign({
      proposal: ({ context, event }) => (event.type === 'Propose' ? event.value : forcedValue(context.promises, context.config.values[0]!)),
    }),
    requestVotes: enqueueActions(({ context, enqueue }) => {
      for (const to of context.config.acceptors) enqueue.emit(send(to, { type: 'Accept', ballot: ballotOf(context), value: context.proposal! }));
    }),
    nextBallot: assign({ round: ({ context }) => context.round + 1, promises: {}, proposal: null }),
  },
  delays: { retryTimeout: ({ context }) => context.config.retryTimeoutMs },
}).createMachine({
  id: 'proposer',
  context: ({ input }) => ({
    config: input.config,
    round: input.durable.round === undefined ? 0 : (input.durable.round as number) + 1,
    promises: {},
    proposal: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      always: [{ guard: 'exhausted', target: 'exhausted' }, { guard: 'deployed', target: 'preparing' }],
      on: { StartBallot: 'preparing' },
    },
    /** Every ballot it owns has been used. */
    exhausted: {},
    preparing: {
      entry: ['persistRound', 'requestPromises'],
      on: {
        Promise: { guard: 'forThisBallot', actions: 'recordPromise' },
        Propose: { guard: and(['hasQuorum', 'isSafe']), target: 'proposing', actions: 'chooseProposal' },
      },
      always: { guard: and(['deployed', 'hasQuorum']), target: 'proposing', actions: 'chooseProposal' },
      after: { retryTimeout: { guard: 'hasNextBallot', target: 'preparing', reenter: true, actions: 'nextBallot' } },
    },
    proposing: {
      entry: 'requestVotes',
      after: { retryTimeout: { guard: 'hasNextBallot', target: 'preparing', actions: 'nextBallot' } },
    },
  },
});
