import type { GlobalView, Model, NodeDefinition, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, history, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import type { RaftConfig } from '../../src/protocols/raft/index.ts';
import type { ActorDirectory, ReplicaConfig, ReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { replicated } from '../../src/protocols/replicated-actor/index.ts';
import type { ResourceManagerConfig, TransactionManagerConfig } from '../../src/protocols/two-phase-commit/index.ts';
import { resourceManager, transactionManager } from '../../src/protocols/two-phase-commit/index.ts';
import type { RMState, RMStates } from '../../spec/commit.ts';
import { TCConsistent, TCTypeOK } from '../../spec/commit.ts';
import { rmIds } from '../_shared/commit.ts';

/** The replica machines: 2PC's TM and RM, unchanged, each hosted in a Raft group. */
export const replicatedTM = replicated(transactionManager);
export const replicatedRM = replicated(resourceManager);

/** Replica ids of an actor's group: tm/1, tm/2, ... */
export const replicaIds = (actor: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${actor}/${i + 1}`);

export interface GroupsSetup {
  readonly rms: number;
  readonly tmReplicas: number;
  readonly rmReplicas: number;
  /** TM replicas that may crash (crash-stop: they never come back). */
  readonly crashes: number;
  readonly maxTerm: number;
  readonly maxLog: number;
  readonly inFlight: number;
  /** The TM replicas whose election timer fires (all by default): a narrowing, as in the Raft models. */
  readonly candidates?: readonly string[];
  /** The TM replicas that may crash (all by default). */
  readonly crashable?: readonly string[];
  /** Whether the TM's vote timeout fires (an abort proposed through the log). */
  readonly voteTimeout: boolean;
  /** Whether RMs may abort on their own while working. */
  readonly rmsMayAbort: boolean;
  /** Explore states equal up to a renaming of the TM replicas once (only without narrowing). */
  readonly symmetry?: boolean;
  /**
   * The failover narrowing (a state constraint, as the Raft models narrow theirs): the first TM
   * replica may campaign only in term 1, the second only once the first has crashed, the others
   * never. Every behaviour of one leader, its crash at any moment, and one successor.
   */
  readonly failoverOnly?: boolean;
  /**
   * A narrowing for bug-hunting: every RM replica leads its group of one before any TM replica
   * campaigns (their elections, independent of everything else, are not interleaved with it).
   */
  readonly rmLeadersFirst?: boolean;
  /** The TM replicas' machine; `replicatedTM` by default (a broken variant otherwise). */
  readonly tmMachine?: NodeMachine;
}

/**
 * 2PC with the TM and every RM hosted in Raft groups (the Spanner arrangement). The hosted TM and
 * RM are the machines of src/protocols/two-phase-commit, unchanged. A reliable multiset network
 * (no loss: a failover re-sends what a crashed leader may not have released); TM replicas may
 * crash and stay down; RM replicas do not crash. The TM decides on the last vote and neither
 * retransmits nor waits for acknowledgements (there is no loss to recover from). Only election
 * timers and the TM's vote timeout fire (heartbeats only repeat what replication sends).
 */
export function groupsModel(setup: GroupsSetup): Model {
  const rms = rmIds(setup.rms);
  const directory: ActorDirectory = Object.fromEntries([
    ['tm', replicaIds('tm', setup.tmReplicas)],
    ...rms.map((rm) => [rm, replicaIds(rm, setup.rmReplicas)]),
  ]);
  const everyone = Object.values(directory).flat();
  const consensus: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
  const tmConfig: TransactionManagerConfig = { commitOnLastVote: true, retransmit: false, voteTimeoutMs: 1000, retryTimeoutMs: 200 };
  const rmConfig: ResourceManagerConfig = { acknowledge: false };
  const replicaNode = (actor: string, replica: string): NodeDefinition => {
    const isTM = actor === 'tm';
    const config: ReplicaConfig = { actor, directory, actorPeers: isTM ? rms : ['tm'], actorConfig: isTM ? tmConfig : rmConfig, consensus: consensus as never };
    return {
      id: replica,
      machine: isTM ? (setup.tmMachine ?? replicatedTM) : replicatedRM,
      peers: everyone.filter((other) => other !== replica),
      config,
      spontaneous: !isTM && setup.rmsMayAbort ? [{ type: 'ChooseToAbort' }] : [],
      timers: [
        ...(!isTM || !setup.candidates || setup.candidates.includes(replica) ? ['electionTimeout'] : []),
        ...(isTM && setup.voteTimeout ? ['voteTimeout'] : []),
      ],
    };
  };
  const nodes = Object.entries(directory).flatMap(([actor, replicas]) => replicas.map((replica) => replicaNode(actor, replica)));
  return {
    nodes,
    network: 'multiset',
    faults: { crash: setup.crashes, crashable: setup.crashable ?? directory.tm!, restart: false },
    ...(setup.symmetry ? { symmetry: [directory.tm!] } : {}),
    boundary: (state) => inFlightToLiveNodes(state) <= setup.inFlight && state.nodes.every((node) => withinRaftBounds(node, setup)) &&
      (!setup.failoverOnly || failoverNarrowing(state, directory.tm!)) &&
      (!setup.rmLeadersFirst || rmLeadersFirst(state, directory.tm!)),
    history: blockingHistory(rms),
    properties: groupProperties(rms),
  };
}

function withinRaftBounds(node: NodeView, setup: GroupsSetup): boolean {
  if (node.crashed) return true;
  const raft = (node.context as ReplicaContext).consensus.context as unknown as { currentTerm: number; log: unknown[] };
  return raft.currentTerm <= setup.maxTerm && raft.log.length <= setup.maxLog;
}

/** Messages in flight to nodes that are up: those to a crash-stopped node will never be delivered. */
function inFlightToLiveNodes(state: GlobalView): number {
  let crashed = false;
  for (const node of state.nodes) crashed ||= node.crashed;
  if (!crashed) return state.messageCount;
  return state.messages.filter((envelope) => !state.node(envelope.to).crashed).length;
}

const raftOf = (node: NodeView) => (node.context as ReplicaContext).consensus as unknown as { value: unknown; context: { currentTerm: number } };

function failoverNarrowing(state: GlobalView, tmReplicas: readonly string[]): boolean {
  const [first, second] = tmReplicas.map((id) => state.node(id));
  if (!first!.crashed && raftOf(first!).context.currentTerm > 1) return false;
  if (second === undefined || second.crashed) return true;
  return first!.crashed || raftOf(second).value === 'follower';
}

function rmLeadersFirst(state: GlobalView, tmReplicas: readonly string[]): boolean {
  const campaigning = tmReplicas.some((id) => {
    const node = state.node(id);
    return node.crashed || raftOf(node).context.currentTerm > 0;
  });
  return !campaigning || state.nodes.every((node) => tmReplicas.includes(node.id) || node.value === 'leader');
}

/** The state of an RM replica's copy of its RM; a crashed replica has none (RM replicas do not crash here). */
export function replicaRMState(node: NodeView): RMState | undefined {
  if (node.crashed) return undefined;
  const value = (node.context as ReplicaContext).actor.value;
  return (value === 'booting' ? 'working' : value) as RMState;
}

const isRMReplica = (rms: readonly string[]) => (node: NodeView) => rms.some((rm) => node.id.startsWith(`${rm}/`));
const isTMReplica = (node: NodeView) => node.id.startsWith('tm/');

/** A TM replica as the blocking argument sees it: down, or whether its copy of the TM has decided. */
type TMReplicaState = 'down' | 'committed' | 'aborted' | 'undecided';

function tmReplicaState(node: NodeView): TMReplicaState {
  if (node.crashed) return 'down';
  const value = (node.context as ReplicaContext).actor.value;
  if (typeof value === 'object' && value !== null) {
    if ('committed' in value) return 'committed';
    if ('aborted' in value) return 'aborted';
  }
  return 'undecided';
}

export type GroupsAbstract = {
  readonly rmState: RMStates;
  readonly tmReplicas: Readonly<Record<string, TMReplicaState>>;
};

/** Every RM replica's copy of its RM (TCommit's rmState over replicas), and every TM replica's state. */
export const replicaStates = (rms: readonly string[]) =>
  abstraction<GroupsAbstract>(
    (node) => (isRMReplica(rms)(node) ? (replicaRMState(node) ?? null) : isTMReplica(node) ? tmReplicaState(node) : undefined),
    (parts) => {
      const rmState: Record<string, RMState> = {};
      const tmReplicas: Record<string, TMReplicaState> = {};
      for (const [id, part] of Object.entries(parts)) {
        if (id.startsWith('tm/')) tmReplicas[id] = part as TMReplicaState;
        else if (typeof part === 'string') rmState[id] = part as RMState;
      }
      return { rmState, tmReplicas };
    },
  );

/**
 * A history variable for the blocking argument. `decided` remembers, per TM replica, whether its
 * copy of the TM had decided when last up (a crashed replica stays down: crash-stop). `blocked`
 * becomes true once every RM is prepared while a TM replica is down and no TM replica, up or down,
 * has ever decided — so no decision was ever sent. That is the state in which plain 2PC's RMs wait
 * for a TM that never returns.
 */
export type BlockingHistory = {
  readonly decided: Readonly<Record<string, boolean>>;
  readonly blocked: boolean;
};

export const blockingHistory = (rms: readonly string[]) =>
  history<BlockingHistory, GroupsAbstract>({
    name: 'BlockedAsPlain2PC',
    over: replicaStates(rms),
    initial: (abstract) => advanceBlocking({ decided: {}, blocked: false }, abstract),
    next: advanceBlocking,
  });

function advanceBlocking(past: BlockingHistory, abstract: GroupsAbstract): BlockingHistory {
  const decided: Record<string, boolean> = { ...past.decided };
  for (const [replica, state] of Object.entries(abstract.tmReplicas)) if (state !== 'down') decided[replica] = state !== 'undecided';
  const someDown = Object.values(abstract.tmReplicas).includes('down');
  const noneDecided = Object.values(decided).every((was) => !was);
  const allPrepared = Object.values(abstract.rmState).every((state) => state === 'prepared');
  const blocked = past.blocked || (someDown && noneDecided && allPrepared);
  // Unchanged when nothing changed: a stutter must leave the history as it was.
  return blocked === past.blocked && Object.entries(decided).every(([replica, was]) => past.decided[replica] === was) ? past : { decided, blocked };
}

export function groupProperties(rms: readonly string[]): Property[] {
  const over = replicaStates(rms);
  const states = (abstract: GroupsAbstract) => Object.values(abstract.rmState);
  return [
    always('TCTypeOK', over, (abstract) => TCTypeOK(abstract.rmState)),
    always('TCConsistent', over, (abstract) => TCConsistent(abstract.rmState)),
    // The TM's decision, as any TM replica has applied it, agrees with every RM replica's outcome
    // (TwoPhase.tla's tmState against rmState): a replica acting on an entry its group did not
    // commit can announce a decision its group then reverses.
    always('DecisionConsistent', over, (abstract) => {
      const outcomes = new Set<string>(states(abstract).filter((state) => state === 'committed' || state === 'aborted'));
      for (const state of Object.values(abstract.tmReplicas)) if (state === 'committed' || state === 'aborted') outcomes.add(state);
      return outcomes.size <= 1;
    }),
    sometimes('SomeRMCommits', over, (abstract) => states(abstract).includes('committed')),
    sometimes('SomeRMAborts', over, (abstract) => states(abstract).includes('aborted')),
    // Where plain 2PC blocks, the group fails over: every RM was prepared, no decision had been
    // made, a TM replica went down for good — and still every RM decided.
    sometimes('BlockedRMsDecide', (state: GlobalView) => {
      if ((state.history as BlockingHistory).blocked !== true) return false;
      const rmStates = state.nodes.filter(isRMReplica(rms)).map(replicaRMState);
      return rmStates.every((rm) => rm === 'committed') || rmStates.every((rm) => rm === 'aborted');
    }),
  ];
}
