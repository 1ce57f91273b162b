// The file a worker thread of a parallel check starts from (parallel-explore.ts). Plain
// JavaScript, because nothing loads TypeScript in a new thread yet: on Node 20, module hooks
// registered with `module.register` (how bin/unanimous.js runs the sources through tsx) do not
// reach worker threads, so tsx's CommonJS hooks, which work in the thread that registers them,
// are registered here. They load the sources in a clone (explore-worker.ts beside this file) and a
// model file of one's own (.ts) in the built package, whose own code is JavaScript in dist/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/cjs/api';

register();
const sources = new URL('./explore-worker.ts', import.meta.url);
if (existsSync(sources)) createRequire(import.meta.url)(fileURLToPath(sources));
else await import('./explore-worker.js');
