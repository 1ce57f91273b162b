import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak-run.ts';

/**
 * The short soak (bench/soak.ts is the long one): puts against a 3-node cluster of real processes
 * with small compaction thresholds, so that compaction runs many times. The Raft logs and the disk
 * stay bounded while the history grows, and a node killed with kill -9 at the end restarts from
 * its snapshot and serves at once.
 */
describe('soak: the service under a growing history', () => {
  it('keeps its logs and disk bounded, and a killed node restarts and serves quickly', async () => {
    const result = await runSoak({ puts: 24_000, every: 4_000, inflight: 32, keys: 2_000, valueBytes: 100, shards: 2, compaction: { bytes: 256 * 1024 } });
    expect(result.errors).toBe(0);
    expect(result.samples).toHaveLength(6);
    const [first, ...rest] = result.samples;
    // Compaction ran, and no log suffix outgrew a few snapshots' worth of entries.
    expect(result.samples.at(-1)!.snapshotIndex).toBeGreaterThan(0);
    for (const sample of result.samples) expect(sample.longestLog).toBeLessThan(400);
    // Disk levels off: six times the history, at most twice the disk of the first sample (plus slack for SQLite's WAL).
    for (const node of Object.keys(first!.diskMiB)) {
      for (const sample of rest) expect(sample.diskMiB[node]).toBeLessThan(2 * first!.diskMiB[node]! + 8);
    }
    // A restart loads the snapshot and a short suffix: it serves within seconds (the figure of
    // bench/soak.ts, on an idle machine, is under 2 s; a busy CI machine gets more slack).
    expect(result.restartServesMs).toBeLessThan(10_000);
    expect(result.restartCaughtUpMs).toBeLessThan(15_000);
  }, 180_000);
});
