/**
 * The soak run: a million puts against a fresh 3-node cluster, with every node's resident memory
 * and disk use and the longest Raft log printed every 100,000 puts, then a kill -9 of the node
 * leading most shards and how long its restart takes to answer, to serve a read, and to catch up.
 * With compaction (by count and by size, see docs/service.md) both level off; without it, both
 * would grow with the history. Run on demand, not in CI (test/service/soak.test.ts is the short one).
 *
 *   node --import tsx bench/soak.ts
 *   node --import tsx bench/soak.ts --puts 200000 --every 20000 --inflight 64 --compact-bytes 4194304
 *   npm run build && node --import tsx bench/soak.ts --built   # nodes run from dist/, as installed
 */
import { parseArgs } from 'node:util';
import { runSoak, type SoakSample } from './soak-run.ts';

const { values } = parseArgs({
  options: {
    puts: { type: 'string', default: '1000000' },
    every: { type: 'string', default: '100000' },
    inflight: { type: 'string', default: '64' },
    keys: { type: 'string', default: '100000' },
    'value-bytes': { type: 'string', default: '100' },
    shards: { type: 'string', default: '3' },
    'compact-every': { type: 'string' },
    'compact-bytes': { type: 'string' },
    built: { type: 'boolean', default: false },
  },
});
const numbers = {
  puts: Number(values.puts),
  every: Number(values.every),
  inflight: Number(values.inflight),
  keys: Number(values.keys),
  valueBytes: Number(values['value-bytes']),
  shards: Number(values.shards),
};
const compactEvery = values['compact-every'] === undefined ? undefined : Number(values['compact-every']);
const compactBytes = values['compact-bytes'] === undefined ? undefined : Number(values['compact-bytes']);
if (![...Object.values(numbers), compactEvery ?? 1, compactBytes ?? 1].every((n) => Number.isSafeInteger(n) && n > 0)) {
  console.error('usage: bench/soak.ts [--puts N] [--every N] [--inflight N] [--keys N] [--value-bytes N] [--shards N] [--compact-every N] [--compact-bytes N] [--built]');
  process.exit(2);
}

const nodes = (record: Readonly<Record<string, number>>) => Object.values(record).map((v) => v.toFixed(1).padStart(6)).join(' ');
console.log(`soak: ${numbers.puts.toLocaleString('en')} puts, ${numbers.inflight} in flight, ${numbers.valueBytes}-byte values over ${numbers.keys.toLocaleString('en')} keys, 3 nodes, ${numbers.shards} shards, nodes run from ${values.built ? 'dist/' : 'the sources (tsx)'}`);
console.log('     puts   seconds   RSS MiB (n1 n2 n3)      disk MiB (n1 n2 n3)    longest log  snapshot index');
const result = await runSoak(
  { ...numbers, runBuilt: values.built === true, ...(compactEvery !== undefined || compactBytes !== undefined ? { compaction: { ...(compactEvery ? { every: compactEvery } : {}), ...(compactBytes ? { bytes: compactBytes } : {}) } } : {}) },
  (s: SoakSample) =>
    console.log(`${s.puts.toLocaleString('en').padStart(9)}  ${s.seconds.toFixed(1).padStart(8)}   ${nodes(s.rssMiB)}   ${nodes(s.diskMiB)}   ${String(s.longestLog).padStart(11)}  ${String(s.snapshotIndex).padStart(14)}`),
);
console.log(`failed puts: ${result.errors}`);
console.log(`kill -9 of ${result.killed}, restarted: answers HTTP after ${result.restartAnswersMs} ms, serves a read of the last write after ${result.restartServesMs} ms, every replica caught up after ${result.restartCaughtUpMs} ms`);
