import type { GlobalView, NodeView } from '../../src/checker/index.ts';
import { defineModel, sometimes } from '../../src/checker/index.ts';
import type { LogEntry } from '../../src/protocols/raft/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { raftModel } from './_build.ts';

/** Whether some other server's log holds an entry of term `term` beyond the first `written` entries. */
const heldElsewhere = (state: GlobalView, self: NodeView, term: number, written: number): boolean =>
  state.nodes.some((node) => node.id !== self.id && !node.crashed && (node.context.log as LogEntry[]).some((entry, i) => i >= written && entry.term === term));

/**
 * The window the parallel write opens, reached. FollowerStoresFirst: a leader has not written an
 * entry that a follower already stores. LeaderCrashesUnwritten: a server crashed having led a
 * term (it voted for itself in it) whose entry another server stores and its own disk never got.
 */
const windowGoals = [
  sometimes('FollowerStoresFirst', (state) =>
    state.nodes.some((node) => !node.crashed && node.context.unwritten > 0 && heldElsewhere(state, node, node.context.currentTerm, node.context.log.length - node.context.unwritten)),
  ),
  sometimes('LeaderCrashesUnwritten', (state) =>
    state.nodes.some(
      (node) =>
        node.crashed &&
        node.durable.votedFor === node.id &&
        heldElsewhere(state, node, node.durable.currentTerm as number, ((node.durable.log as LogEntry[] | undefined) ?? []).length),
    ),
  ),
];

/**
 * Raft with the leader's parallel log write (Ongaro's thesis §10.2.1, `parallelLogWrite`: the
 * service runs it), three servers, checked exhaustively in CI. A leader sends the entry a client
 * asks for at once, before it is durable, and writes it on the WriteLog it sends itself, which the
 * checker may deliver at any later moment like any message — or never, if the leader crashes
 * first and so loses the entry while a follower may already store it. The leader counts itself
 * toward a majority only for entries it has written. Every server may campaign, lead, take a
 * client request, crash once and restart from its durable image. Checked: ElectionSafety,
 * LogMatching, LeaderCompleteness, StateMachineSafety, LeaderAppendOnly and, over the history,
 * ElectionSafetyEver and LeaderCompletenessEver; goals: an entry commits, and both sides of the
 * window — a follower stores an entry its leader has not written, and a leader crashes with its
 * entry on a follower only. Bounds: terms ≤ 2, logs ≤ 1, ≤ 4 messages in flight (a WriteLog counts): the broken
 * variant models/raft/broken/counts-unwritten-entries is caught within them.
 */
export default defineModel({
  description: "Raft with the leader's parallel log write, 3 servers, 1 crash, terms ≤ 2, logs ≤ 1, ≤ 4 in flight",
  parameters: {
    terms: { description: 'highest term explored', default: 2, min: 1, max: 6 },
    log: { description: 'longest log explored', default: 1, min: 0, max: 4 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 4, min: 1, max: 12 },
    ...faultParameters({ loss: 0, duplication: 0, crashes: 1 }, 'server'),
  },
  build: (p) => {
    const model = raftModel({
      servers: 3,
      values: ['v'],
      config: { parallelLogWrite: true },
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      symmetry: true,
      properties: {
        invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'],
        leaderAppendOnly: true,
        goals: ['EntryCommitted'],
        overHistory: ['ElectionSafetyEver', 'LeaderCompletenessEver'],
      },
    });
    return { ...model, properties: [...model.properties, ...windowGoals] };
  },
  expected: (p) => {
    const defaults = p.terms === 2 && p.log === 1 && p.inFlight === 4 && p.loss === 0 && p.duplication === 0 && p.crashes === 1;
    return defaults ? { verdict: 'ok', distinct: 206498, distinctWithoutSymmetry: 1237233 } : { verdict: 'ok' };
  },
});
