#!/usr/bin/env node
// The `unanimous` command. The sources are TypeScript, run through tsx's loader.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// Model files of one's own load wherever they live (see the hooks' comments).
registerHooks(new URL('../src/cli/model-file-hooks.js', import.meta.url), { data: { packageJson: new URL('../package.json', import.meta.url).href } });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
