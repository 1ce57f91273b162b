/**
 * The package as its users get it: `npm pack` (which builds dist/ through `prepare`), the tarball
 * installed into a fresh project in a temp folder outside the repository, and there, with none of
 * the repository's sources in reach: the project's TypeScript type-checks against the package's
 * .d.ts files, its own model is checked through `check()`, Two-Phase Commit is embedded in
 * NodeHosts and commits a transaction, and the installed `unanimous` command checks a model of
 * the package and the project's own. The project's files are test/package/consumer/.
 *
 * The install runs the dependencies' install scripts as a user's would (better-sqlite3 compiles
 * its native addon: a minute or more), hence the long timeouts.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./consumer/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'unanimous-pack-'));
const project = join(work, 'consumer');

/** The largest tarball allowed: "under a few MB". */
const MAX_TARBALL_BYTES = 3 * 1024 * 1024;

/**
 * The environment for the commands run here: this process's, less what npm exports to the scripts
 * it runs (npm_config_local_prefix and the like would point a nested npm at the repository).
 */
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`), whatever its exit status. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      resolve({ status: error ? (typeof code === 'number' ? code : -1) : 0, stdout, stderr: error && typeof code !== 'number' ? `${stderr}\n${error.message}` : stderr });
    });
  });
}

/** Runs a command that must succeed, failing with its output otherwise. */
async function succeed(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Run> {
  const result = await run(command, args, cwd, timeoutMs);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(-4000)}\n${result.stdout.slice(-2000)}`);
  return result;
}

/** The version of a package installed in the repository: the consumer installs the same, from npm's cache. */
const versionOf = (name: string): string => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let tarball: string;
let packedFiles: readonly string[];

beforeAll(async () => {
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  const packed = await succeed('npm', ['pack', '--json', '--pack-destination', packDir], root, 180_000);
  const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(packDir, report!.filename);
  packedFiles = report!.files.map((file) => file.path);

  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  for (const name of readdirSync(fixture)) cpSync(join(fixture, name), join(project, name));
  await succeed(
    'npm',
    ['install', tarball, `typescript@${versionOf('typescript')}`, `@types/node@${versionOf('@types/node')}`, `tsx@${versionOf('tsx')}`, `vitest@${versionOf('vitest')}`, '--no-audit', '--no-fund', '--prefer-offline'],
    project,
    480_000,
  );
}, 700_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the package installed from its tarball into a project of its own', () => {
  it('is a tarball of a few hundred kB: the built code, the command, the models, no sources or tests', () => {
    expect(statSync(tarball).size).toBeLessThan(MAX_TARBALL_BYTES);
    expect(packedFiles).toEqual(expect.arrayContaining(['bin/unanimous.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/cli/model-file-hooks.js', 'dist/src/service/package-entry.d.ts', 'dist/models/two-phase/tla.js', 'README.md', 'LICENSE']));
    expect(packedFiles.filter((path) => /^(src|test|spec|models|scripts)\//.test(path))).toEqual([]);
    const installed = join(project, 'node_modules', 'unanimous');
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
  });

  it('type-checks the project against the .d.ts files (each @ts-expect-error proves a type is not any)', async () => {
    const result = await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project, 120_000);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: '' });
  });

  it('declares only types a consumer has: every module a .d.ts imports is node:, the package itself, or a dependency that ships its types', () => {
    // The consumer's tsconfig has skipLibCheck (as most projects do), under which an import of a
    // package without types would silently become `any`; this finds it. better-sqlite3 ships none
    // (its types are @types/better-sqlite3, a devDependency), so no .d.ts may name it.
    const installed = join(project, 'node_modules', 'unanimous');
    const { dependencies } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set(
      packedFiles
        .filter((path) => path.endsWith('.d.ts'))
        .flatMap((path) => [...readFileSync(join(installed, path), 'utf8').matchAll(/(?:from |import\()'([^.'][^']*)'/g)].map((match) => match[1]!)),
    );
    const shipsTypes = (name: string) => {
      const manifest = JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')) as { types?: string; typings?: string; exports?: unknown };
      return manifest.types !== undefined || manifest.typings !== undefined || JSON.stringify(manifest.exports ?? null).includes('"types"');
    };
    const untyped = [...imported].filter((name) => !name.startsWith('node:') && name !== 'unanimous' && !(name in dependencies && shipsTypes(name)));
    expect(imported.has('xstate')).toBe(true);
    expect(untyped).toEqual([]);
  });

  it("checks the project's own model through check(): its five states, the goal reached", async () => {
    const result = await succeed(process.execPath, ['--import', 'tsx', 'check-model.ts'], project, 60_000);
    expect(JSON.parse(result.stdout)).toEqual({ verdict: 'ok', distinct: 5, depth: 3, goals: [{ name: 'BothArrived', reached: true }] });
  });

  it('commits a transaction with a TM and two RMs in NodeHosts over the in-memory network', async () => {
    const result = await succeed(process.execPath, ['--import', 'tsx', 'commit-2pc.ts'], project, 60_000);
    expect(JSON.parse(result.stdout)).toEqual({
      states: { tm: { committed: 'announced' }, rm1: 'committed', rm2: 'committed' },
      decision: 'commit',
    });
  });

  it("runs the installed command: list, a model of the package's, the project's own model file", async () => {
    const list = await succeed('npx', ['unanimous', 'list'], project, 60_000);
    expect(list.stdout).toMatch(/^two-phase\/tla$/m);

    const packaged = await succeed('npx', ['unanimous', 'check', 'two-phase/tla'], project, 60_000);
    expect(packaged.stdout).toMatch(/^two-phase\/tla\s+rms=3\s+ok\s+288\s/m);
    expect(packaged.stdout).toContain('1 model checked, every result as recorded.');

    const own = await succeed('npx', ['unanimous', 'check', './my-model.ts'], project, 60_000);
    expect(own.stdout).toMatch(/^\.\/my-model\.ts\s+-\s+ok\s+5\s/m);
    expect(own.stdout).toContain('1 model checked, every result as recorded.');
  });

  it('unanimous init writes a project whose npm test and npm run check pass as they are', async () => {
    const init = await succeed('npx', ['unanimous', 'init', 'scaffold'], project, 60_000);
    expect(init.stdout).toContain('a new project in scaffold: package.json, README.md, lock/');
    const scaffold = join(project, 'scaffold');
    const manifest = JSON.parse(readFileSync(join(scaffold, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['unanimous', 'xstate']);
    expect(Object.keys(manifest.devDependencies)).toEqual(['vitest']);
    // Its dependencies are the consumer's, one folder up, where Node and npm find them: the
    // same packages an npm install in the scaffold would fetch.
    const tested = await succeed('npm', ['test'], scaffold, 120_000);
    expect(tested.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
    const checked = await succeed('npm', ['run', 'check'], scaffold, 60_000);
    expect(checked.stdout).toContain('2 models checked, every result as recorded.');
    const again = await run('npx', ['unanimous', 'init', 'scaffold'], project, 60_000);
    expect([again.status, again.stderr.includes('is not empty')]).toEqual([2, true]);
  });

  it('refuses a model the package does not have, with exit status 2', async () => {
    const result = await run('npx', ['unanimous', 'check', 'two-phase/nonesuch'], project, 60_000);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no model "two-phase/nonesuch"');
  });
});
