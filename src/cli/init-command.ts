import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './usage-error.ts';

/** The package's root: two folders up from src/cli/ in the sources, three from dist/src/cli/ when built. */
const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url));

/**
 * The files a new project starts from: the lock server of docs/first-model.md — its machines,
 * its model, its broken variant and its vitest test — so that the scaffold and the guide that
 * explains it are one and the same code (the package ships docs/first-model/).
 */
const TEMPLATE_DIR = join(PACKAGE_ROOT, 'docs/first-model');
const TEMPLATE_FILES = ['machines.ts', 'lock.ts', 'lock-broken.ts', 'lock.test.ts'];

export interface InitCommandOptions {
  readonly dir: string;
}

/**
 * `unanimous init <dir>`: a project of one's own that passes `npm test` as it is — package.json
 * depending on this package, xstate and vitest; the lock server's machines, model, broken variant
 * and test under lock/; a README saying what to run. Refuses a folder that is not empty, and
 * writes nothing then.
 */
export function initCommand(options: InitCommandOptions, out: (line: string) => void): number {
  const dir = resolve(options.dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`);
    if (readdirSync(dir).length > 0) throw new UsageError(`${dir} is not empty: init writes only into a new or empty folder`);
  }
  for (const file of TEMPLATE_FILES) {
    if (!existsSync(join(TEMPLATE_DIR, file))) throw new Error(`internal error: the template ${join(TEMPLATE_DIR, file)} is missing from this installation`);
  }
  const ours = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const name = (dir.split(/[\\/]/).pop() ?? 'my-protocol').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-protocol';
  const project = {
    name,
    private: true,
    type: 'module',
    scripts: {
      test: 'vitest run',
      check: 'unanimous check lock/lock.ts lock/lock-broken.ts',
      chart: 'unanimous chart lock/lock.ts',
    },
    dependencies: { unanimous: `^${ours.version}`, xstate: ours.dependencies.xstate! },
    devDependencies: { vitest: ours.devDependencies?.vitest ?? '^4.1.12' },
  };
  mkdirSync(join(dir, 'lock'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  writeFileSync(join(dir, 'README.md'), readme(name));
  for (const file of TEMPLATE_FILES) copyFileSync(join(TEMPLATE_DIR, file), join(dir, 'lock', file));
  const near = relative(process.cwd(), dir);
  const shown = near === '' ? '.' : near.startsWith('..') ? dir : near;
  out(`a new project in ${shown}: package.json, README.md, lock/ (${TEMPLATE_FILES.join(', ')})`);
  out('');
  out(`  cd ${shown}`);
  out('  npm install');
  out('  npm test          # the model checks: exact state counts, the broken variant caught');
  out('  npm run check     # the same models through the unanimous command');
  return 0;
}

function readme(name: string): string {
  return `# ${name}

A protocol of your own, model-checked with [Unanimous](https://www.npmjs.com/package/unanimous).
It starts as the lock server of Unanimous's guide "Your first model" (docs/first-model.md in the
package): a server that grants one lock to one client at a time.

| file | what it is |
| --- | --- |
| lock/machines.ts | the server and client machines (XState v5) |
| lock/lock.ts | the model: the nodes, the network, the invariant MutualExclusion, a goal |
| lock/lock-broken.ts | a broken variant the checker must catch |
| lock/lock.test.ts | the checks as a vitest test, with exact state counts |

\`\`\`sh
npm install
npm test                       # vitest: 39 states with two clients, the broken variant caught
npm run check                  # unanimous check lock/lock.ts lock/lock-broken.ts
npx unanimous check lock/lock.ts --param clients=3
npx unanimous chart lock/lock.ts
\`\`\`

Change the machines, then the model's invariants and its recorded counts: \`unanimous check\`
exits 0 only when every result is exactly what the model records.
`;
}
