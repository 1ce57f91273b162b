/**
 * Safety of a replicated log, as Multi-Paxos provides it ("Paxos Made Simple" §3: a sequence of
 * separate instances of consensus, one per log position; "Paxos Made Moderately Complex", van
 * Renesse and Altinbuken, 2015, §2's invariants R1 and R2 and §3's A/L invariants): in each slot at
 * most one command is chosen, only requested commands (or the no-op) are chosen, and every
 * replica applies the chosen commands in slot order without gaps — so the logs replicas have
 * applied are prefixes of one another. Pure predicates over plain data.
 */

/** An acceptor's last vote in one slot. */
export interface CastSlotVote {
  readonly acceptor: string;
  readonly slot: number;
  readonly ballot: number;
  readonly value: string;
}

/**
 * Voting.tla's `chosen`, slot by slot: `chosen[s]` holds the values some quorum (a majority of
 * `acceptors`) voted for in one ballot in slot s, sorted.
 */
export function chosenBySlot(votes: readonly CastSlotVote[], acceptors: number): string[][] {
  const voters = new Map<string, Set<string>>();
  let slots = 0;
  for (const vote of votes) {
    const key = `${vote.slot}\u0000${vote.ballot}\u0000${vote.value}`;
    if (!voters.has(key)) voters.set(key, new Set());
    voters.get(key)!.add(vote.acceptor);
    slots = Math.max(slots, vote.slot + 1);
  }
  const chosen: Set<string>[] = Array.from({ length: slots }, () => new Set());
  for (const [key, who] of voters) {
    if (who.size * 2 <= acceptors) continue;
    const [slot, , value] = key.split('\u0000');
    chosen[Number(slot)]!.add(value!);
  }
  return chosen.map((values) => [...values].sort());
}

/** Per slot, every value in any of the `logs` (null: nothing there), sorted. */
export function valuesBySlot(logs: readonly (readonly (string | null)[])[]): string[][] {
  const slots = Math.max(0, ...logs.map((log) => log.length));
  return Array.from({ length: slots }, (_, slot) => [...new Set(logs.flatMap((log) => (log[slot] == null ? [] : [log[slot]!])))].sort());
}

/** The two per-slot lists together, each slot's values sorted and without repeats. */
export function unionBySlot(a: readonly (readonly string[])[], b: readonly (readonly string[])[]): string[][] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, slot) => [...new Set([...(a[slot] ?? []), ...(b[slot] ?? [])])].sort());
}

/**
 * SlotAgreement: at most one command is chosen in each slot (PMMC's invariant R1: no two replicas
 * decide different commands for the same slot; Consensus.tla's Agreement, per instance).
 */
export const SlotAgreement = (chosen: readonly (readonly string[])[]): boolean => chosen.every((values) => new Set(values).size <= 1);

/**
 * SlotValidity: every command chosen in any slot was requested by a client, or is the no-op a
 * leader fills a gap with (Consensus.tla's Validity, per instance; PMMC's invariant R3 for
 * requested commands).
 */
export const SlotValidity = (chosen: readonly (readonly string[])[], allowed: readonly string[]): boolean =>
  chosen.every((values) => values.every((value) => allowed.includes(value)));

/**
 * AppliedWithoutGaps: a replica has applied exactly the commands it knows chosen in slots 0, 1, …,
 * n - 1, in that order — it never applied a slot before learning every slot below it (PMMC's
 * invariant R2: `slot_out` only advances over decided slots).
 */
export const AppliedWithoutGaps = (applied: readonly string[], decided: readonly (string | null)[]): boolean =>
  applied.every((command, slot) => decided[slot] === command);

/**
 * AppliedLogsConsistent: of any two replicas' applied logs, one is a prefix of the other; replicas
 * that applied the same number of commands are in the same state (state machine replication).
 */
export function AppliedLogsConsistent(applied: readonly (readonly string[])[]): boolean {
  for (let i = 0; i < applied.length; i++) {
    for (let j = i + 1; j < applied.length; j++) {
      const [a, b] = [applied[i]!, applied[j]!];
      for (let slot = 0; slot < Math.min(a.length, b.length); slot++) if (a[slot] !== b[slot]) return false;
    }
  }
  return true;
}
