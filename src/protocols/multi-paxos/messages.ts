/**
 * Messages of Multi-Paxos: one instance of Paxos per log slot, with phase 1 run once per ballot
 * for every slot at once (Lamport, "Paxos Made Simple", 2001, §3; van Renesse and Altinbuken,
 * "Paxos Made Moderately Complex", ACM Computing Surveys 47(3), 2015). Named by phase as in the
 * single-decree messages (src/protocols/paxos/messages.ts): Prepare is 1a, Promise 1b, Accept 2a,
 * Accepted 2b. Decide carries a chosen command to the other replicas (PMMC's `decision`); Nack
 * tells a leader or candidate that an acceptor has promised a higher ballot (PMMC's `preempted`;
 * "Paxos Made Simple" §2.3's optional notice); Heartbeat keeps followers from suspecting a leader
 * that has nothing to send.
 */

/** A command, or `NOOP`, the filler a new leader proposes for a slot no promiser voted in. */
export type Command = string;

/** The no-op: chosen into a gap below a higher slot, applied as nothing. */
export const NOOP: Command = 'noop';

/** An acceptor's last vote in one slot: the ballot it voted in and the command it voted for. */
export type SlotVote = {
  readonly ballot: number;
  readonly value: Command;
};

/** Votes by slot: `votes[s]` is the last vote cast in slot s, or null when none was. */
export type SlotVotes = readonly (SlotVote | null)[];

export type MultiPaxosMessage =
  /** 1a: promise not to vote below `ballot` in any slot, and report your votes. */
  | { readonly type: 'Prepare'; readonly ballot: number }
  /** 1b: the promise, with the acceptor's last vote in every slot (PMMC's `accepted` pvalues). */
  | { readonly type: 'Promise'; readonly ballot: number; readonly votes: SlotVotes }
  /** 2a: vote for `value` in `slot`, in `ballot`. */
  | { readonly type: 'Accept'; readonly ballot: number; readonly slot: number; readonly value: Command }
  /** 2b: the vote was cast; sent to the leader of `ballot`, which knows what it proposed. */
  | { readonly type: 'Accepted'; readonly ballot: number; readonly slot: number }
  /** `value` is chosen in `slot`: learn it, apply it when every slot below is applied. */
  | { readonly type: 'Decide'; readonly slot: number; readonly value: Command }
  /** The leader of `ballot` is alive: followers restart their election timers. */
  | { readonly type: 'Heartbeat'; readonly ballot: number }
  /** A Prepare, Accept or Heartbeat was refused: the sender has promised `ballot`, which is higher. */
  | { readonly type: 'Nack'; readonly ballot: number };

/** A quorum is any majority of the replicas: any two intersect. */
export const isQuorum = (members: number, replicas: number): boolean => members * 2 > replicas;

/**
 * The smallest ballot above `above` owned by replica `index` of `count`: ballots are partitioned
 * among the replicas as round * count + index, so no two replicas ever lead the same ballot.
 */
export const nextBallotOwned = (above: number, index: number, count: number): number => {
  const round = Math.floor((above - index) / count) + 1;
  return Math.max(round, 0) * count + index;
};

/** The replica that owns `ballot`. */
export const ownerOfBallot = (ballot: number, replicas: readonly string[]): string => replicas[ballot % replicas.length]!;
