import { assign, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../../node/index.ts';
import { isQuorum, type PaxosMessage } from './messages.ts';

export interface LearnerConfig {
  readonly acceptors: readonly string[];
}

interface LearnerContext {
  readonly config: LearnerConfig;
  /** Acceptors that voted, by "ballot:value", sorted. */
  readonly votes: Readonly<Record<string, readonly string[]>>;
  /** The value learned chosen: a quorum voted for it in one ballot. */
  readonly learned: string | null;
}

type LearnerEvent = Delivered<Extract<PaxosMessage, { type: 'Accepted' }>>;

/**
 * A Paxos learner: a value is chosen once a quorum of acceptors voted for it in the same ballot.
 * It keeps nothing durable; after a restart it learns again from retransmitted votes.
 */
export const learner = setup({
  types: {
    context: {} as LearnerContext,
    events: {} as LearnerEvent,
    input: {} as NodeInput<LearnerConfig>,
    emitted: {} as Effect<PaxosMessage>,
  },
  guards: {
    hasLearned: ({ context }) => context.learned !== null,
  },
  actions: {
    recordVote: assign(({ context, event }) => {
      const key = `${event.ballot}:${event.value}`;
      const voters = context.votes[key] ?? [];
      if (voters.includes(event.from)) return {};
      const now = [...voters, event.from].sort();
      return {
        votes: { ...context.votes, [key]: now },
        learned: context.learned ?? (isQuorum(now.length, context.config.acceptors.length) ? event.value : null),
      };
    }),
  },
}).createMachine({
  id: 'learner',
  context: ({ input }) => ({ config: input.config, votes: {}, learned: null }),
  initial: 'learning',
  states: {
    learning: {
      on: { Accepted: { actions: 'recordVote' } },
      always: { guard: 'hasLearned', target: 'learned' },
    },
    // Still recording votes, so that properties can see every vote that reached a learner.
    learned: { on: { Accepted: { actions: 'recordVote' } } },
  },
});
