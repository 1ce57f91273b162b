import type { GlobalView, NodeView } from '../../../src/checker/index.ts';
import { defineModel } from '../../../src/checker/index.ts';
import type { LogEntry } from '../../../src/protocols/raft/index.ts';
import { changesMembershipBeforeCommittingInTerm } from '../../../src/protocols/raft/index.ts';
import { raftMembershipModel } from '../_membership.ts';

/** A server's log suffix, running or crashed. */
const logOf = (node: NodeView): readonly LogEntry[] => ((node.crashed ? node.durable.log : node.context.log) as LogEntry[] | undefined) ?? [];
const termOf = (node: NodeView): number => (node.crashed ? ((node.durable.currentTerm as number | undefined) ?? 0) : (node.context.currentTerm as number));
const holdsConfigurationOfTerm = (node: NodeView | undefined, term: number): boolean => node !== undefined && logOf(node).some((entry) => entry.config !== undefined && entry.term === term);

/**
 * The order of Ongaro's schedule, as a boundary (states outside are checked, not expanded): nobody
 * reaches term 2 before s1 has appended its change in term 1, nor term 3 before s3 holds the
 * change s2 appended in term 2; s1's change reaches no initial server (s1 "appends it to itself only").
 * A directed search: without it the search does not get past depth 16 (of 23) in a minute.
 */
const inScheduleOrder = (state: GlobalView): boolean => {
  const byId = new Map(state.nodes.map((node) => [node.id, node]));
  const highest = Math.max(...state.nodes.map(termOf));
  if (highest >= 2 && !holdsConfigurationOfTerm(byId.get('s1'), 1)) return false;
  if (highest >= 3 && !holdsConfigurationOfTerm(byId.get('s3'), 2)) return false;
  return ['s2', 's3', 's4'].every((id) => !logOf(byId.get(id)!).some((entry) => entry.term === 1));
};

/**
 * Broken on purpose: single-server membership changes without the fix Ongaro published on
 * raft-dev on 10 July 2015 — a leader appends a configuration entry before it has committed an
 * entry of its own term. Servers s1..s4 (a..d) form the group, s5 (e) is a spare. The schedule:
 * s1 leads term 1 and appends "add s5" — {s1..s5} — which no other initial server receives; s2
 * leads term 2 with s3's and s4's votes, its log empty, and appends "remove s4" — {s1,s2,s3} — which
 * it sends s3; s1, told of term 2, campaigns in term 3 under {s1..s5} and wins with s4's and s5's
 * votes; s3, under {s1,s2,s3}, campaigns in term 3 too and wins with s2's vote. Two leaders of term
 * 3: ElectionSafety fails. The two configurations each differ from {s1..s4} by one server but not
 * from each other by one, so they share no majority.
 *
 * Narrowed to that family of schedules: only s1 asks "add s5" and only s2 "remove s4"; only s1
 * campaigns in term 1, s2 in term 2, s1 and s3 in term 3 (`campaignersByTerm`); no client
 * requests; logs of one entry; and the schedule's order as a boundary (`inScheduleOrder`). The
 * same model with the correct server is safe (test/models/raft-membership.test.ts).
 */
export const membershipBeforeTermCommitSetup = {
  servers: 4,
  spares: 1,
  values: [],
  maxChanges: 1,
  bounds: { maxTerm: 3, maxLog: 1 },
  changes: [
    { add: 's5', at: ['s1'] },
    { remove: 's4', at: ['s2'] },
  ],
  candidates: ['s1', 's2', 's3'],
  campaignersByTerm: { 1: ['s1'], 2: ['s2'], 3: ['s1', 's3'] },
  // Copies of one message are one message (Raft's messages are idempotent): 7.8 million states to
  // the violation instead of 22.9 million over a multiset.
  network: 'set',
  properties: { invariants: ['ElectionSafety'] },
} as const;

export const withScheduleOrder = <M extends { boundary?: (state: GlobalView) => boolean }>(model: M): M => ({
  ...model,
  boundary: (state: GlobalView) => (model.boundary === undefined || model.boundary(state)) && inScheduleOrder(state),
});

export default defineModel({
  description: 'BROKEN: Raft membership changes before the leader has committed an entry of its term (the unfixed single-server rule)',
  // Checked only when named (`unanimous check raft/broken/membership-before-term-commit`): 7.8
  // million states, about a minute — too long for `unanimous check`'s run of every model.
  simulationOnly: true,
  build: () => withScheduleOrder(raftMembershipModel({ ...membershipBeforeTermCommitSetup, machine: changesMembershipBeforeCommittingInTerm })),
  expected: () => ({ verdict: 'violation', property: 'ElectionSafety' }),
});
