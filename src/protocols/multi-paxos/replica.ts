import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, DurableState, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { appliablePrefix, highestVotes, proposalsFrom, setAt } from './log.ts';
import { isQuorum, nextBallotOwned, type Command, type MultiPaxosMessage, type SlotVotes } from './messages.ts';

export interface ReplicaConfig {
  /**
   * Every replica of the group, in ballot order: replica i owns ballots i, i + n, i + 2n, … (round *
   * n + index), so no two replicas ever lead the same ballot. A quorum is a majority of them.
   */
  readonly replicas: readonly string[];
  /**
   * Whether the first replica leads ballot 0 from its first boot, skipping phase 1: no vote can
   * have been cast below ballot 0, so every command is safe in it. Otherwise the group starts
   * leaderless and the first election timeout elects one.
   */
  readonly leadFirstBallot: boolean;
  /** How long a follower or candidate waits before it suspects the leader and campaigns. */
  readonly electionTimeoutMs: number;
  /** How often a leader resends what is not yet known chosen (votes may have been lost). */
  readonly heartbeatMs: number;
}

export interface ReplicaContext {
  readonly config: ReplicaConfig;
  readonly id: string;

  // Acceptor ("Paxos Made Simple" §2.2; PMMC's acceptor). Durable: persisted before any message
  // that reveals it, since the promises and votes a quorum reported are what later leaders build on.
  /** The highest ballot promised (PMMC's `ballot_num`); -1 before any. */
  readonly promised: number;
  /** The last vote cast in each slot (PMMC's `accepted`, one pvalue per slot). */
  readonly votes: SlotVotes;

  // Learner and state machine. `decided` is durable, so a restarted replica re-applies its log.
  /** The command known chosen in each slot, null where not (yet) known. */
  readonly decided: readonly (Command | null)[];
  /** Commands applied to the state machine, in slot order: always the gap-free prefix of `decided`. */
  readonly applied: readonly Command[];

  // Proposer (leader). Volatile: a restarted replica follows, and campaigns with a higher ballot.
  /** The ballot this replica campaigns for or leads; -1 while following. */
  readonly ballot: number;
  /** Phase 1: the replicas that promised `ballot` (itself included), sorted; [] once leading. */
  readonly promisers: readonly string[];
  /** Phase 1: per slot, the vote of highest ballot the promisers reported; [] once leading. */
  readonly adopted: SlotVotes;
  /** Phase 2: the command proposed in `ballot` for each slot (PMMC's `proposals`). */
  readonly proposals: readonly Command[];
  /** Phase 2: per slot, who voted for the proposal in `ballot` (itself included); [] once decided. */
  readonly accepted: readonly (readonly string[])[];
}

type ReplicaEvent =
  | Delivered<MultiPaxosMessage>
  /** A client's command, to be appended by the leader to its log; others ignore it. */
  | { readonly type: 'ClientRequest'; readonly value: Command };

type BallotEvent = Extract<ReplicaEvent, { ballot: number }>;
const ballotOf = (event: ReplicaEvent): number => (event as BallotEvent).ballot;

const others = (context: ReplicaContext) => context.config.replicas.filter((r) => r !== context.id);
const indexOf = (context: ReplicaContext) => context.config.replicas.indexOf(context.id);
const quorum = (context: ReplicaContext, members: readonly string[]) => isQuorum(members.length, context.config.replicas.length);
/** Whether this replica does not yet know the command chosen in `slot`. */
export const undecided = (context: ReplicaContext, slot: number) => (context.decided[slot] ?? null) === null;

/** Proposer state of a replica that leads nothing. */
const FOLLOWING = { ballot: -1, promisers: [], adopted: [], proposals: [], accepted: [] } as const;

/** A replica's state as recovered from its durable image: acceptor and learner state, proposer state gone. */
function recovered(id: string, config: ReplicaConfig, durable: DurableState): ReplicaContext {
  const decided = (durable.decided as (Command | null)[] | undefined) ?? [];
  return {
    config,
    id,
    promised: (durable.promised as number | undefined) ?? -1,
    votes: (durable.votes as SlotVotes | undefined) ?? [],
    decided,
    applied: appliablePrefix(decided),
    ...FOLLOWING,
  };
}

/**
 * A Multi-Paxos replica: proposer, acceptor and learner at once, the usual deployment ("Paxos Made
 * Simple" §3; "Paxos Made Moderately Complex", van Renesse and Altinbuken, 2015, with its leader,
 * acceptor and replica roles in one process).
 *
 * - **Following.** It votes and promises as an acceptor and learns decisions. When its
 *   `electionTimeout` fires it suspects the leader and campaigns in the smallest ballot it owns
 *   above any it has promised.
 * - **Campaigning (phase 1, once per ballot for every slot).** It promises its own ballot, asks the
 *   others to (Prepare), and folds each Promise's votes in, keeping per slot the vote of highest
 *   ballot. With a quorum of promises it leads.
 * - **Leading (phase 2, per slot).** It proposes, in every slot not known chosen, the adopted
 *   command or a no-op for a gap; then appends each new client command to the next free slot. A
 *   proposal a quorum voted for is chosen: the leader learns it and tells the others (Decide).
 *   On its `heartbeatTimeout` it reassures the followers and resends what may have been lost.
 * - **Preempted.** A Prepare, Accept or Heartbeat of a higher ballot, or a Nack reporting one,
 *   sends a campaigning or leading replica back to following.
 *
 * Every replica applies chosen commands in slot order, never past a slot it has not learned.
 * Promises and votes are persisted before the Promise, Accepted or Accept that reveals them, and
 * decisions before they are applied; a restarted replica follows, with its promises, votes and
 * decided log, and re-applies the log.
 */
export const replica = setup({
  types: {
    context: {} as ReplicaContext,
    events: {} as ReplicaEvent,
    input: {} as NodeInput<ReplicaConfig>,
    emitted: {} as Effect<MultiPaxosMessage>,
  },
  guards: {
    /** First boot of the replica that owns ballot 0, in a group that starts with it leading. */
    leadsFirstBallot: ({ context }) => context.config.leadFirstBallot && indexOf(context) === 0 && context.promised === -1,
    isAboveMyPromise: ({ context, event }) => ballotOf(event) > context.promised,
    isAtLeastMyPromise: ({ context, event }) => ballotOf(event) >= context.promised,
    isBelowMyPromise: ({ context, event }) => ballotOf(event) < context.promised,
    /** A Nack for a ballot above the one this replica campaigns for or leads. */
    preemptsMyBallot: ({ context, event }) => ballotOf(event) > context.ballot,
    isPromiseForMyBallot: ({ context, event }) => event.type === 'Promise' && event.ballot === context.ballot && !context.promisers.includes(event.from),
    hasPromiseQuorum: ({ context }) => quorum(context, context.promisers),
    /** An Accepted for a proposal of this ballot not yet known chosen. */
    isVoteForMyProposal: ({ context, event }) =>
      event.type === 'Accepted' && event.ballot === context.ballot && event.slot < context.proposals.length && undecided(context, event.slot),
    /** Some proposal not yet known chosen has the votes of a quorum: it is chosen. */
    hasChosenProposal: ({ context }) => context.accepted.some((voters, slot) => undecided(context, slot) && quorum(context, voters)),
    isNewDecision: ({ context, event }) => event.type === 'Decide' && undecided(context, event.slot),
    /** A client command this leader has not proposed already, and that is not known chosen. */
    isNewCommand: ({ context, event }) =>
      event.type === 'ClientRequest' && !context.proposals.includes(event.value) && !context.decided.includes(event.value),
  },
  actions: {
    // ── acceptor ──────────────────────────────────────────────────────────────────────────────
    /** Phase 1b: promise never to vote below this ballot, in any slot. */
    promise: assign({ promised: ({ event }) => ballotOf(event) }),
    persistPromise: emit(({ context }) => persist({ set: { promised: context.promised } })),
    sendPromise: emit(({ context, event }) => send((event as BallotEvent).from, { type: 'Promise', ballot: context.promised, votes: context.votes })),
    /** Phase 2b: vote for the command in its slot (a vote in a ballot is also a promise of it). */
    vote: assign(({ context, event }) =>
      event.type === 'Accept' ? { promised: event.ballot, votes: setAt(context.votes, event.slot, { ballot: event.ballot, value: event.value }) } : {},
    ),
    persistVotes: emit(({ context }) => persist({ set: { promised: context.promised, votes: context.votes } })),
    sendAccepted: emit(({ event }) => {
      const accept = event as Delivered<Extract<MultiPaxosMessage, { type: 'Accept' }>>;
      return send(accept.from, { type: 'Accepted', ballot: accept.ballot, slot: accept.slot });
    }),
    /** Tell the sender of a Prepare, Accept or Heartbeat below our promise which ballot it has to beat. */
    refuse: emit(({ context, event }) => send((event as BallotEvent).from, { type: 'Nack', ballot: context.promised })),

    // ── learner ───────────────────────────────────────────────────────────────────────────────
    /** Record a decision announced by a leader. */
    learnDecision: assign(({ context, event }) => {
      if (event.type !== 'Decide') return {};
      const accepted = context.accepted.map((voters, slot) => (slot === event.slot ? [] : voters));
      return { decided: setAt(context.decided, event.slot, event.value), accepted };
    }),
    persistDecided: emit(({ context }) => persist({ set: { decided: context.decided } })),
    /** Execute chosen commands in slot order, stopping at the first slot not known chosen. */
    applyInOrder: assign({ applied: ({ context }) => appliablePrefix(context.decided) }),

    // ── proposer ──────────────────────────────────────────────────────────────────────────────
    /**
     * Phase 1a: campaign in the smallest owned ballot above every ballot promised (its own
     * earlier ones included), promising it first, and start the count with its own votes.
     */
    startBallot: assign(({ context }) => {
      const ballot = nextBallotOwned(context.promised, indexOf(context), context.config.replicas.length);
      return { ballot, promised: ballot, promisers: [context.id], adopted: context.votes, proposals: [], accepted: [] };
    }),
    requestPromises: enqueueActions(({ context, enqueue }) => {
      for (const to of others(context)) enqueue.emit(send(to, { type: 'Prepare', ballot: context.ballot }));
    }),
    /** Phase 1b received: fold the promiser's votes into the highest vote per slot. */
    recordPromise: assign(({ context, event }) =>
      event.type === 'Promise'
        ? { promisers: [...context.promisers, event.from].sort(), adopted: highestVotes(context.adopted, event.votes) }
        : {},
    ),
    /** Ballot 0 on first boot: no phase 1 (nothing can be voted below ballot 0), an empty log. */
    takeFirstBallot: assign({ ballot: 0, promised: 0, promisers: [], adopted: [], proposals: [], accepted: [] }),
    /**
     * Phase 2 of a new ballot, its log: in each slot the command voted in the highest ballot the
     * quorum reported, no-ops in the gaps. Each proposal not known chosen gets this replica's own
     * vote at once.
     */
    adoptHighestVotes: assign(({ context }) => {
      const proposals = proposalsFrom(context.adopted);
      let { votes } = context;
      const accepted = proposals.map((value, slot) => {
        if (!undecided(context, slot)) return [];
        votes = setAt(votes, slot, { ballot: context.ballot, value });
        return [context.id];
      });
      // The promises have served their purpose: late ones are ignored from now on.
      return { proposals, votes, accepted, promisers: [], adopted: [] };
    }),
    /** Phase 2a for every proposal not known chosen. */
    requestVotes: enqueueActions(({ context, enqueue }) => {
      context.proposals.forEach((value, slot) => {
        if (!undecided(context, slot)) return;
        for (const to of others(context)) enqueue.emit(send(to, { type: 'Accept', ballot: context.ballot, slot, value }));
      });
    }),
    /** A client command goes into the next free slot, with the leader's own vote. */
    appendCommand: assign(({ context, event }) => {
      if (event.type !== 'ClientRequest') return {};
      const slot = context.proposals.length;
      return {
        proposals: [...context.proposals, event.value],
        votes: setAt(context.votes, slot, { ballot: context.ballot, value: event.value }),
        accepted: [...context.accepted, [context.id]],
      };
    }),
    requestVoteForLast: enqueueActions(({ context, enqueue }) => {
      const slot = context.proposals.length - 1;
      for (const to of others(context)) enqueue.emit(send(to, { type: 'Accept', ballot: context.ballot, slot, value: context.proposals[slot]! }));
    }),
    /** Phase 2b received. */
    recordAcceptance: assign({
      accepted: ({ context, event }) =>
        event.type === 'Accepted'
          ? context.accepted.map((voters, slot) => (slot === event.slot && !voters.includes(event.from) ? [...voters, event.from].sort() : voters))
          : context.accepted,
    }),
    /** Learn every proposal a quorum voted for, and announce it to the other replicas. */
    decideChosen: enqueueActions(({ context, enqueue }) => {
      let { decided } = context;
      const chosen: number[] = [];
      context.accepted.forEach((voters, slot) => {
        if (undecided(context, slot) && quorum(context, voters)) {
          decided = setAt(decided, slot, context.proposals[slot]!);
          chosen.push(slot);
        }
      });
      const accepted = context.accepted.map((voters, slot) => (chosen.includes(slot) ? [] : voters));
      enqueue.assign({ decided, accepted, applied: appliablePrefix(decided) });
      enqueue.emit(persist({ set: { decided } }));
      for (const slot of chosen) {
        for (const to of others(context)) enqueue.emit(send(to, { type: 'Decide', slot, value: context.proposals[slot]! }));
      }
    }),
    /**
     * Heartbeat: tell the others this leader is alive, resend Accept for every proposal not known
     * chosen to those that have not voted for it, and Decide for every slot known chosen (a vote or
     * a decision may have been lost). A deployment with long logs would track each follower's
     * progress instead of resending every decision.
     */
    retransmit: enqueueActions(({ context, enqueue }) => {
      for (const to of others(context)) enqueue.emit(send(to, { type: 'Heartbeat', ballot: context.ballot }));
      context.proposals.forEach((value, slot) => {
        for (const to of others(context)) {
          if (undecided(context, slot) && !context.accepted[slot]!.includes(to)) enqueue.emit(send(to, { type: 'Accept', ballot: context.ballot, slot, value }));
        }
      });
      context.decided.forEach((value, slot) => {
        if (value !== null) for (const to of others(context)) enqueue.emit(send(to, { type: 'Decide', slot, value }));
      });
    }),
    /** Back to following: forget the ballot campaigned for or led. */
    stepDown: assign({ ...FOLLOWING }),
  },
  delays: {
    electionTimeout: ({ context }) => context.config.electionTimeoutMs,
    heartbeatTimeout: ({ context }) => context.config.heartbeatMs,
  },
}).createMachine({
  id: 'replica',
  context: ({ input }) => recovered(input.id, input.config, input.durable),
  initial: 'booting',
  states: {
    booting: {
      always: [
        { guard: 'leadsFirstBallot', target: 'serving.leading', actions: ['takeFirstBallot', 'persistPromise'] },
        { target: 'serving.following' },
      ],
    },
    serving: {
      initial: 'following',
      // Acceptor and learner: the same in every role. A Prepare, Accept or Heartbeat of a higher
      // ballot means another replica campaigns or leads: a campaigning or leading replica steps down.
      on: {
        Prepare: [
          { guard: 'isAboveMyPromise', target: '.following', actions: ['promise', 'persistPromise', 'sendPromise'] },
          { guard: 'isBelowMyPromise', actions: 'refuse' },
        ],
        Accept: [
          { guard: 'isAtLeastMyPromise', target: '.following', actions: ['vote', 'persistVotes', 'sendAccepted'] },
          { actions: 'refuse' },
        ],
        // A leader of a ballot at least as high as any promised is alive: follow it.
        Heartbeat: [{ guard: 'isAtLeastMyPromise', target: '.following' }, { actions: 'refuse' }],
        Decide: { guard: 'isNewDecision', actions: ['learnDecision', 'persistDecided', 'applyInOrder'] },
      },
      states: {
        following: {
          // Entered afresh (the handlers above target it) on every Prepare, Accept or Heartbeat it
          // heeds: someone leads or campaigns, so the election timer restarts.
          entry: 'stepDown',
          after: { electionTimeout: { target: 'campaigning', actions: ['startBallot', 'persistPromise', 'requestPromises'] } },
        },
        campaigning: {
          on: {
            Promise: { guard: 'isPromiseForMyBallot', actions: 'recordPromise' },
            Nack: { guard: 'preemptsMyBallot', target: 'following' },
          },
          always: { guard: 'hasPromiseQuorum', target: 'leading', actions: ['adoptHighestVotes', 'persistVotes', 'requestVotes'] },
          // No quorum in time (promises lost, or promisers down): campaign again, in a higher ballot.
          after: { electionTimeout: { target: 'campaigning', reenter: true, actions: ['startBallot', 'persistPromise', 'requestPromises'] } },
        },
        leading: {
          on: {
            ClientRequest: { guard: 'isNewCommand', actions: ['appendCommand', 'persistVotes', 'requestVoteForLast'] },
            Accepted: { guard: 'isVoteForMyProposal', actions: 'recordAcceptance' },
            Nack: { guard: 'preemptsMyBallot', target: 'following' },
          },
          always: { guard: 'hasChosenProposal', actions: 'decideChosen' },
          after: { heartbeatTimeout: { target: 'leading', reenter: true, actions: 'retransmit' } },
        },
      },
    },
  },
});
