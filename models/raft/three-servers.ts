import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { raftModel } from './_build.ts';

/**
 * Raft, three servers, checked exhaustively in CI. Every server may time out and campaign, lead,
 * take client requests (one command, "v"), crash once and restart from its durable term, vote and
 * log; a multiset network (raft.tla's bag). Checked: ElectionSafety, LogMatching,
 * LeaderCompleteness, StateMachineSafety, LeaderAppendOnly (refinement, one per server), and over
 * the history variable (raft.tla's `elections`, with the entries ever known committed)
 * ElectionSafetyEver and LeaderCompletenessEver; goals: an
 * entry commits, a leader of a later term holds an earlier leader's entry, a leader commits an
 * entry of an earlier term indirectly (§5.4.2).
 *
 * Bounds (TLC-style state constraint: states outside are checked, not stored): terms ≤ 3, logs
 * ≤ 2 entries, ≤ 3 messages in flight. The servers are a symmetry set. Leaders replicate on
 * election, client request, rejection and commit; heartbeats are off by default (`--heartbeats 1`
 * lets the checker fire them), since each may fire at any moment and floods the network without
 * adding a kind of message: every heartbeat only repeats, with the leader's current nextIndex and
 * commitIndex, what replication already sent. Four messages in flight instead of three take the
 * state space past several million.
 */
export default defineModel({
  description: 'Raft, 3 servers, 1 crash, terms ≤ 3, logs ≤ 2, ≤ 3 messages in flight',
  parameters: {
    terms: { description: 'highest term explored', default: 3, min: 1, max: 6 },
    log: { description: 'longest log explored', default: 2, min: 0, max: 4 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 3, min: 1, max: 12 },
    ...faultParameters({ loss: 0, duplication: 0, crashes: 1 }, 'server'),
    heartbeats: { description: '1: the checker may fire leaders\' heartbeatTimeout', default: 0, min: 0, max: 1 },
  },
  build: (p) =>
    raftModel({
      servers: 3,
      values: ['v'],
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      heartbeats: p.heartbeats === 1,
      symmetry: true,
      properties: {
        invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'],
        leaderAppendOnly: true,
        goals: ['EntryCommitted', 'LaterLeaderHoldsEarlierEntry', 'CommittedIndirectly'],
        overHistory: ['ElectionSafetyEver', 'LeaderCompletenessEver'],
      },
    }),
  expected: (p) => {
    const defaults = p.terms === 3 && p.log === 2 && p.inFlight === 3 && p.crashes === 1 && p.loss === 0;
    if (defaults && p.duplication === 0 && p.heartbeats === 0) return { verdict: 'ok', distinct: 64637, distinctWithoutSymmetry: 387368 };
    if (defaults && p.duplication === 0 && p.heartbeats === 1) return { verdict: 'ok', distinct: 116472 };
    if (defaults && p.duplication === 1 && p.heartbeats === 0) return { verdict: 'ok', distinct: 229749 };
    return { verdict: 'ok' };
  },
});
