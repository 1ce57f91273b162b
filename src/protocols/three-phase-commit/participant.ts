import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput, PeerCrashed } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { backupOrder, nextCoordinator, notBefore } from './backup-order.ts';
import type { ParticipantState, ThreePhaseMessage } from './messages.ts';
import { terminationRule, type TerminationOutcome } from './termination-rule.ts';

export interface ParticipantConfig {
  /** How long a participant waits for CanCommit before it aborts on its own. */
  readonly canCommitTimeoutMs: number;
  /** How long an undecided participant waits on its coordinator (or backup) before giving up on it. */
  readonly coordinatorTimeoutMs: number;
  /** How long a backup coordinator waits for the participants' state reports. */
  readonly reportTimeoutMs: number;
  /** How long a backup coordinator waits for acknowledgements of its PreCommit. */
  readonly ackTimeoutMs: number;
  /** How often a participant that restarted undecided asks again for the decision. */
  readonly retryTimeoutMs: number;
}

export const DEFAULT_PARTICIPANT_CONFIG: ParticipantConfig = {
  canCommitTimeoutMs: 1000,
  coordinatorTimeoutMs: 1000,
  reportTimeoutMs: 500,
  ackTimeoutMs: 500,
  retryTimeoutMs: 500,
};

export interface ParticipantContext {
  readonly config: ParticipantConfig;
  readonly self: string;
  /** Who coordinates, in turn: the coordinator, then the participants by id (backup-order.ts). */
  readonly order: readonly string[];
  /** The coordinator this participant currently follows: the original one, a backup, or itself. */
  readonly coordinator: string;
  /** Peers it believes crashed (after a timeout, or told by a failure detector), sorted. */
  readonly suspected: readonly string[];
  /** As a backup coordinator collecting states: those reported so far, by participant. */
  readonly reports?: { readonly [participant: string]: ParticipantState };
  /** As a backup coordinator sending PreCommit: the participants whose Ack it still waits for, sorted. */
  readonly awaiting?: readonly string[];
  /** The durable image it booted from; cleared once the boot state is left. */
  readonly recovered?: DurableState;
}

type ParticipantEvent =
  | Delivered<ThreePhaseMessage>
  | Delivered<PeerCrashed>
  | { readonly type: 'ChooseToAbort' };

type Decided = 'committed' | 'aborted';
type DecisionMessage = 'DoCommit' | 'Abort';

const withMember = (members: readonly string[], id: string) => (members.includes(id) ? members : [...members, id].sort());

const recoveredState = (context: ParticipantContext): ParticipantState | undefined =>
  context.recovered?.state as ParticipantState | undefined;

/** The other participants: everyone in the order but the original coordinator and itself. */
const otherParticipants = (context: ParticipantContext) => context.order.slice(1).filter((id) => id !== context.self);

/** The termination rule applied to its own state and the reports, once every other participant reported or is suspected. */
function terminationOutcome(context: ParticipantContext, own: ParticipantState): TerminationOutcome | undefined {
  const reports = context.reports ?? {};
  const allReported = otherParticipants(context).every((id) => id in reports || context.suspected.includes(id));
  return allReported ? terminationRule([own, ...Object.values(reports)]) : undefined;
}

const senderOf = (event: ParticipantEvent): string => ('from' in event ? event.from : '');

/** Every undecided participant follows a coordinator; this is how it gives one up and takes over. */
const following = {
  entry: 'forgetTermination',
  after: { coordinatorTimeout: { actions: 'suspectCoordinator' } },
  always: [
    { guard: 'leadsItself', target: 'collecting' },
    // Give up on a crashed coordinator: follow the next one (re-entering restarts the timer).
    { guard: 'coordinatorSuspected', target: 'following', reenter: true, actions: 'followNextCoordinator' },
  ],
} as const;

/**
 * The termination protocol, as backup coordinator: ask every participant not suspected for its
 * state, and decide by termination-rule.ts once each has reported or is suspected.
 */
const collecting = (own: 'uncertain' | 'committable') =>
  ({
    entry: 'requestStates',
    on: { StateReport: { actions: 'recordReport' } },
    after: { reportTimeout: { actions: 'suspectSilent' } },
    always: [
      { guard: { type: 'rulesSayAbort', params: { own } }, target: '#participant.aborted' },
      { guard: { type: 'rulesSayCommit', params: { own } }, target: '#participant.committed' },
      {
        guard: { type: 'rulesSayPreCommit', params: { own } },
        target: '#participant.committable.precommitting',
        // TR4 makes the backup committable too (a no-op if it already was).
        actions: { type: 'persistState', params: { state: 'committable' } },
      },
    ],
  }) as const;

/** What an undecided participant does with decisions and state requests, whoever coordinates. */
const undecidedOn = (own: 'uncertain' | 'committable') =>
  ({
    DoCommit: { target: '#participant.committed' },
    Abort: { target: '#participant.aborted' },
    StateReq: {
      guard: 'fromCoordinatorNotGivenUp',
      target: '.following',
      actions: ['followSender', { type: 'reportState', params: { state: own } }],
    },
  }) as const;

/**
 * A decided participant. It answers state requests and restarted nodes' decision requests, and
 * if its turn as backup coordinator comes (every coordinator before it crashed) it announces its
 * decision: the termination rules TR1/TR2 with its own state as the deciding one.
 */
const decided = (state: Decided, message: DecisionMessage) =>
  ({
    entry: ['forgetTermination', { type: 'persistState', params: { state } }, { type: 'announceIfLeading', params: { message } }],
    on: {
      StateReq: { guard: 'fromCoordinatorNotGivenUp', actions: ['followSender', { type: 'reportState', params: { state } }] },
      DecisionReq: { actions: { type: 'reply', params: { message } } },
    },
    always: { guard: 'coordinatorSuspected', actions: ['followNextCoordinator', { type: 'announceIfLeading', params: { message } }] },
  }) as const;

/**
 * A participant of Skeen's Three-Phase Commit, with the termination protocol of Bernstein,
 * Hadzilacos & Goodman (1987), §7.5:
 *
 * - working: on CanCommit it persists `uncertain` and votes Yes, or — having chosen to abort
 *   (ChooseToAbort) — it is aborted and answers No. If CanCommit does not come (timeout, or its
 *   coordinator crashed) it aborts.
 * - uncertain: on PreCommit it persists `committable` and acknowledges; on DoCommit or Abort it
 *   decides. If the coordinator fails it runs the termination protocol (`following`, then
 *   `collecting` when its turn comes as backup, above).
 * - committable: waits for DoCommit; if the coordinator fails, the termination protocol.
 *
 * A coordinator is given up on when its timer fires (the textbook rule) or when a failure detector
 * reports it crashed (`PeerCrashed`). Either way the suspicion is kept: a backup coordinator does
 * not wait for the reports or acknowledgements of peers it suspects. Messages from a coordinator
 * given up on are ignored — all but decisions, which are final: a PreCommit from a crashed
 * coordinator arriving after a backup decided to abort would otherwise make this participant
 * committable and mislead the next backup into committing.
 *
 * Correct only under 3PC's assumption that suspicion means crash (perfect failure detection); with
 * timeouts in an asynchronous network, two sides of a partition can decide differently. A
 * participant that restarts uncertain or committable may not decide alone: it asks the others
 * (`recovering`). One that restarts working never voted, and aborts.
 */
export const participant = setup({
  types: {
    context: {} as ParticipantContext,
    events: {} as ParticipantEvent,
    input: {} as NodeInput<ParticipantConfig>,
    emitted: {} as Effect<ThreePhaseMessage>,
  },
  guards: {
    committedBeforeCrash: ({ context }) => recoveredState(context) === 'committed',
    /** Aborted, or never voted Yes (only `working` persisted): either way it may abort. */
    abortedOrUnvotedBeforeCrash: ({ context }) => recoveredState(context) === 'aborted' || recoveredState(context) === 'working',
    undecidedBeforeCrash: ({ context }) => recoveredState(context) === 'uncertain' || recoveredState(context) === 'committable',
    fromCoordinator: ({ context, event }) => senderOf(event) === context.coordinator,
    /** A state request from the coordinator it follows or a later one in the order it has not given up on. */
    fromCoordinatorNotGivenUp: ({ context, event }) =>
      !context.suspected.includes(senderOf(event)) && notBefore(context.order, senderOf(event), context.coordinator),
    coordinatorSuspected: ({ context }) => context.suspected.includes(context.coordinator),
    leadsItself: ({ context }) => context.coordinator === context.self,
    // Once every participant has reported or is suspected: the termination rule's outcome.
    rulesSayAbort: ({ context }, params: { own: ParticipantState }) => terminationOutcome(context, params.own) === 'abort',
    rulesSayCommit: ({ context }, params: { own: ParticipantState }) => terminationOutcome(context, params.own) === 'commit',
    rulesSayPreCommit: ({ context }, params: { own: ParticipantState }) => terminationOutcome(context, params.own) === 'precommit',
    allAcknowledged: ({ context }) => (context.awaiting ?? []).every((id) => context.suspected.includes(id)),
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    persistState: emit((_, params: { state: ParticipantState }) => persist({ set: { state: params.state } })),
    voteYes: emit(({ event }) => send(senderOf(event), { type: 'Yes' })),
    voteNo: emit(({ event }) => send(senderOf(event), { type: 'No' })),
    acknowledge: emit(({ event }) => send(senderOf(event), { type: 'Ack' })),
    reportState: emit(({ event }, params: { state: ParticipantState }) => send(senderOf(event), { type: 'StateReport', state: params.state })),
    reply: emit(({ event }, params: { message: DecisionMessage }) => send(senderOf(event), { type: params.message })),
    suspectSender: assign({ suspected: ({ context, event }) => withMember(context.suspected, senderOf(event)) }),
    suspectCoordinator: assign({ suspected: ({ context }) => withMember(context.suspected, context.coordinator) }),
    suspectSilent: assign({
      suspected: ({ context }) => otherParticipants(context).filter((id) => !(id in (context.reports ?? {}))).reduce(withMember, context.suspected),
    }),
    suspectUnacknowledged: assign({ suspected: ({ context }) => (context.awaiting ?? []).reduce(withMember, context.suspected) }),
    followNextCoordinator: assign({
      coordinator: ({ context }) => nextCoordinator(context.order, context.coordinator, context.suspected, context.self),
    }),
    followSender: assign({ coordinator: ({ event }) => senderOf(event) }),
    forgetTermination: assign({ reports: undefined, awaiting: undefined }),
    requestStates: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ reports: {} });
      for (const id of otherParticipants(context)) {
        if (!context.suspected.includes(id)) enqueue.emit(send(id, { type: 'StateReq' }));
      }
    }),
    recordReport: assign({
      reports: ({ context, event }) =>
        event.type === 'StateReport' && context.reports && otherParticipants(context).includes(event.from)
          ? { ...context.reports, [event.from]: event.state }
          : context.reports,
    }),
    /** TR4: PreCommit to every participant that reported uncertain; their acknowledgements are awaited. */
    sendPreCommits: enqueueActions(({ context, enqueue }) => {
      const reports = context.reports ?? {};
      const uncertain = Object.keys(reports)
        .filter((id) => reports[id] === 'uncertain')
        .sort();
      for (const id of uncertain) enqueue.emit(send(id, { type: 'PreCommit' }));
      enqueue.assign({ reports: undefined, awaiting: uncertain });
    }),
    recordAck: assign({ awaiting: ({ context, event }) => context.awaiting?.filter((id) => id !== senderOf(event)) }),
    /** As the coordinator now (every one before it given up on), tell the other participants the decision. */
    announceIfLeading: enqueueActions(({ context, enqueue }, params: { message: DecisionMessage }) => {
      if (context.coordinator !== context.self) return;
      for (const id of otherParticipants(context)) {
        if (!context.suspected.includes(id)) enqueue.emit(send(id, { type: params.message }));
      }
    }),
    requestDecision: enqueueActions(({ context, enqueue }) => {
      for (const id of context.order) if (id !== context.self) enqueue.emit(send(id, { type: 'DecisionReq' }));
    }),
  },
  delays: {
    canCommitTimeout: ({ context }) => context.config.canCommitTimeoutMs,
    coordinatorTimeout: ({ context }) => context.config.coordinatorTimeoutMs,
    reportTimeout: ({ context }) => context.config.reportTimeoutMs,
    ackTimeout: ({ context }) => context.config.ackTimeoutMs,
    retryTimeout: ({ context }) => context.config.retryTimeoutMs,
  },
}).createMachine({
  id: 'participant',
  context: ({ input }) => ({
    config: input.config,
    self: input.id,
    order: backupOrder(input.peers[0] ?? '', [input.id, ...input.peers.slice(1)]),
    coordinator: input.peers[0] ?? '',
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
        // Restarted before voting Yes: it never voted, so it may abort on its own.
        { guard: 'abortedOrUnvotedBeforeCrash', target: 'aborted' },
        { guard: 'undecidedBeforeCrash', target: 'recovering' },
        { target: 'working' },
      ],
    },
    working: {
      entry: { type: 'persistState', params: { state: 'working' } },
      on: {
        CanCommit: { guard: 'fromCoordinator', target: 'uncertain', actions: [{ type: 'persistState', params: { state: 'uncertain' } }, 'voteYes'] },
        ChooseToAbort: { target: 'aborted' },
        Abort: { target: 'aborted' },
        // A backup coordinator asks: the coordinator failed before asking for our vote.
        StateReq: { guard: 'fromCoordinatorNotGivenUp', target: 'aborted', actions: ['followSender', { type: 'reportState', params: { state: 'aborted' } }] },
      },
      after: { canCommitTimeout: { actions: 'suspectCoordinator' } },
      always: { guard: 'coordinatorSuspected', target: 'aborted' },
    },
    uncertain: {
      initial: 'following',
      on: {
        ...undecidedOn('uncertain'),
        PreCommit: { guard: 'fromCoordinator', target: 'committable', actions: [{ type: 'persistState', params: { state: 'committable' } }, 'acknowledge'] },
      },
      states: { following, collecting: collecting('uncertain') },
    },
    committable: {
      initial: 'following',
      on: {
        ...undecidedOn('committable'),
        // A repeated PreCommit: the acknowledgement may have been lost.
        PreCommit: { guard: 'fromCoordinator', actions: 'acknowledge' },
      },
      states: {
        following,
        collecting: collecting('committable'),
        // TR4: the uncertain participants are made committable before anyone commits.
        precommitting: {
          entry: 'sendPreCommits',
          on: { Ack: { actions: 'recordAck' } },
          after: { ackTimeout: { actions: 'suspectUnacknowledged' } },
          always: { guard: 'allAcknowledged', target: '#participant.committed' },
        },
      },
    },
    committed: decided('committed', 'DoCommit'),
    aborted: {
      ...decided('aborted', 'Abort'),
      // It chose to abort before the coordinator asked, or gave up waiting: its vote is No.
      on: { ...decided('aborted', 'Abort').on, CanCommit: { actions: 'voteNo' } },
    },
    recovering: {
      entry: 'requestDecision',
      on: { DoCommit: { target: 'committed' }, Abort: { target: 'aborted' } },
      after: { retryTimeout: { target: 'recovering', reenter: true } },
    },
  },
});
