import { and, assign, emit, enqueueActions, setup } from 'xstate';
import type { Delivered, Effect, NodeInput } from '../../node/index.ts';
import { persist, send } from '../../node/index.ts';
import { compareZxid, isQuorum, lastZxid, zxidOf, type Txn, type ZabMessage, type Zxid } from './messages.ts';

export type PeerConfig = {
  /** How long a peer in election waits before it stands as prospective leader itself. */
  readonly electionTimeoutMs: number;
  /** How long a follower waits for its leader before it goes back to election. */
  readonly leaderTimeoutMs: number;
  /** How long a prospective leader waits to be established (ZooKeeper's initLimit). */
  readonly establishTimeoutMs: number;
  /** How long an established leader keeps leading without hearing from a quorum. */
  readonly quorumTimeoutMs: number;
};

export const DEFAULT_PEER_CONFIG: PeerConfig = { electionTimeoutMs: 200, leaderTimeoutMs: 400, establishTimeoutMs: 400, quorumTimeoutMs: 400 };

type PeerContext = {
  readonly id: string;
  /** The other peers of the ensemble, sorted. */
  readonly peers: readonly string[];
  readonly config: PeerConfig;

  // Durable (the paper's persistent variables), persisted before any acknowledgement that reveals them.
  /** f.p: the last epoch for which it acknowledged a NEWEPOCH (its own, as a leader). */
  readonly acceptedEpoch: number;
  /** f.a: the last epoch for which it adopted a NEWLEADER's history. */
  readonly currentEpoch: number;
  /** h_f: the transactions it has logged, in zxid order. */
  readonly history: readonly Txn[];
  /**
   * A history variable for the specification only (TLA+'s ghost): every transaction this peer
   * broadcast as primary, in order. Persisted with the proposal, so that the properties can tell
   * what was broadcast even after the primary crashed; never read by the protocol.
   */
  readonly broadcasts: readonly Txn[];

  /** What it delivered since it last started, in order (volatile: redelivered after a restart). */
  readonly delivered: readonly Txn[];
  /** The leader it follows, itself while leading, null in election. */
  readonly leader: string | null;

  // A leader's bookkeeping for the epoch it establishes or leads; cleared in election.
  /** The followers that sent FOLLOWERINFO (CEPOCH), sorted. */
  readonly followers: readonly string[];
  /** Discovery: the highest f.p reported so far, its own included (0 once e' is chosen). */
  readonly maxAcceptedEpoch: number;
  /** Discovery: the followers that acknowledged NEWEPOCH, sorted. */
  readonly epochAckers: readonly string[];
  /** Discovery: the most up-to-date (f.a, history) reported so far, its own included. */
  readonly best: { readonly currentEpoch: number; readonly history: readonly Txn[] } | null;
  /**
   * Synchronisation and broadcast: each follower sent NEWLEADER, with the highest zxid it
   * acknowledged (null until it acknowledges NEWLEADER). The leader holds everything itself.
   */
  readonly acked: { readonly [follower: string]: Zxid | null };
  /** Broadcast: the highest zxid committed in its epoch (its epoch with counter 0 for the initial history). */
  readonly committed: Zxid | null;
};

type PeerEvent =
  | Delivered<ZabMessage>
  /** A client asks the established leader to broadcast a value (others ignore it). */
  | { readonly type: 'Broadcast'; readonly value: string };

type Msg<T extends ZabMessage['type']> = Delivered<Extract<ZabMessage, { type: T }>>;

const ensembleOf = (context: PeerContext) => context.peers.length + 1;

const atLeast = (zxid: Zxid | null | undefined, bound: Zxid) => zxid != null && compareZxid(zxid, bound) >= 0;

/** The transactions of `history` after the last one delivered, up to `upTo`, appended to `delivered`. */
export function deliverUpTo(history: readonly Txn[], delivered: readonly Txn[], upTo: Zxid): Txn[] {
  const after = lastZxid(delivered);
  return [...delivered, ...history.filter((txn) => compareZxid(zxidOf(txn), after) > 0 && compareZxid(zxidOf(txn), upTo) <= 0)];
}

/**
 * The highest zxid of the leader's epoch that a quorum (the leader itself and the followers whose
 * acknowledgements reach it) holds: (e, 0) once a quorum adopted the initial history, (e, c)
 * once a quorum logged the proposal (e, c). Null while no quorum adopted NEWLEADER.
 */
export function commitPoint(context: Pick<PeerContext, 'currentEpoch' | 'history' | 'acked' | 'peers'>): Zxid | null {
  const epoch = context.currentEpoch;
  const candidates = [{ epoch, counter: 0 }, ...context.history.filter((txn) => txn.epoch === epoch).map(zxidOf)];
  for (let i = candidates.length - 1; i >= 0; i--) {
    const zxid = candidates[i]!;
    const holders = 1 + Object.values(context.acked).filter((acked) => atLeast(acked, zxid)).length;
    if (isQuorum(holders, context.peers.length + 1)) return zxid;
  }
  return null;
}

/** Leader-side state of a peer that is not leading. */
const NO_ROLE = { leader: null, followers: [], maxAcceptedEpoch: 0, epochAckers: [], best: null, acked: {}, committed: null } as const;

/**
 * A Zab peer (Junqueira, Reed, Serafini, DSN 2011), following the paper's phases:
 *
 * - Phase 0, leader election. Deliberately simple, since Zab's safety does not depend on which
 *   peer becomes prospective leader (discovery picks the most up-to-date history of a quorum):
 *   a peer in election whose `electionTimeout` fires stands as prospective leader and announces
 *   it (Candidate); a peer in election follows the first candidate it hears from.
 * - Phase 1, discovery. A follower sends FOLLOWERINFO with its f.p; the leader, with a quorum
 *   (itself included), chooses e' above every f.p and sends NEWEPOCH(e'); a follower accepts e'
 *   only if it is above its f.p, persists f.p = e' and answers ACKEPOCH with f.a and its history
 *   (and goes back to election if e' is below). With a quorum of ACKEPOCH the leader adopts the
 *   history of the follower with the highest (f.a, last zxid).
 * - Phase 2, synchronisation. The leader sends NEWLEADER(e', history); a follower whose f.p is
 *   e' persists f.a = e' and the history before it answers ACKNEWLEADER. With a quorum the
 *   leader is established: it delivers the initial history and commits it (COMMIT-LD).
 * - Phase 3, broadcast. A client value becomes PROPOSAL <v, (e', c)>; a follower logs it
 *   (persisted) and acknowledges; once a quorum holds it the leader delivers it and sends COMMIT.
 *
 * Late followers are brought in at any time (FOLLOWERINFO → NEWEPOCH → ACKEPOCH → NEWLEADER with
 * the leader's current history). Followers give up on their leader on `leaderTimeout`, a leader
 * not established on `establishTimeout`, an established one on `quorumTimeout`. A restarted peer
 * comes back in election with its acceptedEpoch, currentEpoch and history. Messages of other
 * leaders and other epochs are ignored, so the machine is safe on any network; progress assumes
 * the FIFO channels the paper assumes.
 */
export const peer = setup({
  types: {
    context: {} as PeerContext,
    events: {} as PeerEvent,
    input: {} as NodeInput<Partial<PeerConfig> | undefined>,
    emitted: {} as Effect<ZabMessage>,
  },
  guards: {
    // Followers
    fromLeader: ({ context, event }) => 'from' in event && event.from === context.leader,
    isNewerEpoch: ({ context, event }) => (event as Msg<'NewEpoch'>).epoch > context.acceptedEpoch,
    isAcceptedEpoch: ({ context, event }) => (event as Msg<'NewLeader'>).epoch === context.acceptedEpoch,
    isNextTxn: ({ context, event }) => {
      const { txn } = event as Msg<'Proposal'>;
      const last = lastZxid(context.history);
      return txn.epoch === context.currentEpoch && txn.counter === (last.epoch === txn.epoch ? last.counter : 0) + 1;
    },
    isCurrentEpochCommit: ({ context, event }) => (event as Msg<'Commit'>).zxid.epoch === context.currentEpoch,

    // Leader
    hasQuorumOfFollowers: ({ context }) => isQuorum(context.followers.length + 1, ensembleOf(context)),
    isAckEpochFromFollower: ({ context, event }) => {
      const ack = event as Msg<'AckEpoch'>;
      return ack.epoch === context.acceptedEpoch && context.followers.includes(ack.from);
    },
    hasQuorumOfEpochAcks: ({ context }) => isQuorum(context.epochAckers.length + 1, ensembleOf(context)),
    isLateAckEpoch: ({ context, event }) => {
      const ack = event as Msg<'AckEpoch'>;
      return ack.epoch === context.acceptedEpoch && context.followers.includes(ack.from) && !(ack.from in context.acked);
    },
    isAckFromSyncedFollower: ({ context, event }) => {
      const ack = event as Msg<'AckNewLeader'> | Msg<'Ack'>;
      const epoch = ack.type === 'AckNewLeader' ? ack.epoch : ack.zxid.epoch;
      return epoch === context.currentEpoch && ack.from in context.acked;
    },
    isEstablished: ({ context }) => commitPoint(context) !== null,
    isNewValue: ({ context, event }) => !context.history.some((txn) => txn.value === (event as { value: string }).value),
  },
  actions: {
    forgetRole: assign(NO_ROLE),

    // Phase 0
    followCandidate: assign({ leader: ({ event }) => (event as Msg<'Candidate'>).from }),
    standAsCandidate: assign(({ context }) => ({ leader: context.id, maxAcceptedEpoch: context.acceptedEpoch })),
    announceCandidacy: enqueueActions(({ context, enqueue }) => {
      for (const to of context.peers) enqueue.emit(send<ZabMessage>(to, { type: 'Candidate' }));
    }),

    // Phase 1, follower (steps 1.1.1, 1.2.1)
    sendFollowerInfo: emit(({ context }) => send<ZabMessage>(context.leader!, { type: 'FollowerInfo', acceptedEpoch: context.acceptedEpoch })),
    acceptEpoch: assign({ acceptedEpoch: ({ event }) => (event as Msg<'NewEpoch'>).epoch }),
    persistAcceptedEpoch: emit(({ context }) => persist({ set: { acceptedEpoch: context.acceptedEpoch } })),
    sendAckEpoch: emit(({ context }) =>
      send<ZabMessage>(context.leader!, { type: 'AckEpoch', epoch: context.acceptedEpoch, currentEpoch: context.currentEpoch, history: context.history }),
    ),

    // Phase 1, leader (steps 1.1.2, 1.2.2)
    recordFollower: assign(({ context, event }) => {
      const info = event as Msg<'FollowerInfo'>;
      if (context.followers.includes(info.from)) return {};
      return { followers: [...context.followers, info.from].sort(), maxAcceptedEpoch: Math.max(context.maxAcceptedEpoch, info.acceptedEpoch) };
    }),
    /** e' is above the f.p of every member of the quorum, its own included; it acknowledges e' itself. */
    chooseEpoch: assign(({ context }) => ({
      acceptedEpoch: context.maxAcceptedEpoch + 1,
      maxAcceptedEpoch: 0,
      best: { currentEpoch: context.currentEpoch, history: context.history },
    })),
    sendNewEpochToFollowers: enqueueActions(({ context, enqueue }) => {
      for (const to of context.followers) enqueue.emit(send<ZabMessage>(to, { type: 'NewEpoch', epoch: context.acceptedEpoch }));
    }),
    addLateFollower: assign({
      followers: ({ context, event }) => {
        const { from } = event as Msg<'FollowerInfo'>;
        return context.followers.includes(from) ? context.followers : [...context.followers, from].sort();
      },
    }),
    sendNewEpochToSender: emit(({ context, event }) => send<ZabMessage>((event as Msg<'FollowerInfo'>).from, { type: 'NewEpoch', epoch: context.acceptedEpoch })),
    /** Keeps the most up-to-date history: highest f.a, then highest last zxid (step 1.2.2). */
    recordEpochAck: assign(({ context, event }) => {
      const ack = event as Msg<'AckEpoch'>;
      if (context.epochAckers.includes(ack.from)) return {};
      const best = context.best!;
      const newer = ack.currentEpoch - best.currentEpoch || compareZxid(lastZxid(ack.history), lastZxid(best.history));
      return {
        epochAckers: [...context.epochAckers, ack.from].sort(),
        best: newer > 0 ? { currentEpoch: ack.currentEpoch, history: ack.history } : best,
      };
    }),

    // Phase 2, leader (step 2.1.1): it adopts the initial history itself first.
    adoptInitialHistory: assign(({ context }) => ({
      currentEpoch: context.acceptedEpoch,
      history: context.best!.history,
      acked: Object.fromEntries(context.epochAckers.map((follower) => [follower, null])),
      epochAckers: [],
      best: null,
    })),
    sendNewLeaderToAckers: enqueueActions(({ context, enqueue }) => {
      for (const to of Object.keys(context.acked)) enqueue.emit(send<ZabMessage>(to, { type: 'NewLeader', epoch: context.currentEpoch, history: context.history }));
    }),
    syncLateFollower: assign({ acked: ({ context, event }) => ({ ...context.acked, [(event as Msg<'AckEpoch'>).from]: null }) }),
    sendNewLeaderToSender: emit(({ context, event }) =>
      send<ZabMessage>((event as Msg<'AckEpoch'>).from, { type: 'NewLeader', epoch: context.currentEpoch, history: context.history }),
    ),

    // Phase 2, follower (step 2.2.1)
    adoptHistory: assign(({ event }) => {
      const newLeader = event as Msg<'NewLeader'>;
      return { currentEpoch: newLeader.epoch, history: newLeader.history };
    }),
    persistHistory: emit(({ context }) => persist({ set: { currentEpoch: context.currentEpoch }, truncate: { history: 0 }, append: { history: context.history } })),
    sendAckNewLeader: emit(({ context }) => {
      const last = lastZxid(context.history);
      const zxid = last.epoch === context.currentEpoch ? last : { epoch: context.currentEpoch, counter: 0 };
      return send<ZabMessage>(context.leader!, { type: 'AckNewLeader', epoch: context.currentEpoch, zxid });
    }),

    // Phases 2 and 3, leader: acknowledgements and commits (steps 2.1.2, 3.1.2)
    recordAck: assign({
      acked: ({ context, event }) => {
        const ack = event as Msg<'AckNewLeader'> | Msg<'Ack'>;
        const before = context.acked[ack.from];
        return { ...context.acked, [ack.from]: before && compareZxid(before, ack.zxid) >= 0 ? before : ack.zxid };
      },
    }),
    /** Delivers and commits everything a quorum holds, once established (COMMIT-LD, then COMMIT). */
    advanceCommit: enqueueActions(({ context, enqueue }) => {
      const point = commitPoint(context);
      if (point === null || (context.committed !== null && compareZxid(point, context.committed) <= 0)) return;
      enqueue.assign({ committed: point, delivered: deliverUpTo(context.history, context.delivered, point) });
      for (const [to, acked] of Object.entries(context.acked)) if (acked !== null) enqueue.emit(send<ZabMessage>(to, { type: 'Commit', zxid: point }));
    }),
    /** A follower that joined after establishment learns what is already committed. */
    sendCommitToSender: emit(({ context, event }) => send<ZabMessage>((event as Msg<'AckNewLeader'>).from, { type: 'Commit', zxid: context.committed! })),

    // Phase 3, leader (step 3.1.1): the leader logs its own proposal first.
    propose: assign(({ context, event }) => {
      const last = lastZxid(context.history);
      const txn: Txn = {
        epoch: context.currentEpoch,
        counter: (last.epoch === context.currentEpoch ? last.counter : 0) + 1,
        value: (event as { value: string }).value,
      };
      return { history: [...context.history, txn], broadcasts: [...context.broadcasts, txn] };
    }),
    persistProposal: emit(({ context }) => {
      const txn = context.history[context.history.length - 1]!;
      return persist({ append: { history: [txn], broadcasts: [txn] } });
    }),
    sendProposal: enqueueActions(({ context, enqueue }) => {
      const txn = context.history[context.history.length - 1]!;
      for (const to of Object.keys(context.acked)) enqueue.emit(send<ZabMessage>(to, { type: 'Proposal', txn }));
    }),

    // Phase 3, follower (step 3.2.1, 3.2.2)
    logProposal: assign({ history: ({ context, event }) => [...context.history, (event as Msg<'Proposal'>).txn] }),
    persistLoggedTxn: emit(({ context }) => persist({ append: { history: [context.history[context.history.length - 1]!] } })),
    sendAck: emit(({ context }) => send<ZabMessage>(context.leader!, { type: 'Ack', zxid: lastZxid(context.history) })),
    deliverCommitted: assign({ delivered: ({ context, event }) => deliverUpTo(context.history, context.delivered, (event as Msg<'Commit'>).zxid) }),
  },
  delays: {
    electionTimeout: ({ context }) => context.config.electionTimeoutMs,
    leaderTimeout: ({ context }) => context.config.leaderTimeoutMs,
    establishTimeout: ({ context }) => context.config.establishTimeoutMs,
    quorumTimeout: ({ context }) => context.config.quorumTimeoutMs,
  },
}).createMachine({
  id: 'zab',
  context: ({ input }) => ({
    id: input.id,
    peers: [...input.peers].sort(),
    config: { ...DEFAULT_PEER_CONFIG, ...(input.config ?? {}) },
    acceptedEpoch: (input.durable.acceptedEpoch as number | undefined) ?? 0,
    currentEpoch: (input.durable.currentEpoch as number | undefined) ?? 0,
    history: (input.durable.history as Txn[] | undefined) ?? [],
    broadcasts: (input.durable.broadcasts as Txn[] | undefined) ?? [],
    delivered: [],
    ...NO_ROLE,
  }),
  initial: 'election',
  states: {
    /** Phase 0. */
    election: {
      entry: 'forgetRole',
      on: { Candidate: { target: 'following', actions: ['followCandidate', 'sendFollowerInfo'] } },
      after: { electionTimeout: { target: 'leading', actions: 'standAsCandidate' } },
    },

    following: {
      after: { leaderTimeout: 'election' },
      initial: 'discovery',
      states: {
        /** Phase 1 (follower): FOLLOWERINFO sent, awaiting NEWEPOCH. */
        discovery: {
          on: {
            NewEpoch: [
              {
                guard: and(['fromLeader', 'isNewerEpoch']),
                target: 'synchronisation',
                actions: ['acceptEpoch', 'persistAcceptedEpoch', 'sendAckEpoch'],
              },
              // e' <= f.p: this leader cannot gather a quorum for e'; back to Phase 0.
              { guard: 'fromLeader', target: '#zab.election' },
            ],
          },
        },
        /** Phase 2 (follower): ACKEPOCH sent, awaiting NEWLEADER. */
        synchronisation: {
          on: {
            NewLeader: {
              guard: and(['fromLeader', 'isAcceptedEpoch']),
              target: 'broadcast',
              actions: ['adoptHistory', 'persistHistory', 'sendAckNewLeader'],
            },
          },
        },
        /** Phase 3 (follower): logs proposals, delivers commits (COMMIT-LD first). */
        broadcast: {
          on: {
            Proposal: { guard: and(['fromLeader', 'isNextTxn']), actions: ['logProposal', 'persistLoggedTxn', 'sendAck'] },
            Commit: { guard: and(['fromLeader', 'isCurrentEpochCommit']), actions: 'deliverCommitted' },
          },
        },
      },
    },

    leading: {
      entry: 'announceCandidacy',
      initial: 'discovery',
      on: {
        // A late follower, in any phase once e' is chosen, is told e' (step 1.1.2).
        FollowerInfo: { actions: ['addLateFollower', 'sendNewEpochToSender'] },
      },
      states: {
        discovery: {
          after: { establishTimeout: '#zab.election' },
          initial: 'collectingFollowers',
          states: {
            /** Phase 1 (leader): FOLLOWERINFO from a quorum, itself included. */
            collectingFollowers: {
              on: { FollowerInfo: { actions: 'recordFollower' } },
              always: {
                guard: 'hasQuorumOfFollowers',
                target: 'collectingEpochAcks',
                actions: ['chooseEpoch', 'persistAcceptedEpoch', 'sendNewEpochToFollowers'],
              },
            },
            /** Phase 1 (leader): ACKEPOCH from a quorum, itself included. */
            collectingEpochAcks: {
              on: { AckEpoch: { guard: 'isAckEpochFromFollower', actions: 'recordEpochAck' } },
              always: {
                guard: 'hasQuorumOfEpochAcks',
                target: '#zab.leading.synchronisation',
                actions: ['adoptInitialHistory', 'persistHistory', 'sendNewLeaderToAckers'],
              },
            },
          },
        },
        /** Phase 2 (leader): ACKNEWLEADER from a quorum, itself included. */
        synchronisation: {
          after: { establishTimeout: '#zab.election' },
          on: {
            AckEpoch: { guard: 'isLateAckEpoch', actions: ['syncLateFollower', 'sendNewLeaderToSender'] },
            AckNewLeader: { guard: 'isAckFromSyncedFollower', actions: 'recordAck' },
          },
          always: { guard: 'isEstablished', target: 'broadcast', actions: 'advanceCommit' },
        },
        /** Phase 3 (leader): established; proposes, counts acknowledgements, commits. */
        broadcast: {
          after: { quorumTimeout: '#zab.election' },
          on: {
            Broadcast: { guard: 'isNewValue', actions: ['propose', 'persistProposal', 'sendProposal'] },
            AckEpoch: { guard: 'isLateAckEpoch', actions: ['syncLateFollower', 'sendNewLeaderToSender'] },
            AckNewLeader: { guard: 'isAckFromSyncedFollower', actions: ['recordAck', 'sendCommitToSender', 'advanceCommit'] },
            Ack: { guard: 'isAckFromSyncedFollower', actions: ['recordAck', 'advanceCommit'] },
          },
        },
      },
    },
  },
});
