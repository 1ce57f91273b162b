/**
 * Safety of consensus on a single value, after Lamport's Consensus.tla and Voting.tla
 * (tlaplus/Examples, specifications/Paxos) and "Paxos Made Simple": only a value that was proposed
 * may be chosen, and at most one value is chosen.
 */

/** A vote cast by an acceptor: Voting.tla's <<ballot, value>> in votes[acceptor]. */
export interface CastVote {
  readonly acceptor: string;
  readonly ballot: number;
  readonly value: string;
}

/**
 * Voting.tla's `chosen`: the values some quorum (here: a majority of `acceptors`) voted for in one
 * ballot.
 */
export function chosenValues(votes: readonly CastVote[], acceptors: number): string[] {
  const voters = new Map<string, Set<string>>();
  for (const vote of votes) {
    const key = `${vote.ballot}\u0000${vote.value}`;
    if (!voters.has(key)) voters.set(key, new Set());
    voters.get(key)!.add(vote.acceptor);
  }
  const chosen = new Set<string>();
  for (const [key, who] of voters) if (who.size * 2 > acceptors) chosen.add(key.split('\u0000')[1]!);
  return [...chosen].sort();
}

/** Agreement: at most one value is chosen (Consensus.tla's `Cardinality(chosen) <= 1`). */
export const Agreement = (chosen: readonly string[]): boolean => new Set(chosen).size <= 1;

/** Validity: every chosen value was proposed (Consensus.tla: `chosen \subseteq Value`). */
export const Validity = (chosen: readonly string[], proposable: readonly string[]): boolean =>
  chosen.every((value) => proposable.includes(value));
