/**
 * Partial-order reduction (sleep sets, src/checker/sleep-sets.ts) against none, on every model in
 * models/ it applies to: the states, the transitions generated and the time of each, side by side.
 *
 *   node --import tsx bench/por.ts                     # every model reduction applies to, default parameters
 *   node --import tsx bench/por.ts --headline          # and two-phase/tla --rms 8, paxos-commit/tla --param rms=2 (PaxosCommit.cfg, minutes)
 *   node --import tsx bench/por.ts --runs 3 two-phase/tla paxos/tla   # just these, medians of 3
 *
 * A model whose only obstacle is its symmetry sets is run with --no-symmetry (marked so). Each run
 * is a fresh `unanimous check … --json` process, with and without --no-por, alternating, so both
 * see the same machine load; `time` is the check's own seconds (start-up left out), the median
 * over the runs. Every row also asserts what the reduction must leave alone: the distinct count,
 * the verdict, the property violated, the counterexample's length and the depth; a row that
 * differs is marked and the script exits 1. Run on demand, not in CI.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sleepSetsOffBecause } from '../src/checker/index.ts';
import { buildModel, listModelNames, loadModel, resolveParameters } from '../src/cli/index.ts';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, headline: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: bench/por.ts [--runs N] [--headline] [model ...]');
  process.exit(2);
}

const cli = fileURLToPath(new URL('../bin/unanimous.js', import.meta.url));

interface Row {
  readonly name: string;
  readonly args: readonly string[];
}

/** The models reduction applies to, as given or as found in models/; with --no-symmetry where symmetry alone stands in its way. */
async function applicable(): Promise<{ rows: Row[]; off: { name: string; why: string }[] }> {
  const rows: Row[] = [];
  const off: { name: string; why: string }[] = [];
  for (const name of positionals.length > 0 ? positionals : listModelNames()) {
    const file = await loadModel(name);
    if (file.simulationOnly && positionals.length === 0) continue;
    const model = buildModel(name, file, resolveParameters(name, file, {}));
    const why = sleepSetsOffBecause(model);
    if (why === undefined) rows.push({ name, args: [] });
    else if (sleepSetsOffBecause({ ...model, symmetry: [] }) === undefined) rows.push({ name, args: ['--no-symmetry'] });
    else off.push({ name, why });
  }
  if (values.headline) rows.push({ name: 'two-phase/tla', args: ['--rms', '8'] }, { name: 'paxos-commit/tla', args: ['--param', 'rms=2'] });
  return { rows, off };
}

interface Run {
  readonly verdict: string;
  readonly property: string | undefined;
  readonly steps: number | undefined;
  readonly distinct: number;
  readonly generated: number;
  readonly depth: number;
  readonly seconds: number;
  readonly applied: boolean;
}

function runOnce(row: Row, reduction: boolean): Run {
  const child = spawnSync(process.execPath, [cli, 'check', row.name, ...row.args, ...(reduction ? [] : ['--no-por']), '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (child.status === 2 || !child.stdout.startsWith('[')) throw new Error(`${row.name}: ${child.stderr || child.stdout}`);
  const [{ result }] = JSON.parse(child.stdout) as {
    result: { verdict: string; distinct: number; generated: number; depth: number; seconds: number; violation?: { property: string; trace?: { steps: unknown[] } }; partialOrderReduction: { applied: boolean } };
  }[];
  return {
    verdict: result.verdict,
    property: result.violation?.property,
    steps: result.violation?.trace?.steps.length,
    distinct: result.distinct,
    generated: result.generated,
    depth: result.depth,
    seconds: result.seconds,
    applied: result.partialOrderReduction.applied,
  };
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const count = (n: number) => n.toLocaleString('en');

const { rows, off } = await applicable();
const header = ['model', 'result', 'distinct', 'generated, none', 'generated, sleep sets', 'ratio', 'time, none', 'time, sleep sets', 'ratio', ''];
const table: string[][] = [];
let departures = 0;
for (const row of rows) {
  const without: Run[] = [];
  const withIt: Run[] = [];
  for (let i = 0; i < runs; i++) {
    without.push(runOnce(row, false));
    withIt.push(runOnce(row, true));
  }
  const a = without[0]!;
  const b = withIt[0]!;
  const same = a.verdict === b.verdict && a.property === b.property && a.steps === b.steps && a.distinct === b.distinct && a.depth === b.depth && b.applied;
  if (!same) departures++;
  const timeA = median(without.map((run) => run.seconds));
  const timeB = median(withIt.map((run) => run.seconds));
  table.push([
    [row.name, ...row.args].join(' '),
    a.verdict === 'violation' ? `violation: ${a.property} (${a.steps} steps)` : a.verdict,
    count(a.distinct),
    count(a.generated),
    count(b.generated),
    (b.generated / a.generated).toFixed(2),
    `${timeA.toFixed(2)} s`,
    `${timeB.toFixed(2)} s`,
    (timeB / timeA).toFixed(2),
    same ? '' : `DIFFERS: ${JSON.stringify({ without: a, with: b })}`,
  ]);
  console.error(`${row.name} ${row.args.join(' ')}: done`);
}

const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i]!.length)));
const line = (cells: string[]) => cells.map((cell, i) => (i >= 2 && i <= 8 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
console.log(line(header));
console.log(line(widths.map((w) => '─'.repeat(w))));
for (const cells of table) console.log(line(cells));
console.log(`\n${runs === 1 ? 'one run each' : `medians of ${runs} runs`}; ratio: with sleep sets / without.`);
if (off.length > 0) {
  console.log('\nReduction does not apply to:');
  for (const { name, why } of off) console.log(`  ${name}: ${why}`);
}
if (departures > 0) {
  console.log(`\n${departures} model${departures === 1 ? '' : 's'} gave a different result with reduction`);
  process.exit(1);
}
