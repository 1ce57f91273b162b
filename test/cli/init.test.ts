import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root, unanimous } from './own-model.ts';

const scratch = mkdtempSync(join(tmpdir(), 'unanimous-init-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// test/package/pack-install.test.ts runs the scaffold's npm test against the installed package.
describe('unanimous init', () => {
  it('writes a project: package.json with its scripts and dependencies, README, the lock server of the first-model guide', () => {
    const dir = join(scratch, 'My Protocol');
    const run = unanimous('init', dir);
    expect(run.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'lock', 'package.json']);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'my-protocol', type: 'module', scripts: { test: 'vitest run' }, dependencies: { unanimous: `^${ours.version}`, xstate: ours.dependencies.xstate } });
    for (const file of ['machines.ts', 'lock.ts', 'lock-broken.ts', 'lock.test.ts']) {
      expect(readFileSync(join(dir, 'lock', file), 'utf8')).toBe(readFileSync(join(root, 'docs/first-model', file), 'utf8'));
    }
  });

  it('refuses a folder that is not empty, and writes nothing (exit 2)', () => {
    const dir = join(scratch, 'taken');
    const run1 = unanimous('init', dir);
    expect(run1.status).toBe(0);
    writeFileSync(join(dir, 'lock', 'lock.ts'), 'mine');
    const run2 = unanimous('init', dir);
    expect(run2.status).toBe(2);
    expect(run2.stderr).toContain('is not empty');
    expect(readFileSync(join(dir, 'lock', 'lock.ts'), 'utf8')).toBe('mine');
    expect(unanimous('init').status).toBe(2);
    expect(unanimous('init', 'a', 'b').stderr).toContain('init takes one folder');
    expect(existsSync(join(root, 'a'))).toBe(false);
  });
});
