/**
 * Checker throughput on two-phase/tla (TwoPhase.tla's semantics), optionally side by side with TLC;
 * with --symmetric, on two-phase/tla-symmetric against TLC with SYMMETRY Permutations(RM).
 *
 *   npm run bench:checker                                   # 3..9 RMs, 3 runs each, medians
 *   npm run bench:checker -- --runs 5 --from 8 --to 9
 *   npm run bench:checker -- --from 8 --to 8 --workers 2     # our runs on 2 worker threads (default 1)
 *   npm run bench:checker -- --from 9 --to 9 --tlc-jar ~/tla2tools.jar --tla-dir ~/Examples/specifications/transaction_commit
 *   npm run bench:checker -- --symmetric --from 6 --to 8 --tlc-jar … --tla-dir …
 *
 * Each run is a fresh `unanimous check two-phase/tla --rms N --json` process, so every figure
 * includes start-up, and runs share no warmed-up JIT or heap. With --tlc-jar (a tla2tools.jar you
 * provide) and --tla-dir (a folder holding Lamport's TwoPhase.tla and TCommit.tla), TLC checks
 * TwoPhase.tla with the same number of RMs (INVARIANT TPTypeOK, as TwoPhase.cfg) in runs
 * alternating with ours, so both see the same machine load; the ratio is of the medians. With
 * --symmetric both reduce by the RMs' symmetry: TLC checks a module extending TwoPhase with
 * `Sym == Permutations(RM)` as its SYMMETRY, and must find the same distinct states.
 * Run on demand, not in CI.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    from: { type: 'string', default: '3' },
    to: { type: 'string', default: '9' },
    'tlc-jar': { type: 'string' },
    'tla-dir': { type: 'string' },
    'tlc-workers': { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    symmetric: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const from = Number(values.from);
const to = Number(values.to);
const workers = Number(values.workers);
const withTlc = values['tlc-jar'] !== undefined;
if (![runs, from, to, workers].every((n) => Number.isInteger(n) && n > 0) || from > to || withTlc !== (values['tla-dir'] !== undefined)) {
  console.error('usage: bench/checker.ts [--runs N] [--from RMS] [--to RMS] [--workers N] [--symmetric] [--tlc-jar JAR --tla-dir DIR [--tlc-workers W]]');
  process.exit(2);
}

const model = values.symmetric ? 'two-phase/tla-symmetric' : 'two-phase/tla';
const cli = fileURLToPath(new URL('../bin/unanimous.js', import.meta.url));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const seconds = (started: number) => (performance.now() - started) / 1000;

interface Ours {
  distinct: number;
  generated: number;
  depth: number;
  check: number;
  wall: number;
}

function runOurs(rms: number): Ours {
  const started = performance.now();
  const child = spawnSync(process.execPath, [cli, 'check', model, '--rms', String(rms), '--workers', String(workers), '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = seconds(started);
  if (child.status !== 0) throw new Error(child.stderr || child.stdout);
  const [{ result }] = JSON.parse(child.stdout) as { result: { distinct: number; generated: number; depth: number; seconds: number } }[];
  return { distinct: result.distinct, generated: result.generated, depth: result.depth, check: result.seconds, wall };
}

function runTlc(rms: number): { distinct: number; wall: number } {
  const dir = mkdtempSync(join(tmpdir(), 'unanimous-tlc-'));
  try {
    for (const file of ['TwoPhase.tla', 'TCommit.tla']) copyFileSync(join(values['tla-dir']!, file), join(dir, file));
    const rmSet = Array.from({ length: rms }, (_, i) => `r${i + 1}`).join(', ');
    // Under SYMMETRY the RMs are model values permuted by Sym, defined in a module of the bench's own.
    const spec = values.symmetric ? 'BenchSymmetric.tla' : 'TwoPhase.tla';
    if (values.symmetric) writeFileSync(join(dir, spec), '---- MODULE BenchSymmetric ----\nEXTENDS TwoPhase, TLC\nSym == Permutations(RM)\n====\n');
    writeFileSync(join(dir, 'Bench.cfg'), `CONSTANT RM = {${rmSet}}\n${values.symmetric ? 'SYMMETRY Sym\n' : ''}INVARIANT TPTypeOK\nSPECIFICATION TPSpec\n`);
    const started = performance.now();
    const child = spawnSync(
      'java',
      ['-XX:+UseParallelGC', '-cp', values['tlc-jar']!, 'tlc2.TLC', '-workers', values['tlc-workers']!, '-deadlock', '-metadir', join(dir, 'meta'), '-config', 'Bench.cfg', spec],
      { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const wall = seconds(started);
    const found = /([\d,]+) distinct states found, 0 states left on queue/.exec(child.stdout);
    if (child.status !== 0 || !found) throw new Error(`TLC failed:\n${child.stdout}\n${child.stderr}`);
    return { distinct: Number(found[1]!.replace(/,/g, '')), wall };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${model}, ${runs} run(s) per size, medians; check = exploration only, wall = whole process`);
console.log(
  `rms    distinct     generated  depth  check s  wall s  states/s (check)  min..max check s${withTlc ? `  TLC wall s (${values['tlc-workers']} worker)  TLC/ours (wall)` : ''}`,
);
for (let rms = from; rms <= to; rms++) {
  const ours: Ours[] = [];
  const tlc: number[] = [];
  for (let run = 0; run < runs; run++) {
    ours.push(runOurs(rms));
    if (withTlc) {
      const { distinct, wall } = runTlc(rms);
      if (distinct !== ours[0]!.distinct) throw new Error(`TLC found ${distinct} distinct states, the checker ${ours[0]!.distinct}`);
      tlc.push(wall);
    }
  }
  const checks = ours.map((o) => o.check);
  const check = median(checks);
  const wall = median(ours.map((o) => o.wall));
  const last = ours[ours.length - 1]!;
  const cells = [
    String(rms).padStart(3),
    last.distinct.toLocaleString('en').padStart(11),
    last.generated.toLocaleString('en').padStart(13),
    String(last.depth).padStart(6),
    check.toFixed(2).padStart(8),
    wall.toFixed(2).padStart(7),
    Math.round(last.distinct / check).toLocaleString('en').padStart(17),
    `${Math.min(...checks).toFixed(2)}..${Math.max(...checks).toFixed(2)}`.padStart(17),
  ];
  if (withTlc) cells.push(median(tlc).toFixed(2).padStart(26), `${(median(tlc) / wall).toFixed(1)}x`.padStart(16));
  console.log(cells.join(' '));
}
