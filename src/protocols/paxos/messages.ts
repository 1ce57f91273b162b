/**
 * Messages of single-decree Paxos (Lamport, "Paxos Made Simple", 2001), named by their phase as in
 * Lamport's Paxos.tla: Prepare is 1a, Promise 1b, Accept 2a, Accepted 2b. A ballot of -1 and a
 * value of null stand for "has not voted" (Paxos.tla's -1 and None).
 */
export type PaxosMessage =
  | { readonly type: 'Prepare'; readonly ballot: number }
  | { readonly type: 'Promise'; readonly ballot: number; readonly votedBallot: number; readonly votedValue: string | null }
  | { readonly type: 'Accept'; readonly ballot: number; readonly value: string }
  | { readonly type: 'Accepted'; readonly ballot: number; readonly value: string };

/** A vote: the ballot an acceptor voted in and the value it voted for. */
export interface Vote {
  readonly ballot: number;
  readonly value: string;
}

/** A quorum is any majority of the acceptors: any two intersect. */
export const isQuorum = (members: number, acceptors: number): boolean => members * 2 > acceptors;
