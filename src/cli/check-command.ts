import { check, ModelError, type CheckResult, type ExpectedResult, type Parameters } from '../checker/index.ts';
import { traceToText } from '../inspect/trace-text.ts';
import { buildModel, listModelNames, loadModel, resolveParameters } from './models.ts';
import { UsageError } from './usage-error.ts';

export interface CheckCommandOptions {
  readonly models: readonly string[];
  readonly parameters: Readonly<Record<string, number>>;
  readonly maxStates?: number;
  readonly maxDepth?: number;
  /** Use the models' symmetry sets (true unless --no-symmetry). */
  readonly symmetry: boolean;
  readonly json: boolean;
  readonly trace: boolean;
}

interface ModelRun {
  readonly model: string;
  readonly parameters: Parameters;
  readonly expected: ExpectedResult | undefined;
  readonly result: CheckResult;
  /** Whether the result is what the model records it should be. */
  readonly asExpected: boolean;
}

/**
 * `unanimous check`: checks the named models (all of them when none is named) and prints a table.
 * Exit status 0 when every result is what its model records (a deliberately broken variant records
 * the violation it must show), 1 otherwise, 2 for bad arguments or a bad model.
 */
export async function checkCommand(options: CheckCommandOptions, out: (line: string) => void, progress: (line: string) => void): Promise<number> {
  const names = options.models.length > 0 ? options.models : listModelNames();
  const loaded = await Promise.all(names.map(async (name) => ({ name, file: await loadModel(name) })));
  // Checking everything leaves out the models meant for simulation only; naming one checks it.
  const skipped = options.models.length > 0 ? [] : loaded.filter(({ file }) => file.simulationOnly).map(({ name }) => name);
  const files = loaded.filter(({ name }) => !skipped.includes(name));
  for (const key of Object.keys(options.parameters)) {
    const takers = files.filter(({ file }) => key in file.parameters);
    if (takers.length === 0 || (options.models.length > 0 && takers.length < files.length)) {
      const without = files.filter(({ file }) => !(key in file.parameters)).map(({ name }) => name);
      throw new UsageError(`--${key}: ${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no parameter "${key}"`);
    }
  }

  const runs: ModelRun[] = [];
  for (const { name, file } of files) {
    const given = Object.fromEntries(Object.entries(options.parameters).filter(([key]) => key in file.parameters));
    const parameters = resolveParameters(name, file, given);
    const built = buildModel(name, file, parameters);
    const model = options.symmetry ? built : { ...built, symmetry: [] };
    let result: CheckResult;
    try {
      result = check(model, {
        ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
        ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
        onProgress: (p) =>
          progress(`${name}: ${p.distinct.toLocaleString('en')} states, ${Math.round(p.statesPerSecond).toLocaleString('en')}/s, queue ${p.queued.toLocaleString('en')}, depth ${p.depth}, ${p.seconds.toFixed(0)} s`),
      });
    } catch (error) {
      if (error instanceof ModelError) throw new UsageError(`${name}: ${error.message}`);
      throw error;
    }
    const recorded = file.expected(parameters);
    // Without its symmetry sets a model has more states: hold it to the count recorded for that.
    const expected =
      recorded && !options.symmetry && built.symmetry?.length
        ? { verdict: recorded.verdict, ...(recorded.property ? { property: recorded.property } : {}), ...(recorded.distinctWithoutSymmetry !== undefined ? { distinct: recorded.distinctWithoutSymmetry } : {}) }
        : recorded;
    runs.push({ model: name, parameters, expected, result, asExpected: meetsExpectation(result, expected) });
  }

  if (options.json) {
    out(JSON.stringify(runs, null, 2));
  } else {
    out(table(runs));
    for (const run of runs) {
      const { violation } = run.result;
      if (!violation) continue;
      const showTrace = options.trace || !run.asExpected || options.models.length > 0;
      out('');
      out(`${run.model}: ${violation.message}${run.asExpected ? ' (as this broken variant must)' : ''}`);
      if (violation.trace && showTrace) out(traceToText(violation.trace));
    }
    const failed = runs.filter((run) => !run.asExpected);
    if (skipped.length > 0) {
      out('');
      out(`Not checked, too large to exhaust (use unanimous simulate): ${skipped.join(', ')}`);
    }
    out('');
    out(
      failed.length === 0
        ? `${runs.length} model${runs.length === 1 ? '' : 's'} checked, every result as recorded.`
        : `${failed.length} of ${runs.length} models did not give the recorded result: ${failed.map((run) => run.model).join(', ')}`,
    );
  }
  return runs.every((run) => run.asExpected) ? 0 : 1;
}

function meetsExpectation(result: CheckResult, expected: ExpectedResult | undefined): boolean {
  if (result.verdict === 'incomplete') return true;
  if (!expected) return result.verdict === 'ok';
  if (result.verdict !== expected.verdict) return false;
  if (expected.property !== undefined && result.violation?.property !== expected.property) return false;
  if (expected.distinct !== undefined && result.verdict === 'ok' && result.distinct !== expected.distinct) return false;
  return true;
}

function table(runs: readonly ModelRun[]): string {
  const header = ['model', 'parameters', 'result', 'distinct', 'generated', 'depth', 'time', 'states/s', 'recorded'];
  const rows = runs.map((run) => {
    const { result, expected } = run;
    const verdict =
      result.verdict === 'violation'
        ? `violation: ${result.violation!.property}`
        : result.verdict === 'incomplete'
          ? `incomplete (${result.limitHit})`
          : 'ok';
    const recorded = !expected
      ? '-'
      : run.asExpected
        ? `✓ ${expected.verdict === 'ok' ? (expected.distinct?.toLocaleString('en') ?? 'ok') : `${expected.property ?? 'violation'}`}`
        : `✗ ${expected.verdict}${expected.distinct !== undefined ? ` ${expected.distinct.toLocaleString('en')}` : ''}`;
    return [
      run.model,
      Object.entries(run.parameters).map(([key, value]) => `${key}=${value}`).join(' ') || '-',
      verdict,
      result.distinct.toLocaleString('en'),
      result.generated.toLocaleString('en'),
      String(result.depth),
      `${result.seconds.toFixed(2)} s`,
      Math.round(result.statesPerSecond).toLocaleString('en'),
      recorded,
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => [...row[i]!].length)));
  const numeric = new Set([3, 4, 5, 6, 7]);
  const line = (cells: string[]) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}
