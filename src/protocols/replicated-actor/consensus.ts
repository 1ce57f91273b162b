import type { AnyEventObject, StateValue } from 'xstate';
import type { Json, NodeMachine } from '../../node/index.ts';
import type { LogEntry, RaftConfig } from '../raft/index.ts';
import { DEFAULT_RAFT_CONFIG, server } from '../raft/index.ts';

/**
 * What a replicated actor needs of its consensus protocol, a node machine run unchanged inside each
 * replica: whether the replica leads, which commands are committed, and how to propose one.
 * Commands are opaque strings (a log of byte strings, as in the Raft paper), so the consensus
 * machine needs to know nothing of the actor it orders events for.
 */
export interface ConsensusProtocol {
  readonly machine: NodeMachine;
  /** The consensus machine's config when a replica's config gives none. */
  readonly defaultConfig: Json;
  /**
   * The member's config in a group of `replicas` (every replica, the member too, in directory
   * order), for a protocol whose config names its group (Multi-Paxos orders ballots by it); the
   * config as given when absent.
   */
  readonly configForGroup?: (config: Json, replicas: readonly string[]) => Json;
  /** Whether the consensus member in this state leads its group (and so may propose). */
  leads(value: StateValue, context: Json): boolean;
  /** The committed commands at log positions from + 1 .. (1-based), in log order. */
  committedSince(context: Json, from: number): readonly string[];
  /** How many entries the member's log holds, committed or not. */
  logLength(context: Json): number;
  /** The event that asks the member to propose `command`; a member that does not lead ignores it. */
  propose(command: string): AnyEventObject;
}

/**
 * Raft (src/protocols/raft): a leader proposes by appending a client entry; an entry is committed
 * up to the server's commitIndex (a follower learns it from the leader, a restarted server relearns
 * it once its leader commits an entry of its own term — hence the no-op a new leader proposes).
 */
export const raftConsensus: ConsensusProtocol = {
  machine: server,
  defaultConfig: DEFAULT_RAFT_CONFIG satisfies RaftConfig as unknown as Json,
  leads: (value) => typeof value === 'object' && value !== null && 'leader' in value,
  committedSince: (context, from) => {
    const raft = context as unknown as { log: readonly LogEntry[]; commitIndex: number };
    return raft.log.slice(from, raft.commitIndex).map((entry) => entry.value);
  },
  logLength: (context) => (context as unknown as { log: readonly LogEntry[] }).log.length,
  propose: (command) => ({ type: 'ClientRequest', value: command }),
};
