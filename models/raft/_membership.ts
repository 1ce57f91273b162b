import type { AnyEventObject } from 'xstate';
import type { FaultBudgets, GlobalView, Model, NodeDefinition, NodeView, Property } from '../../src/checker/index.ts';
import { sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { ChangeMembership, LogEntry, RaftConfig, RaftContext } from '../../src/protocols/raft/index.ts';
import { latestConfiguration, server } from '../../src/protocols/raft/index.ts';
import { raftProperties, serverIds, withinBounds, type RaftBounds, type RaftPropertySelection } from './_build.ts';

/**
 * Membership changes (Ongaro's thesis ch. 4, single-server changes) in the Raft models. The group
 * starts as s1..sN; the spares s(N+1).. exist, started as a host starts a server it is about to add
 * — `joining`, the group as its peers, an empty log — and are members only once a configuration
 * entry makes them so. At any moment the host of any server may ask it for each of `changes` (only
 * a leader takes one, the others refuse and nothing changes). The configuration entries in a log
 * are bounded by the boundary (`maxChanges`), besides the Raft bounds.
 */

export interface MembershipSetup {
  /** The servers of the initial configuration, s1..s`servers`. */
  readonly servers: number;
  /** Servers that exist but are not in the initial configuration, numbered after them. */
  readonly spares: number;
  readonly bounds: RaftBounds;
  /** No state in which a log holds more configuration entries than this is expanded. */
  readonly maxChanges: number;
  /** The commands clients may ask a leader to append: one spontaneous ClientRequest per value. */
  readonly values: readonly string[];
  /** The membership changes a host may ask for: each at the servers `at` (every server by default). */
  readonly changes: readonly (Pick<ChangeMembership, 'add' | 'remove'> & { readonly at?: readonly string[] })[];
  /**
   * A narrowing for bug-hunting models: the servers that may campaign in each term (by term; a
   * term not listed, any). A state in which any other server is a candidate or leader of that
   * term is checked but not expanded.
   */
  readonly campaignersByTerm?: { readonly [term: number]: readonly string[] };
  readonly machine?: NodeMachine;
  readonly faults?: FaultBudgets;
  readonly network?: 'multiset' | 'set';
  /** The servers whose election timer may fire (every server by default). */
  readonly candidates?: readonly string[];
  /** The servers clients send requests to (every server by default). */
  readonly clientsAt?: readonly string[];
  /** The initial servers are a symmetry set (sound only when `changes`, `candidates` and `clientsAt` treat them alike). */
  readonly symmetry?: boolean;
  readonly properties: RaftPropertySelection & { readonly membershipGoals?: readonly ('ChangeCommitted' | 'RemovedLeaderSteppedDown')[] };
}

/** The configuration entries of a running server's log suffix, or of a crashed one's durable log. */
const configurationEntries = (node: NodeView): number => {
  const log = (node.crashed ? node.durable.log : node.context.log) as LogEntry[] | undefined;
  return (log ?? []).filter((entry) => entry.config !== undefined).length;
};

/** Whether a running server campaigns or leads in a term whose campaigners the narrowing lists without it. */
const campaignsOutOfTurn = (node: NodeView, campaignersByTerm: NonNullable<MembershipSetup['campaignersByTerm']>): boolean => {
  if (node.crashed || node.value === 'follower') return false;
  const allowed = campaignersByTerm[(node.context as RaftContext).currentTerm];
  return allowed !== undefined && !allowed.includes(node.id);
};

/** The boundary: the Raft bounds, at most `maxChanges` configuration entries in any log, and the campaigners' narrowing. */
export const withinMembershipBounds = (setup: Pick<MembershipSetup, 'bounds' | 'maxChanges' | 'campaignersByTerm'>) => {
  const raft = withinBounds(setup.bounds);
  const byTerm = setup.campaignersByTerm;
  return (state: GlobalView) =>
    raft(state) && state.nodes.every((node) => configurationEntries(node) <= setup.maxChanges && (byTerm === undefined || !campaignsOutOfTurn(node, byTerm)));
};

/** A running server's latest configuration (thesis §4.1), as the machine computes it. */
const configurationOf = (node: NodeView) => latestConfiguration(node.context as RaftContext);

/**
 * ChangeCommitted: some server knows a configuration entry committed — the change is done.
 * RemovedLeaderSteppedDown: a follower whose latest configuration leaves it out and is committed
 * on it. Only a leader that removed itself gets there (thesis §4.2.2): a removed follower is sent
 * nothing more, the entry removing it included, by the leaders that hold it.
 */
const MEMBERSHIP_GOALS = {
  ChangeCommitted: (state: GlobalView) =>
    state.nodes.some((node) => !node.crashed && configurationOf(node).index > 0 && configurationOf(node).index <= (node.context as RaftContext).commitIndex),
  RemovedLeaderSteppedDown: (state: GlobalView) =>
    state.nodes.some((node) => {
      if (node.crashed || node.value !== 'follower') return false;
      const { members, index } = configurationOf(node);
      return !members.includes(node.id) && index > 0 && index <= (node.context as RaftContext).commitIndex;
    }),
} as const;

export function raftMembershipModel(setup: MembershipSetup): Model {
  const initial = serverIds(setup.servers);
  const ids = serverIds(setup.servers + setup.spares);
  const config: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
  const machine = setup.machine ?? server;
  const changesAt = (id: string): AnyEventObject[] =>
    setup.changes.filter(({ at }) => at === undefined || at.includes(id)).map(({ add, remove }) => ({ type: 'ChangeMembership', ...(add !== undefined ? { add } : {}), ...(remove !== undefined ? { remove } : {}) }));
  const nodes: NodeDefinition[] = ids.map((id) => {
    const spare = !initial.includes(id);
    return {
      id,
      machine,
      // A spare is started as a host starts a server it will add: the group as its peers, joining.
      peers: spare ? initial : initial.filter((peer) => peer !== id),
      config: spare ? { ...config, joining: true } : config,
      spontaneous: [
        ...(!setup.clientsAt || setup.clientsAt.includes(id) ? setup.values.map((value) => ({ type: 'ClientRequest', value })) : []),
        ...changesAt(id),
      ],
      timers: !setup.candidates || setup.candidates.includes(id) ? ['electionTimeout'] : [],
    };
  });
  const properties: Property[] = [
    ...raftProperties(ids, setup.bounds, setup.values, setup.properties),
    ...(setup.properties.membershipGoals ?? []).map((name) => sometimes(name, MEMBERSHIP_GOALS[name])),
  ];
  return {
    nodes,
    network: setup.network ?? 'multiset',
    ...(setup.symmetry ? { symmetry: [initial] } : {}),
    ...(setup.faults ? { faults: setup.faults } : {}),
    boundary: withinMembershipBounds(setup),
    properties,
  };
}
