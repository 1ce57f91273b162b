import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../runtime/index.ts';
import { type NodeStatus, requestJson } from '../service/index.ts';
import { NemesisCluster } from './cluster.ts';
import type { LinkProxyStats } from './link-proxy.ts';
import type { NemesisReport } from './report.ts';
import { type FaultKind, NemesisSchedule } from './schedule.ts';
import { BankWorkload, type BankOptions } from './workloads/bank.ts';
import { ListAppendWorkload, type ListAppendOptions } from './workloads/list-append.ts';
import { RegisterWorkload, type RegisterOptions } from './workloads/register.ts';
import type { Workload, WorkloadContext, WorkloadName } from './workloads/workload.ts';

export interface NemesisRunOptions {
  readonly workloads: readonly WorkloadName[];
  /** Seconds of faults (the workloads run as long; setup, recovery, final reads and checking come on top). */
  readonly seconds: number;
  readonly seed: number;
  readonly faults: readonly FaultKind[];
  readonly nodes: number;
  readonly shards: number;
  /** The deliberately broken build to run instead of the real one (tests only). */
  readonly unsafeForTesting?: 'follower-reads';
  /** Concurrent clients per workload. */
  readonly clients?: number;
  /** A request unanswered for this long is `info`. */
  readonly timeoutMs?: number;
  readonly faultMs?: readonly [number, number];
  readonly healMs?: readonly [number, number];
  readonly register?: Partial<RegisterOptions>;
  readonly bank?: Partial<BankOptions>;
  readonly listAppend?: Partial<ListAppendOptions>;
  /** How long the linearizability search may take, ms. */
  readonly checkBudgetMs?: number;
  /** Where the nodes' data and logs go (a fresh temp folder, removed afterwards, by default). */
  readonly dataDir?: string;
  /** Keep the data folder (the nodes' logs) after the run. */
  readonly keepData?: boolean;
  /** Progress: each fault and phase, with its time. */
  readonly log?: (line: string) => void;
}

/**
 * One nemesis run, Jepsen's shape: start a cluster of node processes behind the link proxies; set
 * the workloads up; run them concurrently while the schedule injects faults for `seconds`; stop
 * the clients (their requests in flight finish or time out); heal everything and measure the
 * recovery; read every key one last time; stop the cluster; check each history.
 */
export async function runNemesis(options: NemesisRunOptions): Promise<NemesisReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'unanimous-nemesis-'));
  const unexpectedExits: string[] = [];
  let stopping = false;
  const seeds = seededRandom(options.seed);
  const seed = () => Math.floor(seeds() * 2 ** 32);
  log(`starting ${options.nodes} nodes, ${options.shards} shards${options.unsafeForTesting ? ` — BROKEN BUILD ${options.unsafeForTesting}` : ''} (data in ${dataDir})`);
  const cluster = await NemesisCluster.start({
    nodes: options.nodes,
    shards: options.shards,
    dataDir,
    seed: seed(),
    ...(options.unsafeForTesting ? { unsafeForTesting: options.unsafeForTesting } : {}),
    onUnexpectedExit: (node, how) => {
      if (stopping) return;
      unexpectedExits.push(`${node} (${how})`);
      log(`node ${node} exited on its own (${how}); see ${cluster.logFile(node)}`);
    },
  });
  let workloads: Workload[] = [];
  let result;
  let inDoubtResolved: NemesisReport['inDoubtResolved'] = null;
  const links: LinkProxyStats = { connections: 0, connectionsRefused: 0, connectionsCut: 0, framesForwarded: 0, framesDropped: 0, framesBlackholed: 0, framesDuplicated: 0, framesDelayed: 0 };
  try {
    const context = (): WorkloadContext => ({ cluster, random: seededRandom(seed()), clients: options.clients ?? 5, timeoutMs: options.timeoutMs ?? 6_000 });
    workloads = options.workloads.map((name): Workload => {
      switch (name) {
        case 'register':
          return new RegisterWorkload(context(), { keys: 6, readRatio: 0.5, ...options.register });
        case 'bank':
          return new BankWorkload(context(), { accounts: 6, balance: 100, readRatio: 0.3, ...options.bank });
        case 'list-append':
          return new ListAppendWorkload(context(), { keys: 6, appendsPerKey: 200, maxOps: 4, ...options.listAppend });
      }
    });
    await Promise.all(workloads.map((workload) => workload.setup()));
    const schedule = new NemesisSchedule(cluster, {
      seconds: options.seconds,
      seed: seed(),
      faults: options.faults,
      ...(options.faultMs ? { faultMs: options.faultMs } : {}),
      ...(options.healMs ? { healMs: options.healMs } : {}),
      log,
    });
    log(`running ${options.workloads.join(', ')} for ${options.seconds} s with faults ${options.faults.join(',') || 'none'}`);
    const stop = new AbortController();
    const running = workloads.map((workload) => workload.run(stop.signal));
    await schedule.runFaults();
    stop.abort();
    await Promise.all(running);
    result = await schedule.healAndMeasure();
    log('final reads');
    await Promise.all(workloads.map((workload) => workload.finalReads()));
    inDoubtResolved = await inDoubtTotals(cluster);
    for (const proxy of cluster.proxies.values()) for (const [name, value] of Object.entries(proxy.stats)) links[name as keyof LinkProxyStats] += value;
  } finally {
    stopping = true;
    await cluster.stop();
    if (!options.keepData && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
  log('checking the histories');
  const checks = workloads.map((workload) => workload.check(options.checkBudgetMs ?? 120_000));
  return {
    seed: options.seed,
    seconds: options.seconds,
    nodes: options.nodes,
    shards: options.shards,
    faultsEnabled: options.faults,
    build: options.unsafeForTesting ?? 'real',
    workloads: checks,
    faults: { byKind: result.byKind, log: result.faults },
    recoveryMs: result.recoveryMs,
    caughtUpMs: result.caughtUpMs,
    ...(result.recoveryError !== undefined ? { recoveryError: result.recoveryError } : {}),
    links,
    inDoubtResolved,
    unexpectedExits,
    durationMs: performance.now() - started,
    ...(options.keepData || options.dataDir !== undefined ? { dataDir } : {}),
  };
}

/** The in-doubt parts every node's leaders resolved, summed (null if a node did not say). */
async function inDoubtTotals(cluster: NemesisCluster): Promise<NemesisReport['inDoubtResolved']> {
  let committed = 0;
  let aborted = 0;
  for (const node of cluster.nodeIds) {
    const response = await requestJson(`${cluster.endpoint(node)}/status?local=1`, { timeoutMs: 5_000 }).catch(() => undefined);
    if (response?.status !== 200) return null;
    const status = response.body as NodeStatus;
    committed += status.inDoubtResolved.committed;
    aborted += status.inDoubtResolved.aborted;
  }
  return { committed, aborted };
}
