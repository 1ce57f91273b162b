import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CHART_FORMATS, chartCommand, type ChartFormat } from './chart-command.ts';
import { checkCommand } from './check-command.ts';
import { exploreCommand } from './explore-command.ts';
import { KV_ACTIONS, type KvAction, kvCommand } from './kv-command.ts';
import { listModelNames, loadModel } from './models.ts';
import { nodeCommand } from './node-command.ts';
import { serveCommand } from './serve-command.ts';
import { clockSeed, simulateCommand } from './simulate-command.ts';
import { recordedTraceCommand } from './recorded-trace-command.ts';
import { TRACE_FORMATS, traceCommand, type TraceFormat } from './trace-command.ts';
import { UsageError } from './usage-error.ts';

const HELP = `unanimous — distributed transactions and consensus as checked XState machines

usage:
  unanimous check [model ...] [options]   model-check the named models (all when none is named);
                                          a model is a name from "unanimous list" or a path to a .ts file
  unanimous simulate <model> [options]    seeded random walks through one model, for models too large
                                          to check exhaustively; a failing walk is shrunk and replayable
  unanimous explore <model> [options]     a web page on 127.0.0.1 to step through the model's states
                                          by hand and to replay a counterexample trace
  unanimous list                          list the models and their parameters
  unanimous chart [protocol/machine]      a machine's statechart (--format mermaid|dot|json|svg);
                                          with no machine, the list; --write DIR writes them all
  unanimous trace <file.json> [options]   render a counterexample saved by check --json or
                                          simulate --json (or a bare trace)
  unanimous trace validate <file.jsonl ...> --model M
                                          replay hosts' step traces against a model: is every
                                          step one the model allows? (exit 0 yes, 1 no)
  unanimous trace <file.jsonl ...> --model M [--format F]
                                          render hosts' step traces as a run of the model
  unanimous serve [options]               a local key-value cluster: node processes on 127.0.0.1,
                                          data under a folder; prints the endpoints; Ctrl-C stops it
  unanimous node --config FILE            one node of the key-value service (for a multi-host cluster)
  unanimous kv get|put|del|txn|status ... a request to the key-value service (--endpoint URL)
  unanimous help                          this text

check options:
  --rms N            number of resource managers (models with an "rms" parameter)
  --param NAME=N     set any model parameter (repeatable)
  --max-states N     stop after N distinct states (result: incomplete)
  --max-depth N      do not explore beyond N steps from the initial state
  --max-seconds S    stop after about S seconds
  --allow-incomplete a run stopped by a bound that found no violation exits 0 (still never
                     "as recorded"; a broken variant whose violation was not found exits 1)
  --no-symmetry      explore every state, ignoring the model's symmetry sets
  --json             print the results, counterexample traces included, as JSON
  --trace            print the trace of every violation, expected ones too

simulate options (and --rms, --param, --json as for check):
  --seed S           the seed of the walks (default: from the clock; always printed)
  --walks N          random walks to run (default 1000)
  --depth D          the most steps in a walk (default 100)
  --path P           replay one failing walk: the path printed with it, with its seed and depth
  simulate exits 0 when the walks found the violation the model records, or none in a model that
  records none; 1 for a violation not recorded (with its trace and the command that replays it)
  or a recorded one no walk found; 2 on bad arguments or a bad model.

explore options (and --rms, --param as for check):
  --port P           the port to serve on (default 0: a free one; the URL is printed)
  --trace FILE       open on a trace: a Trace, the output of check --json or simulate --json,
                     or a run hosts recorded (a JSON-lines step trace of one or more nodes)

trace options:
  --format F         text (the steps and a table of every node's state, default), mermaid (a
                     sequenceDiagram), html (one offline page: sequence diagram and table) or
                     json (the bare trace, taken out of a check or simulate output)
  --out FILE         write to FILE instead of stdout
  --violation N      the Nth counterexample of a file holding several (default: the first)
  --model M          for step traces (JSON lines a NodeHost writes with its trace option): the
                     model whose machines, peers, timers and spontaneous events the steps must
                     fit (with --param, --rms as for check); --json gives validate's verdict as JSON

serve options:
  --nodes N          node processes (default 3)
  --shards N         shards, each a Raft group of 3 replicas (fewer with fewer nodes; default 3)
  --data DIR         the data folder (default: a fresh temp folder)
  --port P           node i serves HTTP on P+i and Raft on P+N+i (default 0: free ports)

node options:
  --config FILE      the node's JSON configuration: self, dataDir, clusterSecret (the same on
                     every node), nodes (id, host, raftPort, httpPort), shards (id, replicas),
                     virtualNodes
  --stop-on-stdin-close   stop when standard input closes (how serve ties its nodes to itself)

kv:
  unanimous kv get <key> --endpoint URL       GET /kv/<key> (linearizable: through the shard's log)
  unanimous kv put <key> <value> --endpoint URL
  unanimous kv del <key> --endpoint URL
  unanimous kv txn '<json>'|@file|- --endpoint URL
                     {"compare":[{"key":"a","value":"x"}|{"key":"a","revision":3,"op":"=="}|
                     {"key":"a","exists":false}], "ops":[{"op":"get|put|delete","key":"a","value":"y"}]}
  unanimous kv status --endpoint URL
  The endpoint is any node's (UNANIMOUS_ENDPOINT by default); kv exits 0 on a 2xx answer, 1 otherwise.

exit status: 0 every result as its model records it, 1 a violation or a result that differs
from the record or a run stopped by a bound, 2 bad arguments or a bad model.`;

export async function main(argv: readonly string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const [command = 'help', ...rest] = argv;
    switch (command) {
      case 'check':
        return await runCheck(rest, out, progress);
      case 'simulate':
        return await runSimulate(rest, out, progress);
      case 'chart':
        return await runChart(rest, out);
      case 'trace':
        return await runTrace(rest, out, progress);
      case 'explore':
        return await runExplore(rest, out);
      case 'serve':
        return await runServe(rest, out, progress);
      case 'node':
        return await runNode(rest, out);
      case 'kv':
        return await runKv(rest, out, progress);
      case 'list':
        noArguments('list', rest);
        return await runList(out);
      case 'help':
      case '--help':
      case '-h':
        out(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"; try "unanimous help"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`unanimous: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The options every command that runs a model takes. */
const MODEL_OPTIONS = {
  rms: { type: 'string' },
  param: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

async function runCheck(args: readonly string[], out: (line: string) => void, progress: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    ...MODEL_OPTIONS,
    'max-states': { type: 'string' },
    'max-depth': { type: 'string' },
    'max-seconds': { type: 'string' },
    'allow-incomplete': { type: 'boolean' },
    'no-symmetry': { type: 'boolean' },
    trace: { type: 'boolean' },
  });
  const parameters = modelParameters(values.param, values.rms);
  return checkCommand(
    {
      models: positionals,
      parameters,
      ...(values['max-states'] !== undefined ? { maxStates: wholeNumber('--max-states', values['max-states'], 1) } : {}),
      ...(values['max-depth'] !== undefined ? { maxDepth: wholeNumber('--max-depth', values['max-depth'], 1) } : {}),
      ...(values['max-seconds'] !== undefined ? { maxSeconds: wholeNumber('--max-seconds', values['max-seconds'], 1) } : {}),
      allowIncomplete: values['allow-incomplete'] === true,
      symmetry: values['no-symmetry'] !== true,
      json: values.json === true,
      trace: values.trace === true,
    },
    out,
    progress,
  );
}

async function runSimulate(args: readonly string[], out: (line: string) => void, progress: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    ...MODEL_OPTIONS,
    seed: { type: 'string' },
    walks: { type: 'string' },
    depth: { type: 'string' },
    path: { type: 'string' },
  });
  if (positionals.length !== 1) {
    throw new UsageError(`simulate takes one model, ${positionals.length === 0 ? 'got none' : `got ${positionals.length}: ${positionals.join(' ')}`}`);
  }
  const parameters = modelParameters(values.param, values.rms);
  if (values.path !== undefined && !/^\d+(:\d+)*$/.test(values.path)) throw new UsageError(`--path takes numbers separated by ":", not "${values.path}"`);
  return simulateCommand(
    {
      model: positionals[0]!,
      parameters,
      seed: values.seed !== undefined ? wholeNumber('--seed', values.seed) : clockSeed(),
      walks: values.walks !== undefined ? wholeNumber('--walks', values.walks, 1) : 1000,
      depth: values.depth !== undefined ? wholeNumber('--depth', values.depth, 1) : 100,
      ...(values.path !== undefined ? { path: values.path } : {}),
      json: values.json === true,
    },
    out,
    progress,
  );
}

async function runExplore(args: readonly string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, { rms: MODEL_OPTIONS.rms, param: MODEL_OPTIONS.param, port: { type: 'string' }, trace: { type: 'string' } });
  if (positionals.length !== 1) {
    throw new UsageError(`explore takes one model, ${positionals.length === 0 ? 'got none' : `got ${positionals.length}: ${positionals.join(' ')}`}`);
  }
  const port = values.port !== undefined ? wholeNumber('--port', values.port) : 0;
  if (port > 65535) throw new UsageError(`--port takes a port number up to 65535, not ${port}`);
  return exploreCommand(
    { model: positionals[0]!, parameters: modelParameters(values.param, values.rms), port, ...(values.trace !== undefined ? { trace: values.trace } : {}) },
    out,
  );
}

async function runChart(args: readonly string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, { format: { type: 'string', default: 'mermaid' }, write: { type: 'string' } });
  const format = values.format as ChartFormat;
  if (!CHART_FORMATS.includes(format)) throw new UsageError(`--format takes ${CHART_FORMATS.join(', ')}, not "${values.format}"`);
  if (positionals.length > 1) throw new UsageError(`chart takes one machine, got ${positionals.length}: ${positionals.join(' ')}`);
  if (positionals.length === 1 && values.write !== undefined) throw new UsageError('chart: name a machine or --write DIR, not both');
  return chartCommand({ format, ...(positionals[0] !== undefined ? { machine: positionals[0] } : {}), ...(values.write !== undefined ? { write: values.write } : {}) }, out);
}

async function runTrace(args: readonly string[], out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, { ...MODEL_OPTIONS, format: { type: 'string' }, out: { type: 'string' }, violation: { type: 'string' }, model: { type: 'string' } });
  const format = values.format as TraceFormat | undefined;
  if (format !== undefined && !TRACE_FORMATS.includes(format)) throw new UsageError(`--format takes ${TRACE_FORMATS.join(', ')}, not "${values.format}"`);
  const validating = positionals[0] === 'validate';
  if (validating || values.model !== undefined) {
    // A production step trace (JSON lines from hosts), replayed against a model.
    const files = validating ? positionals.slice(1) : positionals;
    if (values.model === undefined) throw new UsageError('trace validate needs the model to replay the steps against: --model NAME');
    if (files.length === 0) throw new UsageError('name the step-trace files (JSON lines written by the hosts)');
    if (validating && format !== undefined) throw new UsageError('trace validate prints a verdict; render the run with "trace <files> --model M --format F"');
    return recordedTraceCommand(
      {
        files,
        model: values.model,
        parameters: modelParameters(values.param, values.rms),
        ...(validating ? {} : { format: format ?? 'text' }),
        ...(values.out !== undefined ? { out: values.out } : {}),
        json: values.json === true,
      },
      out,
      note,
    );
  }
  if (positionals.length !== 1) throw new UsageError(`trace takes one file, ${positionals.length === 0 ? 'got none' : `got ${positionals.length}: ${positionals.join(' ')}`}`);
  return traceCommand(
    {
      file: positionals[0]!,
      format: format ?? 'text',
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(values.violation !== undefined ? { violation: wholeNumber('--violation', values.violation, 1) } : {}),
    },
    out,
    note,
  );
}

async function runServe(args: readonly string[], out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const { values } = parseCommand(args, { nodes: { type: 'string' }, shards: { type: 'string' }, data: { type: 'string' }, port: { type: 'string' } }, false);
  const nodes = values.nodes !== undefined ? wholeNumber('--nodes', values.nodes, 1) : 3;
  const shards = values.shards !== undefined ? wholeNumber('--shards', values.shards, 1) : 3;
  if (nodes > 64) throw new UsageError(`--nodes takes at most 64, not ${nodes}`);
  if (shards > 256) throw new UsageError(`--shards takes at most 256, not ${shards}`);
  const port = values.port !== undefined ? wholeNumber('--port', values.port) : 0;
  if (port + 2 * nodes > 65536) throw new UsageError(`--port ${port}: node ports would pass 65535`);
  return serveCommand({ nodes, shards, port, ...(values.data !== undefined ? { data: values.data } : {}) }, out, note);
}

async function runNode(args: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommand(args, { config: { type: 'string' }, 'stop-on-stdin-close': { type: 'boolean' } }, false);
  if (values.config === undefined) throw new UsageError('node needs --config FILE');
  return nodeCommand({ config: values.config, stopOnStdinClose: values['stop-on-stdin-close'] === true }, out);
}

async function runKv(args: readonly string[], out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, { endpoint: { type: 'string' } });
  const [action, ...rest] = positionals;
  if (action === undefined || !KV_ACTIONS.includes(action as KvAction)) throw new UsageError(`kv takes one of ${KV_ACTIONS.join(', ')}${action ? `, not "${action}"` : ''}`);
  const endpoint = values.endpoint ?? process.env.UNANIMOUS_ENDPOINT;
  if (endpoint === undefined) throw new UsageError('kv needs --endpoint URL (any node\'s HTTP endpoint), or UNANIMOUS_ENDPOINT');
  return kvCommand({ action: action as KvAction, args: rest, endpoint }, out, note);
}

/** Lists every model; one that cannot be loaded is named with the reason, and the rest still listed. */
async function runList(out: (line: string) => void): Promise<number> {
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
    const parameters = Object.entries(file.parameters)
      .map(([key, p]) => `--${key} ${p.min}..${p.max} (default ${p.default}: ${p.description})`)
      .join(', ');
    out(`${name.padEnd(34)} ${file.simulationOnly ? '(simulation only) ' : ''}${file.description}${parameters ? `\n${' '.repeat(35)}${parameters}` : ''}`);
  }
  return status;
}

/** Model parameters from `--param NAME=N` (repeatable) and the `--rms N` shorthand. */
function modelParameters(assignments: readonly string[] | undefined, rms: string | undefined): Record<string, number> {
  const parameters: Record<string, number> = {};
  for (const assignment of assignments ?? []) {
    const match = /^([A-Za-z][\w-]*)=(.+)$/.exec(assignment);
    if (!match) throw new UsageError(`--param takes NAME=N, not "${assignment}"`);
    parameters[match[1]!] = wholeNumber(`--param ${match[1]}`, match[2]!);
  }
  if (rms !== undefined) parameters.rms = wholeNumber('--rms', rms);
  return parameters;
}

/** A command's arguments parsed strictly by `options`, its complaints turned into usage errors. */
function parseCommand<const O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: [...args], allowPositionals, strict: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function noArguments(command: string, args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`${command} takes no arguments, got "${args.join(' ')}"`);
}

function wholeNumber(flag: string, text: string, min = 0): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} takes a whole number${min > 0 ? ` >= ${min}` : ''}, not "${text}"`);
  }
  return value;
}
