#!/usr/bin/env node
// The `unanimous` command. In a clone (src/ beside bin/) it runs the TypeScript sources through
// tsx, so that nothing ever runs stale built code; installed from a package (no src/), it runs the
// JavaScript built into dist/ by `npm run build`.
//
// tsx is registered either way: a model file of one's own is TypeScript (`unanimous check
// ./my-model.ts`), and it is what loads one at run time — which is why tsx is a dependency of the
// package, not a devDependency.
//
// UNANIMOUS_RUN_BUILT=1 runs dist/ in a clone too, as an installed package would — without
// transpiling at start, which is most of a node's restart time — and refuses a build older than
// any source file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

const runBuilt = process.env.UNANIMOUS_RUN_BUILT === '1';
const fromSources = !runBuilt && existsSync(new URL('../src/cli/main.ts', import.meta.url));
const code = fromSources ? '../src/' : '../dist/src/';
const built = new URL(`${code}cli/main.js`, import.meta.url);
if (!fromSources && !existsSync(built)) {
  process.stderr.write(`unanimous: ${new URL(code, import.meta.url).pathname} is missing: this copy of the package was not built (npm run build)\n`);
  process.exit(2);
}
if (runBuilt && existsSync(new URL('../src/', import.meta.url))) {
  const newest = (dir) => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(`${dir}/${entry.name}`) : statSync(`${dir}/${entry.name}`).mtimeMs)));
  if (newest(new URL('../src', import.meta.url).pathname) > statSync(built).mtimeMs) {
    process.stderr.write('unanimous: UNANIMOUS_RUN_BUILT=1, but dist/ is older than src/: run npm run build\n');
    process.exit(2);
  }
}

register();
// Model files of one's own load wherever they live (see the hooks' comments). In a clone, their
// imports of `unanimous` resolve to the sources, as the CLI's own code does, through the export
// condition "unanimous:source" (package.json's exports).
registerHooks(new URL(`${code}cli/model-file-hooks.js`, import.meta.url), {
  data: {
    packageJson: new URL('../package.json', import.meta.url).href,
    conditions: fromSources ? ['unanimous:source'] : [],
  },
});
const { main } = await import(`${code}cli/main.${fromSources ? 'ts' : 'js'}`);
process.exitCode = await main(process.argv.slice(2));
