import { judge, ModelError, type ModelFile, type Parameters, passes, reasonOf, simulate, type SimulationResult, type SimulationViolation } from '../checker/index.ts';
import { traceToText } from '../inspect/index.ts';
import { openModel } from './models.ts';
import { duration, type ProgressMeter } from './progress-meter.ts';
import { UsageError } from './usage-error.ts';

export interface SimulateCommandOptions {
  /** A model name from `unanimous list`, or a path to a model file. */
  readonly model: string;
  readonly parameters: Readonly<Record<string, number>>;
  readonly seed: number;
  readonly walks: number;
  readonly depth: number;
  /** Replay one failing walk: the path printed with it. */
  readonly path?: string;
  readonly json: boolean;
}

/** What `--json` prints: the run, and on a violation the command that replays it. */
export interface SimulateReport {
  readonly model: string;
  readonly parameters: Parameters;
  readonly result: Omit<SimulationResult, 'violation'> & { readonly violation?: SimulationViolation & { readonly replay: string } };
}

/** A seed from the clock, for runs given none; it is always printed, so the run can be replayed. */
export const clockSeed = (): number => Date.now() % 2 ** 31;

/**
 * `unanimous simulate`: seeded random walks through one model (see src/checker/simulate.ts).
 * The exit status follows check's rule (src/checker/judgement.ts), a simulation being a bounded
 * run by nature: 0 when the walks found the violation the model records, or found none in a model
 * that records none; 1 for a violation the model does not record, or a recorded one no walk found;
 * 2 for bad arguments or a bad model.
 */
export async function simulateCommand(options: SimulateCommandOptions, out: (line: string) => void, progress: ProgressMeter): Promise<number> {
  const { model: name } = options;
  const { file, parameters, model } = await openModel(name, options.parameters);

  let result: SimulationResult;
  try {
    result = simulate(model, {
      seed: options.seed,
      walks: options.walks,
      depth: options.depth,
      ...(options.path !== undefined ? { path: options.path } : {}),
      progressEveryMs: progress.everyMs,
      onProgress: (p) => {
        // Walks past the count asked for are fast-check shrinking a failure: no estimate then.
        const left = p.walks > 0 && p.walks < options.walks ? ((options.walks - p.walks) * p.seconds) / p.walks : undefined;
        progress.show(
          `${name}: ${count(p.walks)} of ${count(options.walks)} walks, ${count(p.steps)} steps, ${count(Math.round(p.stepsPerSecond))}/s, ${duration(p.seconds)}${left !== undefined ? `, about ${duration(left)} left` : ''}`,
        );
      },
    });
  } catch (error) {
    if (error instanceof ModelError) throw new UsageError(`${name}: ${error.message}`);
    if (options.path !== undefined && /Unable to replay/.test((error as Error).message)) {
      throw new UsageError(`--path ${options.path} is not a walk of this run: replay with the seed, depth and parameters printed with it`);
    }
    throw error;
  } finally {
    progress.end();
  }

  const expected = file.expected(parameters);
  const judgement = judge(result, expected, { allowBounded: true, exhaustive: false });
  const status = passes(judgement) ? 0 : 1;
  const replay = result.violation ? replayCommand(name, file, parameters, result.seed, result.depth, result.violation.path) : undefined;
  if (options.json) {
    const { violation, ...rest } = result;
    const report: SimulateReport = {
      model: name,
      parameters,
      result: { ...rest, ...(violation ? { violation: { ...violation, replay: replay! } } : {}) },
    };
    out(JSON.stringify(report, null, 2));
    return status;
  }

  const shown = Object.entries(parameters).map(([key, value]) => `${key}=${value}`).join(' ');
  out(
    options.path !== undefined
      ? `${name}${shown ? ` ${shown}` : ''}: replaying walk ${options.path} of seed ${result.seed}, at most ${count(result.depth)} steps`
      : `${name}${shown ? ` ${shown}` : ''}: seed ${result.seed}, ${count(options.walks)} walks of at most ${count(result.depth)} steps`,
  );
  out(
    `${count(result.walks)} walk${result.walks === 1 ? '' : 's'}, ${count(result.steps)} steps in ${result.seconds.toFixed(2)} s ` +
      `(${count(Math.round(result.stepsPerSecond))} steps/s), ${count(result.distinct)} distinct states, longest walk ${result.longest} steps`,
  );
  if (result.goals.length > 0) {
    const reached = result.goals.filter((goal) => goal.reached).map((goal) => goal.name);
    const missed = result.goals.filter((goal) => !goal.reached).map((goal) => goal.name);
    out(
      `goals: ${[
        ...(reached.length > 0 ? [`reached ${reached.join(', ')}`] : []),
        ...(missed.length > 0 ? [`not reached ${missed.join(', ')} (simulation cannot show a goal unreachable)`] : []),
      ].join('; ')}`,
    );
  }
  const { violation } = result;
  if (!violation) {
    // Random walks are finite: they check no liveness property (unanimous check does, on the graph).
    const checked = model.properties.filter((p) => p.kind !== 'sometimes' && p.kind !== 'eventually' && p.kind !== 'leadsTo').map((p) => p.name);
    out(`ok: no walk broke ${checked.length > 0 ? checked.join(', ') : 'anything (the model has no invariants or refinements)'}`);
    if (status !== 0) out(`not as recorded: ${reasonOf(judgement)}`);
    return status;
  }
  const recorded = judgement.kind === 'recorded';
  const steps = violation.trace.steps.length;
  out('');
  out(`violation: ${violation.message}${recorded ? ' (as this broken variant records)' : ''}`);
  out(`  found by walk ${count(violation.foundByWalk)}, shrunk ${violation.shrinks} time${violation.shrinks === 1 ? '' : 's'} to ${steps} step${steps === 1 ? '' : 's'}:`);
  out(traceToText(violation.trace));
  out('');
  out(`replay: ${replay}`);
  if (!recorded) out(`not as recorded: ${reasonOf(judgement)}`);
  return status;
}

/** The command line that replays exactly this violation. */
function replayCommand(name: string, file: ModelFile, parameters: Parameters, seed: number, depth: number, path: string): string {
  const words = ['unanimous', 'simulate', name];
  for (const [key, value] of Object.entries(parameters)) {
    if (!(key in file.parameters)) continue;
    words.push(...(key === 'rms' ? ['--rms', String(value)] : ['--param', `${key}=${value}`]));
  }
  words.push('--seed', String(seed), '--depth', String(depth), '--path', path);
  return words.map(shellWord).join(' ');
}

const shellWord = (word: string): string => (/^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

const count = (n: number): string => n.toLocaleString('en');
