import type { LinkProxyStats } from './link-proxy.ts';
import { FAULT_KINDS, type FaultKind, type FaultRecord } from './schedule.ts';
import type { WorkloadCheck } from './workloads/workload.ts';

/** Everything a nemesis run found: printed as a table (`formatReport`) or as JSON. */
export interface NemesisReport {
  readonly seed: number;
  readonly seconds: number;
  readonly nodes: number;
  readonly shards: number;
  readonly faultsEnabled: readonly FaultKind[];
  /** `real`, or the deliberately broken build that ran. */
  readonly build: 'real' | 'follower-reads';
  readonly workloads: readonly WorkloadCheck[];
  readonly faults: { readonly byKind: Readonly<Record<FaultKind, number>>; readonly log: readonly FaultRecord[] };
  readonly recoveryMs: number | null;
  /** Until every replica (restarted ones too) had caught up with its leader; see schedule.ts. */
  readonly caughtUpMs: number | null;
  readonly recoveryError?: string;
  /** The proxies' counters, summed over every link. */
  readonly links: LinkProxyStats;
  /** Parts of transactions across shards that leaders resolved after their coordinator went away. */
  readonly inDoubtResolved: { readonly committed: number; readonly aborted: number } | null;
  /** Node processes that exited without being told to (a crash the nemesis did not cause). */
  readonly unexpectedExits: readonly string[];
  readonly durationMs: number;
  /** The data folder, when kept. */
  readonly dataDir?: string;
}

/** Whether the run passed: every checker valid, no lost write, recovered, no unexpected exit. */
export function passed(report: NemesisReport): boolean {
  return report.workloads.every((w) => w.valid === true && (w.lostWrites ?? 0) === 0) && report.recoveryMs !== null && report.caughtUpMs !== null && report.unexpectedExits.length === 0;
}

/** The report as text: the run, a table of the workloads, the faults, the recovery, then each anomaly explained. */
export function formatReport(report: NemesisReport): string {
  const lines: string[] = [];
  lines.push(
    `nemesis: ${report.build === 'real' ? '' : `BROKEN BUILD (${report.build}), `}seed ${report.seed}, ${report.seconds} s of faults, ${report.nodes} nodes, ${report.shards} shards; ${(report.durationMs / 1000).toFixed(0)} s in all`,
  );
  const header = ['workload', 'ops', 'ok', 'fail', 'info', 'anomalies', 'lost acked writes', 'verdict'];
  const rows = report.workloads.map((w) => [
    w.workload,
    String(w.ops.total),
    String(w.ops.ok),
    String(w.ops.fail),
    String(w.ops.info),
    w.anomalies === 0 ? '0' : `${w.anomalies} (${w.anomalyKinds.join(', ')})`,
    w.lostWrites === null ? 'n/a' : String(w.lostWrites),
    w.valid === true ? 'valid' : w.valid === false ? 'INVALID' : 'unknown',
  ]);
  lines.push(...table(header, rows));
  lines.push('');
  lines.push('operations by kind:');
  for (const w of report.workloads) {
    const kinds = Object.entries(w.ops.byF).map(([f, n]) => `${f} ${n.ok}/${n.fail}/${n.info}`);
    lines.push(`  ${w.workload}: ${kinds.join(', ')} (ok/fail/info)`);
  }
  const faultCounts = FAULT_KINDS.filter((kind) => report.faultsEnabled.includes(kind)).map((kind) => `${kind} ${report.faults.byKind[kind]}`);
  lines.push(`faults injected: ${faultCounts.length > 0 ? faultCounts.join(', ') : 'none'}`);
  const l = report.links;
  lines.push(
    `links: ${l.framesForwarded} frames forwarded, ${l.framesDropped} dropped, ${l.framesDuplicated} duplicated, ${l.framesDelayed} delayed, ${l.framesBlackholed} black-holed; ${l.connections} connections, ${l.connectionsRefused} refused, ${l.connectionsCut} cut`,
  );
  if (report.inDoubtResolved) lines.push(`in-doubt parts resolved by leaders: ${report.inDoubtResolved.committed} committed, ${report.inDoubtResolved.aborted} aborted`);
  lines.push(`recovery after the last fault (${lastFault(report)}): ${report.recoveryMs === null ? `FAILED (${report.recoveryError})` : `${(report.recoveryMs / 1000).toFixed(2)} s until every shard led and took a write; ${report.caughtUpMs === null ? 'replicas never all caught up' : `${(report.caughtUpMs / 1000).toFixed(2)} s until every replica caught up`}`}`);
  if (report.unexpectedExits.length > 0) lines.push(`node processes that exited on their own: ${report.unexpectedExits.join(', ')}`);
  for (const w of report.workloads) {
    if (w.valid !== true || (w.lostWrites ?? 0) > 0) {
      lines.push('');
      lines.push(`${w.workload} — ${w.checker}:`);
      lines.push(w.explanation);
      if ((w.lostWrites ?? 0) > 0) lines.push(`lost acknowledged writes: ${w.lostDetail}`);
    }
  }
  return lines.join('\n');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The fault the run ended on, as the recovery line names it. */
function lastFault(report: NemesisReport): string {
  const last = report.faults.log[report.faults.log.length - 1];
  return last ? last.kind : 'none';
}
