/**
 * What each `unanimous` command takes: its usage lines, a description, and every flag with its
 * meaning and default. The parser (parse-command.ts) and the help (help.ts) both read these, so
 * the help cannot drift from what a command accepts.
 */

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in the help (`N`, `FILE`); string flags only. */
  readonly value?: string;
  readonly description: string;
  /** The default, as the help shows it. */
  readonly default?: string;
  readonly multiple?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** The usage lines, without the leading `unanimous `. */
  readonly usage: readonly string[];
  /** What the command does, in a few lines. */
  readonly description: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Whether the command takes positional arguments. */
  readonly positionals: boolean;
  readonly exitStatus: string;
}

const PARAMETER_FLAGS = {
  param: { type: 'string', value: 'NAME=N', multiple: true, description: 'set a model parameter (repeatable); "unanimous list" shows each model\'s parameters and ranges' },
  rms: { type: 'string', value: 'N', description: 'shorthand for --param rms=N (resource managers)' },
} as const satisfies Record<string, FlagSpec>;

const MODEL_RULE = 'exit status: 0 every result as its model records it; 1 a violation, a result that differs from the record, or a run stopped by a bound; 2 bad arguments or a bad model.';

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'check',
    summary: 'model-check models exhaustively and compare each result with its record',
    usage: ['check [model|folder|file.ts ...] [options]'],
    description: [
      'Explores every reachable state of each model breadth-first and checks its properties on every',
      'state (and its refinements on every step). With no model named, checks every model in models/',
      'but the simulation-only ones; a folder (two-phase) checks the models under it; a .ts path checks',
      'a model file of your own. Depth counts states, as TLC does: the initial state is depth 1, and a',
      'counterexample of 5 steps ends at depth 6. A run stopped by a bound is incomplete: never "as',
      'recorded", and it exits 1 unless --allow-incomplete. Progress goes to standard error: one line',
      'redrawn in place on a terminal (with the time left, once the queue shrinks), a line every 2 s',
      'elsewhere.',
    ].join('\n'),
    flags: {
      ...PARAMETER_FLAGS,
      'max-states': { type: 'string', value: 'N', description: 'stop at a state beyond the first N distinct states (result: incomplete)', default: 'no bound' },
      'max-depth': { type: 'string', value: 'N', description: 'explore behaviours of at most N states (result: incomplete if any went further)', default: 'no bound' },
      'max-seconds': { type: 'string', value: 'S', description: 'stop after about S seconds (result: incomplete)', default: 'no bound' },
      workers: { type: 'string', value: 'N', description: 'explore on N worker threads, with the same counts as one (models with liveness properties or symmetry sets, and runs of at most 65,536 states, run on one; --json says why)', default: '1' },
      'allow-incomplete': { type: 'boolean', description: 'a bounded run that found no violation exits 0 (still never "as recorded"; a broken variant whose violation was not found exits 1)' },
      'no-symmetry': { type: 'boolean', description: 'explore every state, ignoring the models\' symmetry sets (held to the count recorded for that)' },
      'no-por': { type: 'boolean', description: 'generate every transition, without partial-order reduction by sleep sets (which leaves states, verdicts and depths as they are; models with liveness properties, a boundary, a history variable or symmetry sets, and runs on several workers, go without it; --json says why)' },
      json: { type: 'boolean', description: 'print the runs, counterexample traces included, as JSON' },
      trace: { type: 'boolean', description: 'print the trace of every violation, the recorded ones of broken variants too' },
      junit: { type: 'string', value: 'FILE', description: 'also write JUnit XML to FILE for CI: one test case per model, failed when not as recorded (the counterexample in the failure), skipped when a bounded run was accepted' },
      github: { type: 'boolean', description: 'also print a GitHub Actions ::error annotation on the model file of every run that is not as recorded' },
    },
    positionals: true,
    exitStatus: MODEL_RULE,
  },
  {
    name: 'simulate',
    summary: 'seeded random walks through one model, for models too large to check',
    usage: ['simulate <model|file.ts> [options]'],
    description: [
      'Random walks through the same action space as check, every invariant checked on every state.',
      'A failing walk is shrunk, printed, and ends with the command that replays it exactly.',
      'A simulation is a bounded run by nature: it shows violations, never their absence.',
    ].join('\n'),
    flags: {
      ...PARAMETER_FLAGS,
      seed: { type: 'string', value: 'S', description: 'the seed of the walks (always printed)', default: 'from the clock' },
      walks: { type: 'string', value: 'N', description: 'random walks to run', default: '1000' },
      depth: { type: 'string', value: 'D', description: 'the most steps in a walk', default: '100' },
      path: { type: 'string', value: 'P', description: 'replay one failing walk: the path printed with it, with its seed and depth' },
      json: { type: 'boolean', description: 'print the result, the trace and the replay command as JSON' },
    },
    positionals: true,
    exitStatus:
      'exit status: 0 the walks found the violation the model records, or none in a model that records none; 1 a violation the model does not record, or a recorded one no walk found; 2 bad arguments or a bad model.',
  },
  {
    name: 'explore',
    summary: 'a web page on 127.0.0.1 to step through a model by hand and replay traces',
    usage: ['explore <model|file.ts> [options]'],
    description: 'Serves the explorer for one model on 127.0.0.1 and prints its URL; Ctrl-C stops it.',
    flags: {
      ...PARAMETER_FLAGS,
      port: { type: 'string', value: 'P', description: 'the port to serve on (0: a free one)', default: '0' },
      trace: { type: 'string', value: 'FILE', description: 'open on a trace: a Trace, the output of check --json or simulate --json, or hosts\' JSON-lines step traces' },
    },
    positionals: true,
    exitStatus: 'exit status: 0 stopped by Ctrl-C; 2 bad arguments, a bad model or a bad trace file.',
  },
  {
    name: 'list',
    summary: 'the models and their parameters',
    usage: ['list'],
    description: 'Every model under models/ with its description and its parameters, in the --param NAME=N form check, simulate and explore take.',
    flags: {},
    positionals: false,
    exitStatus: 'exit status: 0; 2 when a model file cannot be loaded (the others are still listed).',
  },
  {
    name: 'chart',
    summary: 'statecharts of machines: Mermaid, DOT, JSON or SVG',
    usage: ['chart', 'chart <protocol>/<machine> [--format F]', 'chart <model|file.ts> [--format F]', 'chart [model|file.ts] --write DIR [--format F]'],
    description: [
      'With no argument, lists the machines by name. A machine name prints its chart; a model name',
      'or model file prints the chart of each machine the model runs. --write writes every chart',
      '(of the catalogue, or of the model named) to DIR/<name>.<ext>.',
    ].join('\n'),
    flags: {
      format: { type: 'string', value: 'F', description: 'mermaid, dot, json or svg', default: 'mermaid' },
      write: { type: 'string', value: 'DIR', description: 'write the charts to files under DIR instead of printing one' },
      ...PARAMETER_FLAGS,
    },
    positionals: true,
    exitStatus: 'exit status: 0; 2 an unknown machine or model, or bad arguments.',
  },
  {
    name: 'trace',
    summary: 'render a counterexample, or replay hosts\' step traces against a model',
    usage: ['trace <file.json> [--format F] [--out FILE] [--violation N]', 'trace validate <file.jsonl ...> --model M [--json]', 'trace <file.jsonl ...> --model M [--format F] [--out FILE]'],
    description: [
      'Renders a counterexample saved by check --json or simulate --json (or a bare trace). With',
      '--model, reads JSON-lines step traces written by NodeHosts: "validate" says whether every step',
      'is one the model allows; without "validate", renders the run as a trace of the model.',
    ].join('\n'),
    flags: {
      format: { type: 'string', value: 'F', description: 'text (steps and a table of every node\'s state), mermaid (a sequence diagram), html (one offline page) or json', default: 'text' },
      out: { type: 'string', value: 'FILE', description: 'write to FILE instead of stdout' },
      violation: { type: 'string', value: 'N', description: 'the Nth counterexample of a file holding several', default: '1' },
      model: { type: 'string', value: 'M', description: 'the model the step traces must fit (its machines, peers, timers and spontaneous events)' },
      ...PARAMETER_FLAGS,
      json: { type: 'boolean', description: 'validate\'s verdict as JSON' },
    },
    positionals: true,
    exitStatus: 'exit status: 0 rendered, or every step valid; 1 validate found a step the model does not allow; 2 bad arguments or a bad file.',
  },
  {
    name: 'serve',
    summary: 'a local key-value cluster: node processes on 127.0.0.1',
    usage: ['serve [options]'],
    description: [
      'Starts a cluster of node processes on 127.0.0.1 with data under a folder, prints each node\'s',
      'HTTP endpoint and the shard leaders, and runs until Ctrl-C, which stops every node. --tls makes',
      'a throwaway CA and a certificate per node under DIR/tls (the CA key is never written) and runs',
      'every link over TLS; --token makes every client request carry the token. docs/service.md',
      '("Security model") says what each protects.',
    ].join('\n'),
    flags: {
      nodes: { type: 'string', value: 'N', description: 'node processes (1 to 64)', default: '3' },
      shards: { type: 'string', value: 'N', description: 'shards, each a Raft group of up to 3 replicas (1 to 256)', default: '3' },
      data: { type: 'string', value: 'DIR', description: 'the data folder', default: 'a fresh temp folder' },
      port: { type: 'string', value: 'P', description: 'node i serves HTTP on P+i and Raft on P+N+i (0: free ports)', default: '0' },
      tls: { type: 'boolean', description: 'TLS on every link: HTTPS for clients and between nodes, mutual TLS between Raft ports; prints the CA file for kv --ca' },
      token: { type: 'string', value: 'TOKEN', description: 'require "authorization: Bearer TOKEN" of every client request (16 or more characters)', default: '$UNANIMOUS_TOKEN, else none' },
    },
    positionals: false,
    exitStatus: 'exit status: 0 stopped by Ctrl-C; 1 a node failed to start; 2 bad arguments.',
  },
  {
    name: 'node',
    summary: 'one node of the key-value service, for a cluster across hosts',
    usage: ['node --config FILE [--stop-on-stdin-close]'],
    description: [
      'Runs one node from its JSON configuration: self, dataDir, clusterSecret (the same on every node),',
      'nodes (id, host, raftPort, httpPort), shards (id, replicas), virtualNodes; optional: tls (ca, cert,',
      'key: PEM files), clientToken, limits (maxInFlightPerClient, maxConnectionsPerPeer,',
      'maxHandshakesPerAddress). docs/service.md describes each.',
    ].join('\n'),
    flags: {
      config: { type: 'string', value: 'FILE', description: 'the node\'s JSON configuration (required)' },
      'stop-on-stdin-close': { type: 'boolean', description: 'stop when standard input closes (how serve ties its nodes to itself)' },
    },
    positionals: false,
    exitStatus: 'exit status: 0 stopped by a signal; 2 a bad configuration or bad arguments.',
  },
  {
    name: 'kv',
    summary: 'one request to the key-value service',
    usage: [
      'kv get <key>',
      'kv put <key> <value>',
      'kv del <key>',
      "kv txn '<json>'|@file|-",
      'kv status',
      'kv transfer <shard> <node>',
      'kv member add <node> <host> <raft-port> <http-port>',
      'kv member remove <node>',
      'kv member list',
      'kv replica add|remove <shard> <node>',
      'kv replica move <shard> <from-node> <to-node>',
    ],
    description: [
      'Sends one request to any node (which forwards to the shard\'s leader) and prints its JSON answer.',
      'transfer moves a shard\'s leadership to the replica on <node> (Raft\'s leadership transfer).',
      'member add tells the cluster of a started node; member remove takes out one that holds no replica.',
      'replica add|remove changes a shard\'s Raft group by one server; move adds, then removes.',
      'A transaction: {"compare":[{"key":"a","value":"x"}|{"key":"a","revision":3,"op":"=="}|',
      '{"key":"a","exists":false}], "ops":[{"op":"get|put|delete","key":"a","value":"y"}]}',
    ].join('\n'),
    flags: {
      endpoint: { type: 'string', value: 'URL', description: 'any node\'s HTTP endpoint (http:// or https://)', default: '$UNANIMOUS_ENDPOINT' },
      ca: { type: 'string', value: 'FILE', description: 'for an https:// endpoint: the CA certificate that signed the nodes\' (serve --tls prints it)', default: '$UNANIMOUS_CA, else the system\'s' },
      token: { type: 'string', value: 'TOKEN', description: 'the client token, for a cluster that requires one', default: '$UNANIMOUS_TOKEN' },
    },
    positionals: true,
    exitStatus: 'exit status: 0 a 2xx answer; 1 any other answer (not found, aborted, no leader: it says which); 2 bad arguments or an unreachable endpoint.',
  },
  {
    name: 'nemesis',
    summary: 'Jepsen-style runs: faults injected into a local cluster, histories checked',
    usage: ['nemesis [--workload W] [--seconds S] [--seed N] [--faults LIST] [options]'],
    description: [
      'Starts a local cluster whose Raft links all pass through fault-injecting proxies, runs the',
      'workloads (concurrent clients recording every operation: invoke, then ok, fail or info) while a',
      'seeded schedule alternates faults and healthy periods, heals everything and measures the',
      'recovery, reads every key once more, and checks each history: register for linearizability,',
      'bank for balances that always sum to the total, list-append with Elle for serializability.',
      'Faults: kill (kill -9 a node, a leader half of the time, then restart it), pause (SIGSTOP,',
      'SIGCONT), partition (an isolated leader, a minority, a bridge), loss, delay, duplicate (of',
      'frames on every link), slow-fsync (every commit of one node\'s SQLite file stalled). Prints a',
      'table of operations, anomalies, lost acknowledged writes, faults and the recovery time; each',
      'fault as it happens on standard error.',
    ].join('\n'),
    flags: {
      workload: { type: 'string', value: 'W', description: 'register, bank, list-append, or all (all three at once)', default: 'all' },
      seconds: { type: 'string', value: 'S', description: 'seconds of faults (the workloads run as long)', default: '60' },
      seed: { type: 'string', value: 'N', description: 'the seed of the schedule, the proxies and the clients', default: '1' },
      faults: { type: 'string', value: 'LIST', description: 'the fault kinds, comma-separated, or none', default: 'kill,pause,partition,loss,delay,duplicate,slow-fsync' },
      nodes: { type: 'string', value: 'N', description: 'node processes (1 to 9)', default: '3' },
      shards: { type: 'string', value: 'N', description: 'shards (1 to 64)', default: '3' },
      clients: { type: 'string', value: 'N', description: 'concurrent clients per workload', default: '5' },
      data: { type: 'string', value: 'DIR', description: 'keep the nodes\' data and logs in DIR (new or empty)', default: 'a temp folder, removed' },
      json: { type: 'boolean', description: 'print the report as JSON (every fault with its times, each checker\'s explanation)' },
    },
    positionals: false,
    exitStatus: 'exit status: 0 no anomaly, no lost acknowledged write, and recovered; 1 otherwise; 2 bad arguments.',
  },
  {
    name: 'init',
    summary: 'a new project of your own: a machine, a model, a broken variant and a test that pass',
    usage: ['init <dir>'],
    description: [
      'Writes into <dir> (new or empty) a project that depends on unanimous: package.json (with',
      'test, check and chart scripts), README.md, and under lock/ the lock server of the guide',
      '"Your first model" — its machines, its model, a broken variant the checker catches, and a',
      'vitest test with exact state counts. After npm install, npm test passes as it is.',
    ].join('\n'),
    flags: {},
    positionals: true,
    exitStatus: 'exit status: 0 written; 2 bad arguments, or a folder that is not empty (nothing written).',
  },
  {
    name: 'help',
    summary: 'this list, or one command\'s usage and flags',
    usage: ['help [command]'],
    description: 'Prints the commands, or one command\'s usage, flags and exit status (as does "unanimous <command> --help").',
    flags: {},
    positionals: true,
    exitStatus: 'exit status: 0; 2 an unknown command.',
  },
];

export const commandNamed = (name: string): CommandSpec | undefined => COMMANDS.find((command) => command.name === name);
