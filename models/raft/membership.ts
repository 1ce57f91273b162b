import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { raftMembershipModel } from './_membership.ts';

/**
 * Raft with single-server membership changes (Ongaro's thesis §4.1–4.2, with the fix of July
 * 2015), checked exhaustively. The group starts as {s1,s2,s3}; s4 exists, started as a host starts
 * a server it will add (`joining`, the group as its peers, an empty log). At any moment the host of
 * any server may ask it to add s4 or to remove any of s1..s3 (only a leader takes it, once it has
 * committed an entry of its term and no change is uncommitted). Elections, client requests (one
 * command, "v") and commitment use each server's latest configuration, committed or not. A leader
 * that removes itself steps down once the entry commits; a server outside its own configuration
 * never campaigns. Checked: ElectionSafety, LogMatching, LeaderCompleteness, StateMachineSafety;
 * goals: an entry commits, a configuration entry commits, a removed leader steps down.
 *
 * Bounds: terms ≤ 3 (two changes by leaders of different terms and an election after them: the
 * shape of the bug the fix prevents), logs ≤ 3 entries, at most 2 configuration entries in a log,
 * ≤ 3 messages in flight, no crash by default (864,178 distinct states, some 20 s here; `--param
 * terms=2 --param crashes=1`, a crash and restart from the durable configuration: 1,109,803). s1..s3 are a symmetry set (every one
 * may be asked every change, s4 is not in it). models/raft/broken/membership-before-term-commit.ts
 * is the bug the fix prevents.
 */
export default defineModel({
  description: 'Raft with single-server membership changes, {s1,s2,s3} + spare s4, terms ≤ 3, logs ≤ 3, ≤ 2 changes, ≤ 3 in flight',
  parameters: {
    terms: { description: 'highest term explored', default: 3, min: 1, max: 6 },
    log: { description: 'longest log explored', default: 3, min: 0, max: 5 },
    changes: { description: 'most configuration entries in a log', default: 2, min: 0, max: 3 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 3, min: 1, max: 12 },
    ...faultParameters({ loss: 0, duplication: 0, crashes: 0 }, 'server'),
  },
  build: (p) =>
    raftMembershipModel({
      servers: 3,
      spares: 1,
      values: ['v'],
      maxChanges: p.changes!,
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      changes: [{ add: 's4' }, { remove: 's1' }, { remove: 's2' }, { remove: 's3' }],
      symmetry: true,
      properties: {
        invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'],
        goals: ['EntryCommitted'],
        membershipGoals: ['ChangeCommitted', 'RemovedLeaderSteppedDown'],
      },
    }),
  expected: (p) => {
    const base = p.log === 3 && p.changes === 2 && p.inFlight === 3 && p.loss === 0 && p.duplication === 0;
    if (base && p.terms === 3 && p.crashes === 0) return { verdict: 'ok', distinct: 864178 };
    if (base && p.terms === 2 && p.crashes === 0) return { verdict: 'ok', distinct: 95341 };
    if (base && p.terms === 2 && p.crashes === 1) return { verdict: 'ok', distinct: 1109803 };
    return { verdict: 'ok' };
  },
});
