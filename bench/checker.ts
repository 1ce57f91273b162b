/**
 * Checker throughput on two-phase/tla (TwoPhase.tla's semantics) from 3 to 9 RMs.
 *
 *   npm run bench:checker                  # 3..9 RMs, 3 runs each, medians
 *   npm run bench:checker -- --runs 5 --from 6 --to 9
 *
 * Each run is a fresh `unanimous check two-phase/tla --rms N --json` process, so every figure
 * includes start-up, and runs do not share a warmed-up JIT or heap. Run on demand, not in CI.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    from: { type: 'string', default: '3' },
    to: { type: 'string', default: '9' },
    model: { type: 'string', default: 'two-phase/tla' },
  },
});
const runs = Number(values.runs);
const from = Number(values.from);
const to = Number(values.to);
if (![runs, from, to].every((n) => Number.isInteger(n) && n > 0) || from > to) {
  console.error('usage: bench/checker.ts [--runs N] [--from RMS] [--to RMS] [--model NAME]');
  process.exit(2);
}

const cli = fileURLToPath(new URL('../bin/unanimous.js', import.meta.url));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

console.log(`${values.model}, ${runs} run(s) per size, medians (wall = whole process, check = exploration only)`);
console.log('rms    distinct     generated   depth   check s   wall s   states/s (check)   min..max check s');
for (let rms = from; rms <= to; rms++) {
  const checks: number[] = [];
  const walls: number[] = [];
  let last: { distinct: number; generated: number; depth: number; verdict: string } | undefined;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, [cli, 'check', values.model!, '--rms', String(rms), '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    walls.push((performance.now() - started) / 1000);
    if (child.status !== 0) {
      console.error(child.stderr || child.stdout);
      process.exit(1);
    }
    const [result] = JSON.parse(child.stdout) as { result: { distinct: number; generated: number; depth: number; seconds: number; verdict: string } }[];
    checks.push(result!.result.seconds);
    last = result!.result;
  }
  const check = median(checks);
  console.log(
    [
      String(rms).padStart(3),
      last!.distinct.toLocaleString('en').padStart(11),
      last!.generated.toLocaleString('en').padStart(13),
      String(last!.depth).padStart(7),
      check.toFixed(2).padStart(9),
      median(walls).toFixed(2).padStart(8),
      Math.round(last!.distinct / check).toLocaleString('en').padStart(18),
      `${Math.min(...checks).toFixed(2)}..${Math.max(...checks).toFixed(2)}`.padStart(19),
    ].join(' '),
  );
}
