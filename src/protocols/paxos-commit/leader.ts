import { and, assign, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { isMajority, type InstanceValue, type PaxosCommitMessage } from './messages.ts';
import { phase2aValue, type PromiseReport } from './phase2a-value.ts';

export interface PaxosCommitLeaderConfig {
  /** The RMs of the transaction, each naming one Paxos instance. */
  readonly rms: readonly string[];
  readonly acceptors: readonly string[];
  /** The ballots this leader owns, ascending, each > 0 (ballot 0 of an instance is its RM's); no two leaders share one. */
  readonly ballots: readonly number[];
  /**
   * How it acts. `spontaneous`: as PaxosCommit.tla's leader actions, it starts any of its ballots
   * in any instance whenever a model lets it (a `Phase1a` event), and has no timers.
   * `deployed`: on `retryTimeout` while undecided it moves to its next ballot and starts it in
   * every instance whose outcome it has not learned; a restarted leader does so at once.
   */
  readonly mode: 'spontaneous' | 'deployed';
  readonly retryTimeoutMs: number;
}

export interface LeaderContext {
  readonly config: PaxosCommitLeaderConfig;
  /** Deployed mode: index into config.ballots of the ballot in use; -1 while only ballot 0 (the RMs') runs. */
  readonly round: number;
  /** Phase 1b reports by instance, ballot and acceptor, for ballots not yet proposed in. */
  readonly promises: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, PromiseReport>>>>>>;
  /** The value sent in phase 2a, by instance and ballot: one at most per ballot (PaxosCommit.tla's Phase2a). */
  readonly proposed: Readonly<Record<string, Readonly<Record<string, InstanceValue>>>>;
  /** Phase 2b votes heard, by instance and `ballot:value`, as sorted acceptor ids; dropped once the instance's outcome is known. */
  readonly votes: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  /** The value each instance chose, as far as the leader has learned (PaxosCommit.tla's Decided(rm, v)). */
  readonly outcomes: Readonly<Record<string, InstanceValue>>;
  /** The durable image the leader booted from; cleared once the boot state is left. */
  readonly recovered?: DurableState;
}

type LeaderEvent =
  | Delivered<Extract<PaxosCommitMessage, { type: 'Phase1b' | 'Phase2b' }>>
  | { readonly type: 'Phase1a'; readonly ins: string; readonly bal: number };

const currentBallot = (context: LeaderContext): number | undefined => context.config.ballots[context.round];

/** The key under which votes of one ballot for one value are counted. */
export const voteKey = (bal: number, val: InstanceValue): string => `${bal}:${val}`;

/** The phase 1b reports held for the event's instance and ballot, with the event's own. */
const reportsWith = (context: LeaderContext, event: Delivered<Extract<PaxosCommitMessage, { type: 'Phase1b' }>>) => ({
  ...context.promises[event.ins]?.[event.mbal],
  [event.from]: { bal: event.bal, val: event.val },
});

const withMember = (members: readonly string[], id: string) => (members.includes(id) ? members : [...members, id].sort());

/**
 * Ballots whose phase 1b reports the leader still collects. A deployed leader uses only its current
 * ballot: it keeps no record of the phase 2a messages it sent before a crash, so after a restart it
 * must move to a ballot it has never used (the durable `round` is the highest it may have used, as
 * PaxosCommit.tla asks a leader to record "in stable storage the largest ballot number for which
 * it sent a phase 2a message").
 */
const collectsFor = (context: LeaderContext, ins: string, bal: number): boolean =>
  context.proposed[ins]?.[bal] === undefined &&
  (context.config.mode === 'spontaneous' ? context.config.ballots.includes(bal) : currentBallot(context) === bal);

/**
 * In a decided state a deployed leader drops phase 1a and 1b events: these transitions take them
 * and do nothing. In spontaneous mode they do not apply, and the machine-level handlers run on, as
 * PaxosCommit.tla's leader actions stay enabled after Decide.
 */
const STOPS_WHEN_DEPLOYED = {
  Phase1a: { guard: 'deployed' },
  Phase1b: { guard: 'deployed' },
} as const;

/**
 * The leader of Paxos Commit (the TM's role; PaxosCommit.tla's Phase1a, Phase2a and Decide). It
 * asks every RM to prepare, learns each instance's outcome from a majority of phase 2b votes cast
 * in one ballot, and decides Commit when every instance chose `prepared`, Abort as soon as one
 * chose `aborted`. For an instance whose outcome it does not learn, it starts a ballot of its own:
 * with phase 1b reports from a majority it proposes what `phase2aValue` forces, `aborted` only if
 * no vote can have been chosen. It acts as soon as it can (on the last report or vote it needs);
 * the model's freedom to deliver messages late gives every timing PaxosCommit.tla allows.
 *
 * It needs no stable storage for the outcome: the acceptors hold it. A restarted deployed leader
 * learns it again by running a fresh ballot in every instance.
 */
export const leader = setup({
  types: {
    context: {} as LeaderContext,
    events: {} as LeaderEvent,
    input: {} as NodeInput<PaxosCommitLeaderConfig>,
    emitted: {} as Effect<PaxosCommitMessage>,
  },
  guards: {
    restarted: ({ context }) => context.recovered?.round !== undefined,
    deployed: ({ context }) => context.config.mode === 'deployed',
    ownsBallot: ({ context, event }) => event.type === 'Phase1a' && context.config.ballots.includes(event.bal),
    collectsPromise: ({ context, event }) => event.type === 'Phase1b' && collectsFor(context, event.ins, event.mbal),
    /** The reports, this one included, come from a majority of the acceptors. */
    completesMajority: ({ context, event }) =>
      event.type === 'Phase1b' && isMajority(Object.keys(reportsWith(context, event)).length, context.config.acceptors.length),
    /** Some reported vote forces `prepared` (phase2aValue); otherwise the instance must be proposed `aborted`. */
    reportsForcePrepared: ({ context, event }) => event.type === 'Phase1b' && phase2aValue(Object.values(reportsWith(context, event))) === 'prepared',
    outcomeUnknown: ({ context, event }) => event.type === 'Phase2b' && context.outcomes[event.ins] === undefined,
    someInstanceAborted: ({ context }) => Object.values(context.outcomes).includes('aborted'),
    everyInstancePrepared: ({ context }) => context.config.rms.every((rm) => context.outcomes[rm] === 'prepared'),
    hasNextBallot: ({ context }) => context.round + 1 < context.config.ballots.length,
  },
  actions: {
    forgetBootImage: assign({ recovered: undefined }),
    requestPrepares: enqueueActions(({ context, enqueue }) => {
      for (const rm of context.config.rms) enqueue.emit(send(rm, { type: 'Prepare' }));
    }),
    nextBallot: assign({ round: ({ context }) => context.round + 1 }),
    persistRound: enqueueActions(({ context, enqueue }) => {
      if (currentBallot(context) !== undefined) enqueue.emit(persist({ set: { round: context.round } }));
    }),
    /** Deployed: phase 1a of the current ballot in every instance whose outcome is unknown. */
    startBallot: enqueueActions(({ context, enqueue }) => {
      const bal = currentBallot(context);
      if (bal === undefined) return;
      for (const ins of context.config.rms) {
        if (context.outcomes[ins] !== undefined) continue;
        for (const to of context.config.acceptors) enqueue.emit(send(to, { type: 'Phase1a', ins, bal }));
      }
    }),
    /** Spontaneous: PaxosCommit.tla's Phase1a(bal, rm). */
    requestPromises: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Phase1a') return;
      for (const to of context.config.acceptors) enqueue.emit(send(to, { type: 'Phase1a', ins: event.ins, bal: event.bal }));
    }),
    recordPromise: assign({
      promises: ({ context, event }) => {
        if (event.type !== 'Phase1b') return context.promises;
        const byBallot = context.promises[event.ins] ?? {};
        const reports = { ...byBallot[event.mbal], [event.from]: { bal: event.bal, val: event.val } };
        return { ...context.promises, [event.ins]: { ...byBallot, [event.mbal]: reports } };
      },
    }),
    /** PaxosCommit.tla's Phase2a, taken on the report that completes a majority: `val` is what the reports force. */
    propose: enqueueActions(({ context, event, enqueue }, params: { val: InstanceValue }) => {
      if (event.type !== 'Phase1b') return;
      const { ins, mbal } = event;
      for (const to of context.config.acceptors) enqueue.emit(send(to, { type: 'Phase2a', ins, bal: mbal, val: params.val }));
      const { [mbal]: _done, ...otherBallots } = context.promises[ins] ?? {};
      const { [ins]: _instance, ...otherInstances } = context.promises;
      enqueue.assign({
        promises: Object.keys(otherBallots).length > 0 ? { ...otherInstances, [ins]: otherBallots } : otherInstances,
        proposed: { ...context.proposed, [ins]: { ...context.proposed[ins], [mbal]: params.val } },
      });
    }),
    /** Learning for PaxosCommit.tla's Decide: an outcome is a majority's votes in one ballot. */
    recordVote: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Phase2b') return;
      const key = voteKey(event.bal, event.val);
      const byValue = context.votes[event.ins] ?? {};
      const voters = withMember(byValue[key] ?? [], event.from);
      if (isMajority(voters.length, context.config.acceptors.length)) {
        const { [event.ins]: _learned, ...others } = context.votes;
        enqueue.assign({ votes: others, outcomes: { ...context.outcomes, [event.ins]: event.val } });
      } else {
        enqueue.assign({ votes: { ...context.votes, [event.ins]: { ...byValue, [key]: voters } } });
      }
    }),
    forgetVotes: assign({ votes: {}, outcomes: {} }),
    announce: enqueueActions(({ context, enqueue }, params: { decision: 'Commit' | 'Abort' }) => {
      for (const rm of context.config.rms) enqueue.emit(send(rm, { type: params.decision }));
    }),
  },
  delays: { retryTimeout: ({ context }) => context.config.retryTimeoutMs },
}).createMachine({
  id: 'leader',
  context: ({ input }) => ({
    config: input.config,
    // A restarted leader takes the ballot after the last one it may have used.
    round: input.durable.round === undefined ? -1 : (input.durable.round as number) + 1,
    promises: {},
    proposed: {},
    votes: {},
    outcomes: {},
    recovered: input.durable,
  }),
  initial: 'booting',
  // Starting ballots and proposing in them go on after a decision in PaxosCommit.tla, whose leader
  // actions any process may take at any time; a deployed leader stops once it has decided.
  on: {
    Phase1a: { guard: 'ownsBallot', actions: 'requestPromises' },
    Phase1b: [
      {
        guard: and(['collectsPromise', 'completesMajority', 'reportsForcePrepared']),
        actions: ['recordPromise', { type: 'propose', params: { val: 'prepared' } }],
      },
      { guard: and(['collectsPromise', 'completesMajority']), actions: ['recordPromise', { type: 'propose', params: { val: 'aborted' } }] },
      { guard: 'collectsPromise', actions: 'recordPromise' },
    ],
  },
  states: {
    booting: {
      exit: 'forgetBootImage',
      always: [
        { guard: 'restarted', target: 'undecided', actions: ['persistRound', 'startBallot'] },
        { target: 'undecided', actions: 'requestPrepares' },
      ],
    },
    undecided: {
      on: { Phase2b: { guard: 'outcomeUnknown', actions: 'recordVote' } },
      always: [
        { guard: 'someInstanceAborted', target: 'aborted' },
        { guard: 'everyInstancePrepared', target: 'committed' },
      ],
      after: {
        retryTimeout: { guard: 'hasNextBallot', target: 'undecided', reenter: true, actions: ['nextBallot', 'persistRound', 'startBallot'] },
      },
    },
    committed: {
      entry: ['forgetVotes', { type: 'announce', params: { decision: 'Commit' } }],
      on: STOPS_WHEN_DEPLOYED,
    },
    aborted: {
      entry: ['forgetVotes', { type: 'announce', params: { decision: 'Abort' } }],
      on: STOPS_WHEN_DEPLOYED,
    },
  },
});
