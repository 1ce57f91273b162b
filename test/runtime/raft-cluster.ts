import type { Json } from '../../src/node/index.ts';
import type { Clock } from '../../src/runtime/clock.ts';
import type { Logger } from '../../src/runtime/logger.ts';
import { NodeHost } from '../../src/runtime/node-host.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import type { DurableStore } from '../../src/runtime/storage/durable-store.ts';
import type { TimerPolicy } from '../../src/runtime/timer-policy.ts';
import type { Transport } from '../../src/runtime/transport/transport.ts';
import { DEFAULT_RAFT_CONFIG, type RaftConfig, type RaftContext, server } from '../../src/protocols/raft/index.ts';

export const RAFT_IDS = ['s1', 's2', 's3'] as const;

/** Election timeouts randomised per arming (§5.2), heartbeats well below them. */
export const RAFT_TIMERS = { electionTimeout: { min: 150, max: 300 }, heartbeatTimeout: 50 } as const;

export interface RaftStatus {
  readonly term: number;
  readonly votedFor: string | null;
  readonly commitIndex: number;
  readonly log: readonly { readonly term: number; readonly value: string }[];
}

/** A Raft server (src/protocols/raft/server.ts) hosted on the given store and transport. */
export function raftHost(
  id: string,
  parts: { store: DurableStore; transport: Transport; clock?: Clock; seed: number; logger?: Logger; ids?: readonly string[]; timers?: TimerPolicy; config?: RaftConfig },
): NodeHost<RaftConfig> {
  const ids = parts.ids ?? RAFT_IDS;
  return new NodeHost<RaftConfig>({
    machine: server,
    id,
    peers: ids.filter((peer) => peer !== id),
    config: parts.config ?? DEFAULT_RAFT_CONFIG,
    store: parts.store,
    transport: parts.transport,
    timers: parts.timers ?? RAFT_TIMERS,
    random: seededRandom(parts.seed),
    clientId: `${id}-client`,
    requestTimeoutMs: 60_000,
    ...(parts.clock ? { clock: parts.clock } : {}),
    ...(parts.logger ? { logger: parts.logger } : {}),
    statusOf: (context: RaftContext): Json => ({
      term: context.currentTerm,
      votedFor: context.votedFor,
      commitIndex: context.commitIndex,
      log: context.log.map((entry) => ({ term: entry.term, value: entry.value })),
    }),
  });
}

export const statusOf = (host: NodeHost): RaftStatus => host.status().details as unknown as RaftStatus;

export const isLeader = (host: NodeHost): boolean => {
  const state = host.status().state;
  return host.status().phase === 'running' && typeof state === 'object' && state !== null && 'leader' in state;
};

/** The one running leader of the highest term among leaders, if any. */
export function leaderOf(hosts: readonly NodeHost[]): NodeHost | undefined {
  const leaders = hosts.filter(isLeader).sort((a, b) => statusOf(b).term - statusOf(a).term);
  return leaders[0];
}

/**
 * Raft's safety in the hosts' current states (spec/raft.ts states the same over the checker's view):
 * no two leaders of one term, and committed prefixes that agree.
 */
export function checkRaftSafety(hosts: readonly NodeHost[]): void {
  const running = hosts.filter((host) => host.status().phase === 'running');
  const leaderTerms = running.filter(isLeader).map((host) => statusOf(host).term);
  if (new Set(leaderTerms).size !== leaderTerms.length) throw new Error(`ElectionSafety: two leaders in one term (${leaderTerms.join(', ')})`);
  for (const a of running) {
    for (const b of running) {
      const shared = Math.min(statusOf(a).commitIndex, statusOf(b).commitIndex);
      const left = JSON.stringify(statusOf(a).log.slice(0, shared));
      const right = JSON.stringify(statusOf(b).log.slice(0, shared));
      if (left !== right) throw new Error(`StateMachineSafety: ${a.id} and ${b.id} committed different entries: ${left} vs ${right}`);
    }
  }
}

/** The schema every test transport checks Raft's messages against. */
export { validateRaftMessage } from '../../src/protocols/raft/index.ts';
