import { defineModel } from '../../src/checker/index.ts';
import { raftReadModel } from './_reads.ts';

/**
 * Raft with ReadIndex reads (Ongaro's thesis §6.4), three servers, checked exhaustively in CI.
 * Besides elections and client requests (one command, "v"), a client may ask any server for a
 * read at any moment (one read by default, `--reads 2` for two). A leader registers it with a new
 * heartbeat round, takes its commitIndex as the readIndex once it has committed an entry of its
 * term, and answers `{ readIndex }` once a majority has answered the round; any other server
 * refuses, a leader that steps down fails its reads. Checked: LinearizableReads over the read
 * history (spec/raft.ts) — a read answered with readIndex r comes after every entry known
 * committed before the read was issued (index ≤ r) — with ElectionSafety, LogMatching,
 * LeaderCompleteness and StateMachineSafety; goals: an entry commits, a read is answered.
 *
 * Bounds: terms ≤ 2, logs ≤ 2 entries, ≤ 3 messages in flight, two lost messages, no crashes
 * (a crash would take the host's record of answers with it). The losses stand for a partition:
 * a leader of term 1 commits an entry and is deposed by a leader of term 2 that commits one of
 * its own, while the messages of term 2 to the old leader are lost — without them four or five
 * messages to it stay in flight, and the state space passes a million. models/raft/broken/
 * stale-read.ts, the same model with leaders that skip the confirmation round, finds the old
 * leader's stale answer within these bounds.
 */
export default defineModel({
  description: 'Raft with ReadIndex reads, 3 servers, 1 read, 2 lost messages, terms ≤ 2, logs ≤ 2, ≤ 3 in flight',
  parameters: {
    terms: { description: 'highest term explored', default: 2, min: 1, max: 4 },
    log: { description: 'longest log explored', default: 2, min: 0, max: 3 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 3, min: 1, max: 8 },
    loss: { description: 'messages the network may lose', default: 2, min: 0, max: 3 },
    reads: { description: 'how many reads clients issue in all', default: 1, min: 1, max: 2 },
  },
  build: (p) =>
    raftReadModel({
      servers: 3,
      values: ['v'],
      reads: p.reads!,
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      ...(p.loss! > 0 ? { faults: { loss: p.loss! } } : {}),
      symmetry: true,
      properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'], goals: ['EntryCommitted'] },
    }),
  expected: (p) => {
    const defaults = p.terms === 2 && p.log === 2 && p.inFlight === 3;
    if (defaults && p.loss === 2 && p.reads === 1) return { verdict: 'ok', distinct: 490426 };
    if (defaults && p.loss === 1 && p.reads === 1) return { verdict: 'ok', distinct: 101132 };
    return { verdict: 'ok' };
  },
});
