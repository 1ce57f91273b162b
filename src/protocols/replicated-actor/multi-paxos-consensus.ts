import type { StateValue } from 'xstate';
import type { Json } from '../../node/index.ts';
import { NOOP, replica, type Command, type ReplicaConfig as MultiPaxosConfig, type SlotVotes } from '../multi-paxos/index.ts';
import type { ConsensusProtocol } from './consensus.ts';
import { NO_OP } from './replicated.ts';

/** What the adapter reads of a Multi-Paxos replica's context (src/protocols/multi-paxos/replica.ts). */
interface MultiPaxosView {
  readonly votes: SlotVotes;
  readonly decided: readonly (Command | null)[];
  readonly applied: readonly Command[];
  readonly proposals: readonly Command[];
}

const viewOf = (context: Json) => context as unknown as MultiPaxosView;

/**
 * The Multi-Paxos replica as a replicated actor's consensus member. The replica's own client
 * commands are names, and it drops a command already proposed or decided (a client retrying). An
 * actor's commands are its input events, and the same event may rightly arrive twice (a vote
 * re-sent after a failover): each must be ordered, as Raft orders every client entry. So the
 * leader appends every command to the next free slot; nothing else of the replica changes.
 */
const orderingEveryCommand = replica.provide({
  guards: { isNewCommand: ({ event }) => event.type === 'ClientRequest' },
});

/** Timeouts as the Multi-Paxos models use them; the group is filled in per replica (configForGroup). */
const DEFAULT_TIMEOUTS = { electionTimeoutMs: 300, heartbeatMs: 100 } as const;

/**
 * Multi-Paxos (src/protocols/multi-paxos; "Paxos Made Simple" §3, "Paxos Made Moderately
 * Complex"): the replica leading a ballot (the distinguished proposer, in state serving.leading)
 * proposes; a command is committed once chosen in its slot, and the replica applies chosen
 * commands in slot order, never past a slot it has not learned (its `applied`, the gap-free prefix
 * of `decided`) — so the actor sees exactly that prefix, no-ops (the gap fillers a new leader
 * proposes) passed as the replicated wrapper's NO_OP.
 *
 * Unlike Raft, a new leader needs no no-op of its own to commit what its predecessor left: phase 1
 * adopts, in every slot, the value voted in the highest ballot of a quorum's reports and proposes
 * it again, no-ops in the gaps ("Paxos Made Simple" §3), and those slots are decided as its
 * proposals are accepted. The wrapper's no-op is therefore answered with an event the replica
 * ignores.
 *
 * The group starts leaderless (`leadFirstBallot` is refused: taking ballot 0 on boot persists, and
 * a hosted consensus member must not emit effects on boot); the first election timeout elects.
 */
export const multiPaxosConsensus: ConsensusProtocol = {
  machine: orderingEveryCommand,
  defaultConfig: DEFAULT_TIMEOUTS satisfies Omit<MultiPaxosConfig, 'replicas' | 'leadFirstBallot'> as unknown as Json,
  configForGroup: (config, replicas) => {
    const given = config as unknown as Partial<MultiPaxosConfig>;
    if (given.replicas !== undefined && given.replicas.join() !== replicas.join()) {
      throw new Error(`multi-paxos consensus: config.replicas [${given.replicas.join(', ')}] is not the group [${replicas.join(', ')}] of the directory`);
    }
    if (given.leadFirstBallot === true) throw new Error('multi-paxos consensus: leadFirstBallot must be false in a replicated actor (a hosted member may not persist on boot)');
    const full: MultiPaxosConfig = { ...DEFAULT_TIMEOUTS, ...given, replicas, leadFirstBallot: false };
    return full as unknown as Json;
  },
  leads: (value: StateValue) => typeof value === 'object' && value !== null && (value as { serving?: unknown }).serving === 'leading',
  committedSince: (context, from) => viewOf(context).applied.slice(from).map((command) => (command === NOOP ? NO_OP : command)),
  // Every slot the member has proposed, voted in or learned: a leader that has applied fewer may
  // not yet know what precedes a new command, so the wrapper orders everything it receives.
  logLength: (context) => {
    const { votes, decided, proposals } = viewOf(context);
    return Math.max(votes.length, decided.length, proposals.length);
  },
  propose: (command) => (command === NO_OP ? { type: 'multiPaxos.noProposalNeeded' } : { type: 'ClientRequest', value: command }),
};
