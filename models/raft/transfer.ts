import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { raftTransferModel } from './_transfers.ts';

/**
 * Raft with leadership transfer (Ongaro's thesis §3.10), three servers, checked exhaustively in
 * CI. Besides elections, client requests (one command, "v") and a crash, the host of any server
 * may ask it at any moment to transfer its leadership to either peer — one transfer taken on in
 * the whole behaviour (`--param transfers=2` for two). A leader that takes it refuses client
 * requests, replicates until the target's matchIndex is its last log index, and sends TimeoutNow,
 * on which the target campaigns at once; the checker may fire the transferring leader's
 * `electionTimeout` at any moment, abandoning the transfer (client requests taken again). Checked: ElectionSafety,
 * LogMatching, LeaderCompleteness, StateMachineSafety, and TimeoutNowOnlyToUpToDate over the
 * transfer history (spec/raft.ts): while a TimeoutNow is in flight to a target still in its term,
 * the target's log holds the whole log its sender had when it sent it. Goals: an entry commits; a
 * transfer completes — the target of a TimeoutNow leads a term it was elected in after it.
 *
 * Bounds: terms ≤ 3, logs ≤ 2 entries, ≤ 3 messages in flight, one crash, no network faults (the
 * timeout may fire while TimeoutNow is in flight, which is what a lost one comes to; `--param
 * loss=1` takes the state space to 2.7 million). The servers are a symmetry set. With
 * `--param campaigners=1` only s1's own election timer fires (no symmetry): every other server
 * that ever leads was made a candidate by TimeoutNow, so there TransferCompleted shows that the
 * target's campaign is the TimeoutNow's doing (and, one transfer in all, those leaders never
 * transfer: that their timer no longer fires costs nothing). models/raft/broken/transfers-to-lagging.ts is the
 * default model with a leader that sends TimeoutNow before its target has caught up.
 */
export default defineModel({
  description: 'Raft with leadership transfer (thesis §3.10), 3 servers, 1 transfer, 1 crash, terms ≤ 3, logs ≤ 2, ≤ 3 in flight',
  parameters: {
    terms: { description: 'highest term explored', default: 3, min: 1, max: 6 },
    log: { description: 'longest log explored', default: 2, min: 0, max: 4 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 3, min: 1, max: 12 },
    ...faultParameters({ loss: 0, duplication: 0, crashes: 1 }, 'server'),
    transfers: { description: 'how many leadership transfers leaders may take on in all', default: 1, min: 0, max: 3 },
    campaigners: { description: 'servers whose own election timer may fire: 3 (all, a symmetry set) or 1 (s1 only)', default: 3, min: 1, max: 3 },
    heartbeats: { description: "1: the checker may fire leaders' heartbeatTimeout", default: 0, min: 0, max: 1 },
  },
  build: (p) =>
    raftTransferModel({
      servers: 3,
      values: ['v'],
      transfers: p.transfers!,
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      heartbeats: p.heartbeats === 1,
      // Narrowed, the servers are no longer interchangeable.
      ...(p.campaigners! < 3 ? { candidates: ['s1', 's2', 's3'].slice(0, p.campaigners!) } : { symmetry: true }),
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'], goals: ['EntryCommitted'] },
    }),
  expected: (p) => {
    const defaults = p.terms === 3 && p.log === 2 && p.inFlight === 3 && p.loss === 0 && p.duplication === 0 && p.crashes === 1 && p.transfers === 1 && p.heartbeats === 0;
    if (defaults && p.campaigners === 3) return { verdict: 'ok', distinct: 347071 };
    if (defaults && p.campaigners === 1) return { verdict: 'ok', distinct: 117850 };
    // No transfer is ever taken on: TransferCompleted cannot be reached.
    if (p.transfers === 0) return { verdict: 'violation', property: 'TransferCompleted' };
    return { verdict: 'ok' };
  },
});
