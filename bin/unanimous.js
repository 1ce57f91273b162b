#!/usr/bin/env node
// The `unanimous` command. In a clone (src/ beside bin/) it runs the TypeScript sources through
// tsx, so that nothing ever runs stale built code; installed from a package (no src/), it runs the
// JavaScript built into dist/ by `npm run build`.
//
// tsx is registered either way: a model file of one's own is TypeScript (`unanimous check
// ./my-model.ts`), and it is what loads one at run time — which is why tsx is a dependency of the
// package, not a devDependency.
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const code = fromSources ? '../src/' : '../dist/src/';
if (!fromSources && !existsSync(new URL(`${code}cli/main.js`, import.meta.url))) {
  process.stderr.write(`unanimous: ${new URL(code, import.meta.url).pathname} is missing: this copy of the package was not built (npm run build)\n`);
  process.exit(2);
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
