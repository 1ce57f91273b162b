import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { raftModel } from './_build.ts';

/**
 * Raft with log compaction (Ongaro's thesis ch. 5), three servers, checked exhaustively in CI. At
 * any moment each server's host may ask it to compact through any index it has applied, with the
 * snapshot of its state machine there — here the entries it applied (models/raft/_applied-entries.ts),
 * so the spec sees a compacted prefix as the entries it stands for. A leader whose follower needs
 * compacted entries sends it InstallSnapshot (Figure 5.3); a server may crash once and restarts
 * from its snapshot and log suffix, its commitIndex at the snapshot's last index. Checked:
 * ElectionSafety, LogMatching, LeaderCompleteness, StateMachineSafety and LeaderAppendOnly over
 * whole logs; goals: an entry commits, a follower installs a leader's snapshot, a crashed server
 * holds one to restart from.
 *
 * Bounds: terms ≤ 2, logs ≤ 2 entries (compacted ones counted), ≤ 3 messages in flight, one lost
 * message, one crash. The lost message is what lets a follower fall behind a compacted prefix
 * within three messages in flight: s1 commits an entry with s2, compacts it, and the AppendEntries
 * that carried it to s3 is lost; the next one s1 owes s3 starts inside its snapshot, so it sends
 * InstallSnapshot (without the loss, that AppendEntries still in flight takes a fourth slot, and a
 * fourth slot takes the state space past two million). `--chunk N` sends snapshots in chunks of N
 * characters (the applied-entries snapshot of one entry is 9), exercising Figure 5.3's offsets.
 */
export default defineModel({
  description: 'Raft with log compaction, 3 servers, 1 crash, terms ≤ 2, logs ≤ 2, ≤ 3 in flight',
  parameters: {
    terms: { description: 'highest term explored', default: 2, min: 1, max: 6 },
    log: { description: 'longest log explored (compacted entries included)', default: 2, min: 1, max: 4 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 3, min: 1, max: 12 },
    ...faultParameters({ loss: 1, duplication: 0, crashes: 1 }, 'server'),
    chunk: { description: 'most snapshot characters per InstallSnapshot (0: the whole snapshot in one)', default: 0, min: 0, max: 64 },
  },
  build: (p) =>
    raftModel({
      servers: 3,
      values: ['v'],
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      compaction: true,
      ...(p.chunk! > 0 ? { config: { maxSnapshotChunk: p.chunk! } } : {}),
      symmetry: true,
      properties: {
        invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'],
        leaderAppendOnly: true,
        goals: ['EntryCommitted', 'SnapshotInstalled', 'RestartFromSnapshot'],
      },
    }),
  expected: (p) => {
    const defaults = p.terms === 2 && p.log === 2 && p.inFlight === 3 && p.loss === 1 && p.duplication === 0 && p.crashes === 1;
    if (defaults && p.chunk === 0) return { verdict: 'ok', distinct: 852977 };
    if (defaults && p.chunk === 5) return { verdict: 'ok', distinct: 1125797 };
    return { verdict: 'ok' };
  },
});
