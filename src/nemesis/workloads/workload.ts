import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder, pairOps, type History } from '../../history/index.ts';
import { type JsonResponse, keepAliveAgent, KvClient } from '../../service/index.ts';
import type { NemesisCluster } from '../cluster.ts';
import { attempt, type Outcome } from './outcome.ts';

export const WORKLOAD_NAMES = ['register', 'bank', 'list-append'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** Operations of a history counted by outcome, overall and by `f`. */
export interface OpCounts {
  readonly total: number;
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly byF: Readonly<Record<string, { readonly ok: number; readonly fail: number; readonly info: number }>>;
}

/** What a workload's checker found. */
export interface WorkloadCheck {
  readonly workload: WorkloadName;
  readonly checker: string;
  /** `unknown`: the checker ran out of budget before it could decide. */
  readonly valid: boolean | 'unknown';
  /** Anomalies found (0 when valid). */
  readonly anomalies: number;
  readonly anomalyKinds: readonly string[];
  /** The checker's own explanation, as it prints it. */
  readonly explanation: string;
  /** Acknowledged writes lost (see each workload for how it counts them); null where it does not apply. */
  readonly lostWrites: number | null;
  /** How `lostWrites` is counted, and the first few lost ones. */
  readonly lostDetail: string;
  readonly ops: OpCounts;
}

/** What every workload is given. */
export interface WorkloadContext {
  readonly cluster: NemesisCluster;
  readonly random: () => number;
  /** Concurrent clients. */
  readonly clients: number;
  /** A request that takes longer is abandoned: its operation is `info`, its process retired. */
  readonly timeoutMs: number;
}

/**
 * A workload of the nemesis suite: `setup` before the faults, `run` during them (until the signal),
 * `finalReads` once the cluster has recovered, then `check`.
 */
export interface Workload {
  readonly name: WorkloadName;
  readonly recorder: HistoryRecorder;
  setup(): Promise<void>;
  run(signal: AbortSignal): Promise<void>;
  finalReads(): Promise<void>;
  check(budgetMs: number): WorkloadCheck;
}

/**
 * A client of the workload, Jepsen's worker: it runs one operation at a time as its current
 * **process**, talking to one node. When an operation's outcome is unknown (`info`), the process
 * is retired and the worker carries on as a fresh one (the old one may still be "running" its
 * operation at any later time, as far as a checker knows), on another node; a connection refused
 * (the node is down) moves it to another node too.
 */
export class Worker {
  process: number;
  private node: string;
  private readonly clients = new Map<string, KvClient>();
  private readonly agent = keepAliveAgent(4);

  constructor(
    private readonly context: WorkloadContext,
    private readonly processes: { next: number },
    index: number,
  ) {
    this.process = processes.next++;
    const nodes = context.cluster.nodeIds;
    this.node = nodes[index % nodes.length]!;
  }

  /** The client of the node this worker talks to now. */
  get client(): KvClient {
    let client = this.clients.get(this.node);
    if (client === undefined) {
      client = new KvClient(this.context.cluster.endpoint(this.node), { timeoutMs: this.context.timeoutMs, agent: this.agent });
      this.clients.set(this.node, client);
    }
    return client;
  }

  /** Sends a request on this worker's node and classifies it; after `info`, becomes a new process on another node. */
  async send(request: (client: KvClient) => Promise<JsonResponse>): Promise<Outcome> {
    const outcome = await attempt(() => request(this.client));
    if (outcome.type === 'info' || (outcome.type === 'fail' && outcome.status === null)) this.moveOn(outcome.type === 'info');
    return outcome;
  }

  /** Another node (a random one), and, after an unknown outcome, a new process. */
  private moveOn(newProcess: boolean): void {
    if (newProcess) this.process = this.processes.next++;
    const nodes = this.context.cluster.nodeIds;
    this.node = nodes[Math.floor(this.context.random() * nodes.length)]!;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `clients` workers, each looping `step` until the signal; resolves when every one has stopped. */
export async function runWorkers(context: WorkloadContext, processes: { next: number }, signal: AbortSignal, step: (worker: Worker) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: context.clients }, async (_, i) => {
      const worker = new Worker(context, processes, i);
      try {
        while (!signal.aborted) {
          await step(worker);
          // A breath between operations, as Jepsen's `stagger`: keeps a loaded machine responsive.
          await sleep(Math.floor(context.random() * 20));
        }
      } finally {
        worker.close();
      }
    }),
  );
}

/**
 * Retries `read` as fresh processes until one is `ok` (each attempt recorded by `read` itself) or
 * `timeoutMs` passes: the final reads after the cluster has recovered.
 */
export async function untilOk(read: () => Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await read()) return true;
    await sleep(200);
  }
  return false;
}

/** Counts a history's operations by outcome and by `f`. */
export function countOps(history: History): OpCounts {
  const byF: Record<string, { ok: number; fail: number; info: number }> = {};
  const totals = { ok: 0, fail: 0, info: 0 };
  const pairs = pairOps(history);
  for (const pair of pairs) {
    (byF[pair.f] ??= { ok: 0, fail: 0, info: 0 })[pair.type]++;
    totals[pair.type]++;
  }
  return { total: pairs.length, ...totals, byF };
}
