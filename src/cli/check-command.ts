import { checkParallel, judge, ModelError, passes, reasonOf, type CheckResult, type ExpectedResult, type Judgement, type Parameters } from '../checker/index.ts';
import { relative } from 'node:path';
import { traceToText } from '../inspect/index.ts';
import { githubError } from './github-annotations.ts';
import { cannotWriteReport, type JUnitCase, junitXml, writeReport } from './junit.ts';
import { buildModel, checkParametersTaken, isModelFile, listModelNames, loadModel, modelFilePath, resolveParameters, selectModels } from './models.ts';
import { duration, type ProgressMeter, QueueTrend } from './progress-meter.ts';
import { UsageError } from './usage-error.ts';

export interface CheckCommandOptions {
  readonly models: readonly string[];
  readonly parameters: Readonly<Record<string, number>>;
  readonly maxStates?: number;
  readonly maxDepth?: number;
  readonly maxSeconds?: number;
  /** Worker threads to explore on (checkParallel: 1 explores on this thread). */
  readonly workers: number;
  /** Let a bounded run that finds nothing pass (it is still never "as recorded"). */
  readonly allowIncomplete: boolean;
  /** Use the models' symmetry sets (true unless --no-symmetry). */
  readonly symmetry: boolean;
  /** Prune with sleep sets where they apply (true unless --no-por). */
  readonly partialOrderReduction: boolean;
  readonly json: boolean;
  readonly trace: boolean;
  /** Also write the runs as JUnit XML to this file, one test case per model. */
  readonly junit?: string;
  /** Also print a GitHub Actions `::error` annotation for each run that does not pass. */
  readonly github: boolean;
}

interface ModelRun {
  readonly model: string;
  readonly parameters: Parameters;
  readonly expected: ExpectedResult | undefined;
  readonly result: CheckResult;
  /** The result measured against the record (see src/checker/judgement.ts). */
  readonly judgement: Judgement;
  /** Whether the result is exactly what the model records (or, with no record, a complete pass). */
  readonly asExpected: boolean;
}

/**
 * `unanimous check`: checks the named models (all of them when none is named) and prints a table.
 * Exit status 0 when every result is what its model records (a deliberately broken variant records
 * the violation it must show); 1 otherwise — a run stopped by a bound included, unless bounded
 * runs are allowed and the model records no violation; 2 for bad arguments or a bad model.
 */
export async function checkCommand(options: CheckCommandOptions, out: (line: string) => void, progress: ProgressMeter): Promise<number> {
  const started = new Date();
  const unwritable = options.junit !== undefined ? cannotWriteReport(options.junit) : undefined;
  if (unwritable) throw new UsageError(`--junit: ${unwritable}`);
  if (options.github && options.json) throw new UsageError('--github and --json both write to standard output; use --junit FILE for a report beside the JSON');
  const selected = options.models.length > 0 ? selectModels(options.models) : listModelNames().map((name) => ({ name, viaFolder: true }));
  const loaded = await Promise.all(selected.map(async ({ name, viaFolder }) => ({ name, viaFolder, file: await loadModel(name) })));
  // Checking everything, or a folder, leaves out the models meant for simulation only; naming one checks it.
  const skipped = loaded.filter(({ file, viaFolder }) => viaFolder && file.simulationOnly).map(({ name }) => name);
  const files = loaded.filter(({ name }) => !skipped.includes(name));
  const named = new Set(selected.filter(({ viaFolder }) => !viaFolder).map(({ name }) => name));
  checkParametersTaken(options.parameters, files, options.models.length > 0);

  const runs: ModelRun[] = [];
  for (const { name, file } of files) {
    const given = Object.fromEntries(Object.entries(options.parameters).filter(([key]) => key in file.parameters));
    const parameters = resolveParameters(name, file, given);
    const built = buildModel(name, file, parameters);
    const model = options.symmetry ? built : { ...built, symmetry: [] };
    let result: CheckResult;
    const trend = new QueueTrend();
    try {
      result = await checkParallel({ file: modelFilePath(name), parameters, symmetry: options.symmetry, model }, {
        workers: options.workers,
        partialOrderReduction: options.partialOrderReduction,
        ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
        ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
        ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
        progressEveryMs: progress.everyMs,
        onProgress: (p) => {
          const left = trend.sample(p.seconds, p.queued);
          progress.show(
            `${name}: ${p.distinct.toLocaleString('en')} states, ${Math.round(p.statesPerSecond).toLocaleString('en')}/s, queue ${p.queued.toLocaleString('en')}, depth ${p.depth}, ${duration(p.seconds)}${left !== undefined ? `, about ${duration(left)} left` : ''}`,
          );
        },
      });
    } catch (error) {
      if (error instanceof ModelError) throw new UsageError(`${name}: ${error.message}`);
      throw error;
    } finally {
      progress.end();
    }
    const recorded = file.expected(parameters);
    // Without its symmetry sets a model has more states: hold it to the count recorded for that.
    const expected =
      recorded && !options.symmetry && built.symmetry?.length
        ? { verdict: recorded.verdict, ...(recorded.property ? { property: recorded.property } : {}), ...(recorded.distinctWithoutSymmetry !== undefined ? { distinct: recorded.distinctWithoutSymmetry } : {}) }
        : recorded;
    const judgement = judge(result, expected, { allowBounded: options.allowIncomplete, exhaustive: true });
    runs.push({ model: name, parameters, expected, result, judgement, asExpected: judgement.kind === 'recorded' || judgement.kind === 'unrecorded' });
  }

  if (options.junit !== undefined) writeReport(options.junit, junitXml('unanimous check', runs.map(junitCase), started));

  if (options.json) {
    out(JSON.stringify(runs, null, 2));
  } else {
    out(table(runs));
    for (const run of runs) {
      const { violation } = run.result;
      if (!violation) continue;
      // A broken variant's recorded trace is shown when it was named; a departure's always.
      const showTrace = options.trace || !run.asExpected || named.has(run.model);
      out('');
      out(`${run.model}: ${violation.message}${run.asExpected ? ' (as this broken variant must)' : ''}`);
      if (violation.trace && showTrace) out(traceToText(violation.trace));
    }
    if (skipped.length > 0) {
      out('');
      out(`Not checked, too large to exhaust (use unanimous simulate): ${skipped.join(', ')}`);
    }
    out('');
    for (const line of summary(runs)) out(line);
    if (options.github) {
      for (const run of runs.filter((r) => !passes(r.judgement))) {
        const reason = reasonOf(run.judgement) ?? 'not as recorded';
        out(githubError(`${reason}${run.result.violation ? `\n${run.result.violation.message}` : ''}`, { file: relative(process.cwd(), modelFilePath(run.model)), title: `unanimous check ${run.model}` }));
      }
    }
  }
  return runs.every((run) => passes(run.judgement)) ? 0 : 1;
}

/**
 * A run as a JUnit test case: failed when it does not pass (the reason and, for a violation, its
 * counterexample as text), skipped when it is a bounded run that --allow-incomplete accepted
 * (nothing was proven about the states beyond the bound), passed otherwise.
 */
function junitCase(run: ModelRun): JUnitCase {
  const { result, judgement } = run;
  const parameters = Object.entries(run.parameters).map(([key, value]) => `${key}=${value}`).join(' ');
  const folder = run.model.includes('/') && !isModelFile(run.model) ? run.model.slice(0, run.model.lastIndexOf('/')) : 'models';
  const violation = result.violation;
  const details = violation ? `${violation.message}${violation.trace ? `\n\n${traceToText(violation.trace)}` : ''}` : '';
  const passed = passes(judgement);
  return {
    name: `${run.model}${parameters ? ` (${parameters})` : ''}`,
    classname: folder.replace(/\//g, '.'),
    seconds: result.seconds,
    properties: {
      verdict: result.verdict,
      distinct: result.distinct,
      generated: result.generated,
      depth: result.depth,
      ...(run.expected ? { recorded: run.expected.verdict === 'ok' ? (run.expected.distinct ?? 'ok') : `violation of ${run.expected.property ?? 'a property'}` } : {}),
    },
    ...(!passed ? { failure: { message: reasonOf(judgement) ?? 'not as recorded', type: judgement.kind === 'bounded' ? 'incomplete' : 'departure', details } } : {}),
    ...(passed && judgement.kind === 'bounded' ? { skipped: judgement.reason } : {}),
    ...(passed && violation ? { output: `the recorded violation, found: ${details}` } : {}),
  };
}

/** The closing lines: each run that is not as recorded with the reason, then the tally. */
function summary(runs: readonly ModelRun[]): string[] {
  const of = (n: number) => `${n} of ${runs.length} model${runs.length === 1 ? '' : 's'}`;
  const names = (some: readonly ModelRun[]) => some.map((run) => run.model).join(', ');
  const differs = runs.filter((run) => run.judgement.kind === 'differs');
  const bounded = runs.filter((run) => run.judgement.kind === 'bounded');
  const refused = bounded.filter((run) => !passes(run.judgement));
  const accepted = bounded.filter((run) => passes(run.judgement));
  if (differs.length === 0 && bounded.length === 0) {
    const unrecorded = runs.filter((run) => run.judgement.kind === 'unrecorded');
    if (unrecorded.length === 0) return [`${runs.length} model${runs.length === 1 ? '' : 's'} checked, every result as recorded.`];
    return [`${runs.length} model${runs.length === 1 ? '' : 's'} checked: every property holds in ${unrecorded.length === runs.length ? 'each' : `the ${unrecorded.length}`} with no recorded result (${names(unrecorded)})${unrecorded.length < runs.length ? ', the rest as recorded' : ''}.`];
  }
  const lines = [...differs, ...bounded].map((run) => `${run.model}: ${reasonOf(run.judgement)}`);
  lines.push('');
  if (differs.length > 0) lines.push(`${of(differs.length)} did not give the recorded result: ${names(differs)}`);
  if (refused.length > 0) {
    const allowable = refused.some((run) => run.expected?.verdict !== 'violation');
    lines.push(`${of(refused.length)} stopped at a bound, so not checked: ${names(refused)}${allowable ? ' (--allow-incomplete accepts a bounded run that finds nothing)' : ''}`);
  }
  if (accepted.length > 0) lines.push(`${of(accepted.length)} bounded, accepted by --allow-incomplete: no violation within the bound, nothing proven beyond it: ${names(accepted)}`);
  return lines;
}

function table(runs: readonly ModelRun[]): string {
  // `pruned`: the transitions partial-order reduction left out of `generated`; `-` where it did not run (--json says why).
  const header = ['model', 'parameters', 'result', 'distinct', 'generated', 'pruned', 'depth', 'time', 'states/s', 'recorded'];
  const rows = runs.map((run) => {
    const { result, expected } = run;
    const verdict =
      result.verdict === 'violation'
        ? `violation: ${result.violation!.property}`
        : result.verdict === 'incomplete'
          ? `incomplete (${result.limitHit})`
          : 'ok';
    const record = !expected ? '-' : expected.verdict === 'ok' ? (expected.distinct?.toLocaleString('en') ?? 'ok') : (expected.property ?? 'violation');
    // ✓ exactly as recorded; ✗ a departure; ? a bounded run, which shows the record neither true nor false.
    const mark = { recorded: '✓ ', unrecorded: '', differs: '✗ ', bounded: '? ' }[run.judgement.kind];
    return [
      run.model,
      Object.entries(run.parameters).map(([key, value]) => `${key}=${value}`).join(' ') || '-',
      verdict,
      result.distinct.toLocaleString('en'),
      result.generated.toLocaleString('en'),
      result.partialOrderReduction.applied ? result.partialOrderReduction.pruned.toLocaleString('en') : '-',
      String(result.depth),
      `${result.seconds.toFixed(2)} s`,
      Math.round(result.statesPerSecond).toLocaleString('en'),
      `${mark}${record}`,
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => [...row[i]!].length)));
  const numeric = new Set([3, 4, 5, 6, 7, 8]);
  const line = (cells: string[]) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}
