import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** `unanimous nemesis` refuses what it cannot run before starting anything (exit 2, one line on stderr). */
const BIN = fileURLToPath(new URL('../../bin/unanimous.js', import.meta.url));
const unanimous = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'unanimous-nemesis-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('unanimous nemesis', () => {
  it.each([
    [['--workload', 'regster'], /--workload takes register, bank, list-append or all, not "regster".*did you mean register/i],
    [['--faults', 'kill,partiton'], /--faults takes kinds from kill,pause,partition,loss,delay,duplicate,slow-fsync \(or none\), not "partiton".*partition/],
    [['--nodes', '10'], /--nodes takes at most 9, not 10/],
    [['--seconds', '0'], /--seconds takes a whole number >= 1/],
    [['--data', dir], /is not empty/],
  ])('%j: exit 2 with the reason', (args, message) => {
    writeFileSync(join(dir, 'something'), '');
    const run = unanimous('nemesis', ...args);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });
});
