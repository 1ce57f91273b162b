import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/runtime/storage/sqlite-store.ts';

const CHILD = fileURLToPath(new URL('./commit-forever.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'unanimous-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the child until it has acknowledged at least one batch (and `extraMs` more), SIGKILLs it,
 * and returns the batches it acknowledged.
 */
function runAndKill(path: string, extraMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: number[] = [];
    let pending = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) acknowledged.push(Number(line));
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), extraMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(killTimer);
      // A partial line was never fully acknowledged; leave it out.
      if (signal !== 'SIGKILL') reject(new Error(`the child exited by itself (${signal ?? _code}): ${stderr}`));
      else resolve(acknowledged);
    });
  });
}

describe('SqliteStore under kill -9', () => {
  it('keeps every batch whose commit returned, and never half a batch', async () => {
    const path = join(dir, 'crash.db');
    let acknowledgedBefore = -1;
    // Two crashes, each at a random moment; the second run continues where the first left off.
    for (const extraMs of [50 + Math.floor(Math.random() * 200), 50 + Math.floor(Math.random() * 200)]) {
      const acknowledged = await runAndKill(path, extraMs);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(acknowledged[0]).toBe(acknowledgedBefore + 1);
      const lastAcknowledged = acknowledged.at(-1)!;
      const store = new SqliteStore(path);
      const image = store.load();
      store.close();
      // Every acknowledged batch is there; at most the one in flight at the kill is there too.
      const lastBatch = image.lastBatch as number;
      expect(lastBatch).toBeGreaterThanOrEqual(lastAcknowledged);
      expect(lastBatch).toBeLessThanOrEqual(lastAcknowledged + 1);
      // Whole batches only, in order: each batch's three entries, for batches 0..lastBatch.
      expect(image.log).toEqual(Array.from({ length: lastBatch + 1 }, (_, n) => [n, n, n]).flat());
      acknowledgedBefore = lastBatch;
    }
  }, 20_000);
});
