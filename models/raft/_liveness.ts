import type { Model, Property } from '../../src/checker/index.ts';
import { leadsTo } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { Servers } from '../../spec/raft.ts';
import { raftModel, raftServers } from './_build.ts';

/** Whether s1 leads and its last entry is of its own term. */
const leadsWithOwnEntry = (servers: Servers): boolean => {
  const s1 = servers.s1!;
  return s1.role === 'leader' && s1.log.at(-1)?.term === s1.term;
};

/**
 * A value is eventually chosen: once the leader holds a client's entry of its own term, some
 * server eventually commits through it (leadsTo: P ~> Q, on every fair behaviour).
 */
const leaderEntryEventuallyCommitted: Property = leadsTo<Servers>(
  'LeaderEntryEventuallyCommitted',
  raftServers,
  leadsWithOwnEntry,
  (servers) => Object.values(servers).some((server) => server.commitIndex > 0),
);

export interface RaftLivenessSetup {
  readonly terms: number;
  readonly inFlight: number;
  readonly machine?: NodeMachine;
}

/**
 * Raft for liveness: three servers, client commands ("v") sent to s1, s3 may crash-stop, a
 * multiset network that loses nothing, heartbeats off. FLP forbids a consensus protocol that
 * always terminates in an asynchronous system with one crash, so the model states the assumption
 * under which Raft does (Ongaro's thesis §3.4, §9.3: elections end once one server times out well
 * before the others): an **eventually stable leader**, here from the start — s1 is the only
 * server whose election timer fires (the leader an Ω failure detector would name, Chandra and
 * Toueg 1996). Its timers are weakly fair, and so are deliveries to every server; client requests
 * are not (a behaviour with none is allowed, and the property then asks nothing). It may campaign
 * again and again — a vote lost to a crash, a term raised — within the term bound. Safety
 * (ElectionSafety, LogMatching, LeaderCompleteness, StateMachineSafety) is checked on the way.
 *
 * The boundary: a step into a state with a term above `terms` or more than `inFlight` messages in
 * flight is not explored, and a behaviour that would take it is never reported as a violation
 * (docs/checker.md, "Boundaries and liveness").
 */
export function raftLivenessModel(setup: RaftLivenessSetup): Model {
  const model = raftModel({
    servers: 3,
    values: ['v'],
    bounds: { maxTerm: setup.terms, maxLog: 1, maxInFlight: setup.inFlight },
    ...(setup.machine ? { machine: setup.machine } : {}),
    candidates: ['s1'],
    clientsAt: ['s1'],
    faults: { crash: 1, crashable: ['s3'], restart: false },
    properties: { invariants: ['ElectionSafety', 'LogMatching', 'LeaderCompleteness', 'StateMachineSafety'], goals: ['EntryCommitted'] },
  });
  return {
    ...model,
    properties: [...model.properties, leaderEntryEventuallyCommitted],
    fairness: { weak: ['deliver', { family: 'timer', nodes: ['s1'] }] },
  };
}
