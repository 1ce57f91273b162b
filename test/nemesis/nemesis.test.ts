import { describe, expect, it } from 'vitest';
import { formatReport, type NemesisReport } from '../../src/nemesis/report.ts';
import { runNemesis } from '../../src/nemesis/run.ts';
import { FAULT_KINDS } from '../../src/nemesis/schedule.ts';

/**
 * The nemesis suite's CI run (the long ones: `unanimous nemesis`). A real cluster of three node
 * processes behind the link proxies, two shards, the three workloads at once under every kind of
 * fault for 50 s — then the same nemesis against a deliberately broken build, which must be
 * caught. Each run stops its processes and removes its data folder itself (runNemesis's
 * `finally`), on failure too. Seeded: the schedule, the proxies' draws and the clients' choices
 * come from the seed; the timing of a loaded machine does the rest.
 */
const log = process.env.UNANIMOUS_NEMESIS_LOG ? (line: string) => process.stderr.write(`${line}\n`) : undefined;

/** The report, printed when an assertion fails, so that the anomaly and the faults are in the test output. */
function explain(report: NemesisReport): string {
  return `\n${formatReport(report)}\n${report.faults.log.map((f) => `  ${f.start.toFixed(1)}–${f.end?.toFixed(1) ?? '?'} s ${f.kind}: ${f.description}`).join('\n')}`;
}

describe('the nemesis suite', () => {
  it('the real build: every history checks out, no acknowledged write is lost, every kind of fault was injected, the cluster recovers', async () => {
    const report = await runNemesis({
      workloads: ['register', 'bank', 'list-append'],
      seconds: 60,
      seed: 7,
      faults: FAULT_KINDS,
      nodes: 3,
      shards: 2,
      clients: 4,
      faultMs: [3_000, 5_000],
      healMs: [2_000, 3_000],
      checkBudgetMs: 60_000,
      ...(log ? { log } : {}),
    });
    const why = explain(report);
    for (const kind of FAULT_KINDS) expect(report.faults.byKind[kind], `${kind} injected${why}`).toBeGreaterThan(0);
    for (const workload of report.workloads) {
      expect(workload.valid, `${workload.workload}${why}`).toBe(true);
      expect(workload.anomalies, `${workload.workload}${why}`).toBe(0);
      // Not vacuous: each workload got work done under the faults.
      expect(workload.ops.ok, `${workload.workload} ok operations${why}`).toBeGreaterThan(100);
    }
    expect(report.workloads.find((w) => w.workload === 'register')!.lostWrites, why).toBe(0);
    expect(report.workloads.find((w) => w.workload === 'list-append')!.lostWrites, why).toBe(0);
    expect(report.recoveryMs, why).not.toBeNull();
    expect(report.caughtUpMs, why).not.toBeNull();
    expect(report.unexpectedExits, why).toEqual([]);
    // The link faults did act on the wire.
    expect(report.links.framesDropped, why).toBeGreaterThan(0);
    expect(report.links.framesDuplicated, why).toBeGreaterThan(0);
    expect(report.links.framesDelayed, why).toBeGreaterThan(0);
  }, 240_000);

  it('the deliberately broken build (followers answer reads from their own data) is caught as not linearizable', async () => {
    const report = await runNemesis({
      workloads: ['register'],
      seconds: 30,
      seed: 3,
      faults: ['partition', 'pause'],
      nodes: 3,
      shards: 2,
      clients: 6,
      // Read-heavy: two reads in three of a key land on a node that follows its shard.
      register: { readRatio: 0.8, keys: 4 },
      unsafeForTesting: 'follower-reads',
      faultMs: [3_000, 5_000],
      healMs: [2_000, 3_000],
      checkBudgetMs: 60_000,
      ...(log ? { log } : {}),
    });
    const register = report.workloads[0]!;
    expect(report.build).toBe('follower-reads');
    expect(register.valid, explain(report)).toBe(false);
    expect(register.anomalies).toBeGreaterThan(0);
    // The anomaly, as the checker prints it: the read that cannot be placed, and why.
    expect(register.explanation).toMatch(/NOT linearizable \(register model\) on key register-/);
    expect(register.explanation).toMatch(/read .*, but the register holds/);
    expect(formatReport(report)).toContain(register.explanation);
    process.stderr.write(`the broken build, caught:\n${register.explanation.split('\n').slice(0, 8).join('\n')}\n`);
  }, 180_000);
});
