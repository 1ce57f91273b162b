import { defineModel } from '../../src/checker/index.ts';
import { groupsModel, replicaIds } from './_build.ts';

/** Distinct states, as recorded, for the default bounds with the vote timeout on (1) and off (0). */
const DISTINCT_STATES: Readonly<Record<number, number>> = { 1: 101626, 0: 20474 };

/**
 * 2PC over consensus groups, in full (the Spanner arrangement): the TM is hosted by a Raft group of
 * three replicas, each RM by a Raft group of one (`replicated()`, src/protocols/replicated-actor),
 * the machines of 2PC unchanged inside. Every vote, decision and timeout goes through a group's
 * log; a TM replica crash-stops at any moment.
 *
 * Bounds and narrowing (states outside are checked, not stored): terms ≤ 2, logs ≤ 3 entries,
 * ≤ 4 messages in flight to live replicas; the failover narrowing — tm/1 may campaign in term 1
 * only, tm/2 only after tm/1 crashed, tm/3 never (it votes) — so every behaviour of one leader,
 * its crash at any step, and one successor. Only tm/1 crashes (crash-stop). Heartbeats do not fire.
 *
 * Checked: TCTypeOK and TCConsistent over every replica's copy of every RM; goals: some RM commits,
 * some aborts, and BlockedRMsDecide — every RM prepared, no decision made anywhere, a TM replica
 * down for good (where plain 2PC blocks), and afterwards every RM decided.
 */
export default defineModel({
  description: '2PC over Raft groups in full: TM group of 3, two RM groups of 1; a TM replica crash-stops; the group fails over',
  parameters: {
    terms: { description: 'highest term explored', default: 2, min: 1, max: 3 },
    log: { description: 'longest log explored', default: 3, min: 1, max: 5 },
    inFlight: { description: 'most messages in flight to live replicas (the boundary)', default: 4, min: 1, max: 8 },
    voteTimeout: { description: "1: the TM's vote timeout fires (an abort through the log)", default: 1, min: 0, max: 1 },
  },
  build: (p) =>
    groupsModel({
      rms: 2,
      tmReplicas: 3,
      rmReplicas: 1,
      crashes: 1,
      maxTerm: p.terms!,
      maxLog: p.log!,
      inFlight: p.inFlight!,
      voteTimeout: p.voteTimeout === 1,
      rmsMayAbort: true,
      candidates: replicaIds('tm', 2),
      crashable: replicaIds('tm', 1),
      failoverOnly: true,
    }),
  expected: (p) => (p.terms === 2 && p.log === 3 && p.inFlight === 4 ? { verdict: 'ok', distinct: DISTINCT_STATES[p.voteTimeout!] } : { verdict: 'ok' }),
});
