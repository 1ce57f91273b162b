import { existsSync, readdirSync } from 'node:fs';
import { FAULT_KINDS, type FaultKind, formatReport, passed, runNemesis, WORKLOAD_NAMES, type WorkloadName } from '../nemesis/index.ts';
import { didYouMean } from './suggest.ts';
import { UsageError } from './usage-error.ts';

export interface NemesisCommandOptions {
  /** A workload name, or `all` (every workload at once, on one cluster). */
  readonly workload: string;
  readonly seconds: number;
  readonly seed: number;
  /** Comma-separated fault kinds; empty: none. */
  readonly faults: string;
  readonly nodes: number;
  readonly shards: number;
  readonly clients: number;
  readonly json: boolean;
  /** Keep the nodes' data and logs in this folder. */
  readonly data?: string;
}

/**
 * `unanimous nemesis`: one Jepsen-style run (src/nemesis/run.ts) — a local cluster behind
 * fault-injecting link proxies, workloads recording histories, a seeded schedule of faults, the
 * recovery measured, each history checked — printed as a table (or JSON). Progress (each fault
 * with its time) goes to standard error.
 */
export async function nemesisCommand(options: NemesisCommandOptions, out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const workloads = workloadsOf(options.workload);
  const faults = faultsOf(options.faults);
  if (options.data !== undefined && existsSync(options.data) && readdirSync(options.data).length > 0) {
    throw new UsageError(`--data ${options.data} is not empty: a run starts its nodes from empty data folders`);
  }
  const report = await runNemesis({
    workloads,
    seconds: options.seconds,
    seed: options.seed,
    faults,
    nodes: options.nodes,
    shards: options.shards,
    clients: options.clients,
    ...(options.data !== undefined ? { dataDir: options.data } : {}),
    log: note,
  });
  out(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return passed(report) ? 0 : 1;
}

function workloadsOf(text: string): WorkloadName[] {
  if (text === 'all') return [...WORKLOAD_NAMES];
  if (!WORKLOAD_NAMES.includes(text as WorkloadName)) throw new UsageError(`--workload takes ${WORKLOAD_NAMES.join(', ')} or all, not "${text}"${didYouMean(text, [...WORKLOAD_NAMES, 'all'])}`);
  return [text as WorkloadName];
}

function faultsOf(text: string): FaultKind[] {
  if (text === '' || text === 'none') return [];
  const kinds = text.split(',').map((kind) => kind.trim());
  for (const kind of kinds) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new UsageError(`--faults takes kinds from ${FAULT_KINDS.join(',')} (or none), not "${kind}"${didYouMean(kind, FAULT_KINDS)}`);
  }
  return [...new Set(kinds)] as FaultKind[];
}
