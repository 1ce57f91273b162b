import { CHART_FORMATS, chartCommand, type ChartFormat } from './chart-command.ts';
import { checkCommand } from './check-command.ts';
import { COMMANDS, commandNamed } from './command-specs.ts';
import { exploreCommand } from './explore-command.ts';
import { commandHelp, generalHelp } from './help.ts';
import { initCommand } from './init-command.ts';
import { KV_ACTIONS, type KvAction, kvCommand } from './kv-command.ts';
import { listModelNames, loadModel } from './models.ts';
import { nodeCommand } from './node-command.ts';
import { type ParsedCommand, parseCommand } from './parse-command.ts';
import { progressMeter } from './progress-meter.ts';
import { recordedTraceCommand } from './recorded-trace-command.ts';
import { serveCommand } from './serve-command.ts';
import { clockSeed, simulateCommand } from './simulate-command.ts';
import { didYouMean } from './suggest.ts';
import { TRACE_FORMATS, traceCommand, type TraceFormat } from './trace-command.ts';
import { UsageError } from './usage-error.ts';

type Out = (line: string) => void;

/**
 * The `unanimous` command line. Every command's flags are declared once, in command-specs.ts,
 * which both the parser and the help read. Exit status: 0 as recorded (or done), 1 a departure
 * from the record or an unchecked bound (each command's help says what that means for it), 2 bad
 * input — arguments, a model, a file.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const out: Out = (line) => process.stdout.write(`${line}\n`);
  const progress: Out = (line) => process.stderr.write(`${line}\n`);
  stopQuietlyWhenStdoutCloses();
  try {
    const [name = 'help', ...rest] = argv;
    if (name === '--help' || name === '-h') return help([], out);
    const command = commandNamed(name);
    if (!command) throw new UsageError(`unknown command "${name}"${didYouMean(name, COMMANDS.map((c) => c.name))} ("unanimous help" lists them)`);
    if (command.name === 'help') return help(rest, out);
    const parsed = parseCommand(command, rest);
    if (parsed.help) {
      out(commandHelp(command));
      return 0;
    }
    switch (command.name) {
      case 'check':
        return await runCheck(parsed, out);
      case 'simulate':
        return await runSimulate(parsed, out);
      case 'explore':
        return await runExplore(parsed, out);
      case 'list':
        return await runList(out);
      case 'chart':
        return await runChart(parsed, out);
      case 'trace':
        return await runTrace(parsed, out, progress);
      case 'serve':
        return await runServe(parsed, out, progress);
      case 'node':
        return await runNode(parsed, out);
      case 'kv':
        return await runKv(parsed, out, progress);
      case 'init': {
        if (parsed.positionals.length !== 1) throw new UsageError('init takes one folder: unanimous init <dir>');
        return initCommand({ dir: parsed.positionals[0]! }, out);
      }
      case 'nemesis': {
        const { values } = parsed;
        const number = (name: string, fallback: number, min: number, max: number) => {
          const value = wholeNumberFlag(values, name, min) ?? fallback;
          if (value > max) throw new UsageError(`--${name} takes at most ${max}, not ${value}`);
          return value;
        };
        // Loaded only here: the nemesis layer is for this command and the tests alone.
        const { nemesisCommand } = await import('./nemesis-command.ts');
        return await nemesisCommand(
          {
            workload: textFlag(values, 'workload') ?? 'all',
            seconds: number('seconds', 60, 1, 86_400),
            seed: number('seed', 1, 0, 2 ** 32 - 1),
            faults: textFlag(values, 'faults') ?? 'kill,pause,partition,loss,delay,duplicate,slow-fsync',
            nodes: number('nodes', 3, 1, 9),
            shards: number('shards', 3, 1, 64),
            clients: number('clients', 5, 1, 256),
            json: values.json === true,
            ...optional('data', textFlag(values, 'data')),
          },
          out,
          progress,
        );
      }
      default:
        throw new Error(`internal error: no handler for the command "${command.name}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`unanimous: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `unanimous help [command]`. */
function help(args: readonly string[], out: Out): number {
  if (args.length === 0) {
    out(generalHelp());
    return 0;
  }
  const command = args.length === 1 ? commandNamed(args[0] === '--help' || args[0] === '-h' ? 'help' : args[0]!) : undefined;
  if (!command) {
    const unknown = args.length === 1 ? `; there is no command "${args[0]}"${didYouMean(args[0]!, COMMANDS.map((c) => c.name))}` : '';
    throw new UsageError(`help takes one command${unknown} ("unanimous help" lists them)`);
  }
  out(commandHelp(command));
  return 0;
}

/**
 * A reader that stops early (`unanimous list | head`) closes stdout, and the next write fails
 * with EPIPE. That is the reader's choice, not a failure: stop at once, quietly.
 */
function stopQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}

async function runCheck({ values, positionals }: ParsedCommand, out: Out): Promise<number> {
  return checkCommand(
    {
      models: positionals,
      parameters: modelParameters(values),
      ...optional('maxStates', wholeNumberFlag(values, 'max-states', 1)),
      ...optional('maxDepth', wholeNumberFlag(values, 'max-depth', 1)),
      ...optional('maxSeconds', wholeNumberFlag(values, 'max-seconds', 1)),
      // One until parallel runs measure faster than one here (see parallel-explore.ts); os.availableParallelism() then.
      workers: wholeNumberFlag(values, 'workers', 1) ?? 1,
      allowIncomplete: values['allow-incomplete'] === true,
      symmetry: values['no-symmetry'] !== true,
      partialOrderReduction: values['no-por'] !== true,
      json: values.json === true,
      trace: values.trace === true,
      ...optional('junit', textFlag(values, 'junit')),
      github: values.github === true,
    },
    out,
    progressMeter(process.stderr),
  );
}

async function runSimulate({ values, positionals }: ParsedCommand, out: Out): Promise<number> {
  const model = oneModel('simulate', positionals);
  const path = textFlag(values, 'path');
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) throw new UsageError(`--path takes numbers separated by ":", not "${path}"`);
  return simulateCommand(
    {
      model,
      parameters: modelParameters(values),
      seed: wholeNumberFlag(values, 'seed') ?? clockSeed(),
      walks: wholeNumberFlag(values, 'walks', 1) ?? 1000,
      depth: wholeNumberFlag(values, 'depth', 1) ?? 100,
      ...optional('path', path),
      json: values.json === true,
    },
    out,
    progressMeter(process.stderr),
  );
}

async function runExplore({ values, positionals }: ParsedCommand, out: Out): Promise<number> {
  const model = oneModel('explore', positionals);
  const port = wholeNumberFlag(values, 'port') ?? 0;
  if (port > 65535) throw new UsageError(`--port takes a port number up to 65535, not ${port}`);
  return exploreCommand({ model, parameters: modelParameters(values), port, ...optional('trace', textFlag(values, 'trace')) }, out);
}

async function runChart({ values, positionals }: ParsedCommand, out: Out): Promise<number> {
  const format = (textFlag(values, 'format') ?? 'mermaid') as ChartFormat;
  if (!CHART_FORMATS.includes(format)) throw new UsageError(`--format takes ${CHART_FORMATS.join(', ')}, not "${format}"`);
  if (positionals.length > 1) throw new UsageError(`chart takes one machine or model, got ${positionals.length}: ${positionals.join(' ')}`);
  return chartCommand({ format, parameters: modelParameters(values), ...optional('subject', positionals[0]), ...optional('write', textFlag(values, 'write')) }, out);
}

async function runTrace({ values, positionals }: ParsedCommand, out: Out, note: Out): Promise<number> {
  const format = textFlag(values, 'format') as TraceFormat | undefined;
  if (format !== undefined && !TRACE_FORMATS.includes(format)) throw new UsageError(`--format takes ${TRACE_FORMATS.join(', ')}, not "${format}"`);
  const model = textFlag(values, 'model');
  const validating = positionals[0] === 'validate';
  if (validating || model !== undefined) {
    // A production step trace (JSON lines from hosts), replayed against a model.
    const files = validating ? positionals.slice(1) : positionals;
    if (model === undefined) throw new UsageError('trace validate needs the model to replay the steps against: --model NAME');
    if (files.length === 0) throw new UsageError('name the step-trace files (JSON lines written by the hosts)');
    if (validating && format !== undefined) throw new UsageError('trace validate prints a verdict; render the run with "trace <files> --model M --format F"');
    return recordedTraceCommand(
      {
        files,
        model,
        parameters: modelParameters(values),
        ...(validating ? {} : { format: format ?? 'text' }),
        ...optional('out', textFlag(values, 'out')),
        json: values.json === true,
      },
      out,
      note,
    );
  }
  if (positionals.length !== 1) throw new UsageError(`trace takes one file, ${positionals.length === 0 ? 'got none' : `got ${positionals.length}: ${positionals.join(' ')}`}`);
  return traceCommand(
    { file: positionals[0]!, format: format ?? 'text', ...optional('out', textFlag(values, 'out')), ...optional('violation', wholeNumberFlag(values, 'violation', 1)) },
    out,
    note,
  );
}

async function runServe({ values }: ParsedCommand, out: Out, note: Out): Promise<number> {
  const nodes = wholeNumberFlag(values, 'nodes', 1) ?? 3;
  const shards = wholeNumberFlag(values, 'shards', 1) ?? 3;
  if (nodes > 64) throw new UsageError(`--nodes takes at most 64, not ${nodes}`);
  if (shards > 256) throw new UsageError(`--shards takes at most 256, not ${shards}`);
  const port = wholeNumberFlag(values, 'port') ?? 0;
  if (port + 2 * nodes > 65536) throw new UsageError(`--port ${port}: node ports would pass 65535`);
  const token = textFlag(values, 'token') ?? (process.env.UNANIMOUS_TOKEN || undefined);
  return serveCommand({ nodes, shards, port, tls: values.tls === true, ...optional('data', textFlag(values, 'data')), ...optional('token', token) }, out, note);
}

async function runNode({ values }: ParsedCommand, out: Out): Promise<number> {
  const config = textFlag(values, 'config');
  if (config === undefined) throw new UsageError('node needs --config FILE (unanimous node --help)');
  return nodeCommand({ config, stopOnStdinClose: values['stop-on-stdin-close'] === true }, out);
}

async function runKv({ values, positionals }: ParsedCommand, out: Out, note: Out): Promise<number> {
  const [action, ...rest] = positionals;
  if (action === undefined || !KV_ACTIONS.includes(action as KvAction)) {
    throw new UsageError(`kv takes one of ${KV_ACTIONS.join(', ')}${action ? `, not "${action}"${didYouMean(action, KV_ACTIONS)}` : ''}`);
  }
  const endpoint = textFlag(values, 'endpoint') ?? process.env.UNANIMOUS_ENDPOINT;
  if (endpoint === undefined) throw new UsageError("kv needs --endpoint URL (any node's HTTP endpoint), or UNANIMOUS_ENDPOINT");
  const security = { ...optional('ca', textFlag(values, 'ca') ?? (process.env.UNANIMOUS_CA || undefined)), ...optional('token', textFlag(values, 'token') ?? (process.env.UNANIMOUS_TOKEN || undefined)) };
  return kvCommand({ action: action as KvAction, args: rest, endpoint, ...security }, out, note);
}

/**
 * Lists every model with its parameters in the form the commands take them (`--param NAME=N`);
 * one that cannot be loaded is named with the reason, and the rest still listed.
 */
async function runList(out: Out): Promise<number> {
  let status = 0;
  for (const name of listModelNames()) {
    let file;
    try {
      file = await loadModel(name);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`unanimous: ${error.message}\n`);
      status = 2;
      continue;
    }
    out(`${name}${file.simulationOnly ? '  (simulation only)' : ''}`);
    out(`    ${file.description}`);
    for (const [key, p] of Object.entries(file.parameters)) out(`    --param ${key}=${p.min}..${p.max}  ${p.description} (default ${p.default})`);
  }
  return status;
}

function oneModel(command: string, positionals: readonly string[]): string {
  if (positionals.length === 1) return positionals[0]!;
  throw new UsageError(`${command} takes one model, ${positionals.length === 0 ? 'got none' : `got ${positionals.length}: ${positionals.join(' ')}`}`);
}

/** Model parameters from `--param NAME=N` (repeatable) and the `--rms N` shorthand. */
function modelParameters(values: ParsedCommand['values']): Record<string, number> {
  const parameters: Record<string, number> = {};
  for (const assignment of (values.param as string[] | undefined) ?? []) {
    const match = /^([A-Za-z][\w-]*)=(.+)$/.exec(assignment);
    if (!match) throw new UsageError(`--param takes NAME=N, not "${assignment}"`);
    parameters[match[1]!] = wholeNumber(`--param ${match[1]}`, match[2]!);
  }
  const rms = textFlag(values, 'rms');
  if (rms !== undefined) parameters.rms = wholeNumber('--rms', rms);
  return parameters;
}

const textFlag = (values: ParsedCommand['values'], name: string): string | undefined => values[name] as string | undefined;

function wholeNumberFlag(values: ParsedCommand['values'], name: string, min = 0): number | undefined {
  const text = textFlag(values, name);
  return text === undefined ? undefined : wholeNumber(`--${name}`, text, min);
}

function wholeNumber(flag: string, text: string, min = 0): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} takes a whole number${min > 0 ? ` >= ${min}` : ''}, not "${text}"`);
  }
  return value;
}

/** `{ [key]: value }` when the value is there, `{}` when not (for exactOptionalPropertyTypes-style options). */
const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));
