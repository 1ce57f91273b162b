import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput, PeerCrashed } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import type { Decision, ThreePhaseMessage } from './messages.ts';

export interface CoordinatorConfig {
  /** How long the coordinator waits for every vote before it aborts. */
  readonly voteTimeoutMs: number;
  /** How long it waits for the acknowledgements of PreCommit before it commits anyway. */
  readonly ackTimeoutMs: number;
  /** How often a coordinator that restarted undecided asks again for the decision. */
  readonly retryTimeoutMs: number;
}

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = { voteTimeoutMs: 1000, ackTimeoutMs: 1000, retryTimeoutMs: 500 };

interface CoordinatorContext {
  readonly config: CoordinatorConfig;
  /** The participants: the coordinator's peers, sorted. */
  readonly participants: readonly string[];
  /** Participants that voted Yes, sorted. */
  readonly votes: readonly string[];
  /** Participants that acknowledged PreCommit, sorted. */
  readonly acknowledged: readonly string[];
  /** Participants it believes crashed (after a timeout, or told by a failure detector), sorted. */
  readonly suspected: readonly string[];
  /** The durable image it booted from; cleared once the boot state is left. */
  readonly recovered?: DurableState;
}

type CoordinatorEvent = Delivered<ThreePhaseMessage> | Delivered<PeerCrashed>;

const withMember = (members: readonly string[], id: string) => (members.includes(id) ? members : [...members, id].sort());

const recoveredDecision = (context: CoordinatorContext): Decision | undefined => context.recovered?.decision as Decision | undefined;

const senderOf = (event: CoordinatorEvent): string => event.from;

/** A decided coordinator: persist the decision, then tell every participant not known to have crashed. */
const decided = (decision: Decision, message: 'DoCommit' | 'Abort') =>
  ({
    entry: [{ type: 'persistDecision', params: { decision } }, { type: 'announce', params: { message } }],
    on: { DecisionReq: { actions: { type: 'reply', params: { message } } } },
  }) as const;

/**
 * The coordinator of Skeen's Three-Phase Commit (Skeen 1981; Bernstein, Hadzilacos & Goodman
 * 1987, §7.5). It asks for votes (CanCommit); on a No, or when a participant it waits for is
 * suspected (its `voteTimeout` fires, or a failure detector reports the crash), it aborts. With
 * every vote Yes it sends PreCommit and waits for the acknowledgements; a participant that does not
 * acknowledge is taken to have crashed (`ackTimeout`: the textbook rule, "commit anyway" — the
 * crashed participant will learn the decision when it recovers). Then it persists the decision
 * and sends DoCommit.
 *
 * The extra round is what makes 3PC non-blocking: no participant commits before every live one is
 * committable, so the survivors of a coordinator crash can always finish (termination-rule.ts).
 * A coordinator that restarts undecided may not decide on its own — the participants may have
 * finished without it — so it asks them (`recovering`).
 */
export const coordinator = setup({
  types: {
    context: {} as CoordinatorContext,
    events: {} as CoordinatorEvent,
    input: {} as NodeInput<CoordinatorConfig>,
    emitted: {} as Effect<ThreePhaseMessage>,
  },
  guards: {
    committedBeforeCrash: ({ context }) => recoveredDecision(context) === 'commit',
    abortedBeforeCrash: ({ context }) => recoveredDecision(context) === 'abort',
    crashedUndecided: ({ context }) => context.recovered?.begun === true,
    allVotedYes: ({ context }) => context.votes.length === context.participants.length,
    /** A participant it still waits for a vote from is suspected: the vote may never come. */
    voterSuspected: ({ context }) => context.participants.some((id) => !context.votes.includes(id) && context.suspected.includes(id)),
    allAcknowledged: ({ context }) =>
      context.participants.every((id) => context.acknowledged.includes(id) || context.suspected.includes(id)),
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    persistBegun: emit(() => persist({ set: { begun: true } })),
    requestVotes: enqueueActions(({ context, enqueue }) => {
      for (const id of context.participants) enqueue.emit(send(id, { type: 'CanCommit' }));
    }),
    recordVote: assign({ votes: ({ context, event }) => withMember(context.votes, senderOf(event)) }),
    sendPreCommits: enqueueActions(({ context, enqueue }) => {
      for (const id of context.participants) enqueue.emit(send(id, { type: 'PreCommit' }));
    }),
    recordAck: assign({ acknowledged: ({ context, event }) => withMember(context.acknowledged, senderOf(event)) }),
    suspectSender: assign({ suspected: ({ context, event }) => withMember(context.suspected, senderOf(event)) }),
    suspectUnacknowledged: assign({
      suspected: ({ context }) => context.participants.filter((id) => !context.acknowledged.includes(id)).reduce(withMember, context.suspected),
    }),
    persistDecision: emit((_, params: { decision: Decision }) => persist({ set: { decision: params.decision } })),
    announce: enqueueActions(({ context, enqueue }, params: { message: 'DoCommit' | 'Abort' }) => {
      for (const id of context.participants) if (!context.suspected.includes(id)) enqueue.emit(send(id, { type: params.message }));
    }),
    reply: emit(({ event }, params: { message: 'DoCommit' | 'Abort' }) => send(senderOf(event), { type: params.message })),
    requestDecision: enqueueActions(({ context, enqueue }) => {
      for (const id of context.participants) enqueue.emit(send(id, { type: 'DecisionReq' }));
    }),
  },
  delays: {
    voteTimeout: ({ context }) => context.config.voteTimeoutMs,
    ackTimeout: ({ context }) => context.config.ackTimeoutMs,
    retryTimeout: ({ context }) => context.config.retryTimeoutMs,
  },
}).createMachine({
  id: 'coordinator',
  context: ({ input }) => ({
    config: input.config,
    participants: [...input.peers].sort(),
    votes: [],
    acknowledged: [],
    suspected: [],
    recovered: input.durable,
  }),
  initial: 'booting',
  on: { PeerCrashed: { actions: 'suspectSender' } },
  states: {
    booting: {
      exit: 'forgetBootImage',
      always: [
        { guard: 'committedBeforeCrash', target: 'committed' },
        { guard: 'abortedBeforeCrash', target: 'aborted' },
        { guard: 'crashedUndecided', target: 'recovering' },
        { target: 'collecting' },
      ],
    },
    collecting: {
      entry: ['persistBegun', 'requestVotes'],
      on: { Yes: { actions: 'recordVote' }, No: { target: 'aborted' } },
      after: { voteTimeout: 'aborted' },
      always: [
        { guard: 'allVotedYes', target: 'precommitting' },
        { guard: 'voterSuspected', target: 'aborted' },
      ],
    },
    precommitting: {
      entry: 'sendPreCommits',
      on: { Ack: { actions: 'recordAck' } },
      after: { ackTimeout: { actions: 'suspectUnacknowledged' } },
      always: { guard: 'allAcknowledged', target: 'committed' },
    },
    committed: decided('commit', 'DoCommit'),
    aborted: decided('abort', 'Abort'),
    recovering: {
      entry: 'requestDecision',
      on: { DoCommit: { target: 'committed' }, Abort: { target: 'aborted' } },
      after: { retryTimeout: { target: 'recovering', reenter: true } },
    },
  },
});
