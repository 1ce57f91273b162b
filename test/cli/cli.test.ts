import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { root, scratchFolder, unanimous } from './own-model.ts';

const cli = join(root, 'bin/unanimous.js');

const scratchFolderOfModels = scratchFolder('unanimous-cli-');
const scratch = scratchFolderOfModels.path;
const { ownModel } = scratchFolderOfModels;
afterAll(scratchFolderOfModels.remove);

describe('unanimous check', () => {
  it('checks a model and prints its row; exit 0 when the result is as recorded', () => {
    const run = unanimous('check', 'two-phase/tla', '--rms', '4');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/two-phase\/tla\s+rms=4\s+ok\s+1,568/);
    expect(run.stdout).toContain('every result as recorded');
  });

  it('--json gives the results, counterexample traces included', () => {
    const run = unanimous('check', 'two-phase/tla', 'two-phase/broken/tm-commits-early', '--json');
    expect(run.status).toBe(0);
    const [tla, broken] = JSON.parse(run.stdout);
    expect(tla).toMatchObject({ model: 'two-phase/tla', parameters: { rms: 3 }, asExpected: true, result: { verdict: 'ok', distinct: 288 } });
    expect(broken.result.violation.property).toBe('TCConsistent');
    expect(broken.result.violation.trace.steps).toHaveLength(5);
    expect(broken.result.violation.trace.steps[0].action).toEqual({
      kind: 'deliver',
      node: 'rm1',
      message: { from: 'tm', to: 'rm1', message: { type: 'Prepare' } },
    });
  });

  it('prints the trace of a violation, step by step', () => {
    const run = unanimous('check', 'two-phase/broken/rm-forgets-vote');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('(as this broken variant must)');
    expect(run.stdout).toMatch(/ 6\. rm\d: crashes\n/);
    expect(run.stdout).toMatch(/ 7\. rm\d: restarts from its durable state\n/);
    expect(run.stdout).toMatch(/ 8\. rm\d: takes ChooseToAbort\n/);
    expect(run.stdout).toContain('TCConsistent fails in the last state:');
  });

  it('exit 1 on a violation the model does not record, with the trace', () => {
    const path = ownModel(
      'early',
      `export default defineModel({
  description: 'an early-committing TM, not marked as broken',
  build: () => twoPhaseModel({ ...TWO_PHASE_TLA, rms: 2, tmMachine: tmCommitsBeforeAllVote, properties: (ids) => commitProperties(ids) }),
});`,
    );
    const run = unanimous('check', path);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('violation: TCommit');
    expect(run.stdout).toContain('this step is not a step of TCommit');
    expect(run.stdout).toMatch(/deliver Commit tm→rm\d/);
    expect(run.stdout).toContain('did not give the recorded result');
  });

  it('exit 1 when a recorded state count is not met', () => {
    const path = ownModel(
      'miscounted',
      `export default defineModel({
  description: 'TwoPhase.tla with a wrong record',
  build: () => twoPhaseModel({ ...TWO_PHASE_TLA, rms: 3, properties: (ids) => commitProperties(ids) }),
  expected: () => ({ verdict: 'ok', distinct: 289 }),
});`,
    );
    const run = unanimous('check', path);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/✗ 289/);
    expect(run.stdout).toContain('288 distinct states, where the model records 289');
  });

  it('--no-symmetry explores every permutation, held to the count recorded for that', () => {
    const run = unanimous('check', 'two-phase/faulty', '--no-symmetry');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/two-phase\/faulty .* ok\s+48,537 .*✓ 48,537/);
  });

  describe('a bounded run is never as recorded', () => {
    it('a broken variant whose violation a depth bound keeps out of reach: exit 1, even with --allow-incomplete', () => {
      for (const extra of [[], ['--allow-incomplete']]) {
        const run = unanimous('check', 'two-phase/broken/tm-commits-early', '--max-depth', '2', ...extra);
        expect(run.status).toBe(1);
        expect(run.stdout).toMatch(/incomplete \(maxDepth\) .* \? TCConsistent/);
        expect(run.stdout).not.toContain('as recorded.');
        expect(run.stdout).not.toContain('✓');
        expect(run.stdout).toContain('two-phase/broken/tm-commits-early: the run stopped at its bound (maxDepth) without finding the recorded violation of TCConsistent');
        expect(run.stdout).toContain('1 of 1 model stopped at a bound, so not checked: two-phase/broken/tm-commits-early\n');
      }
    });

    it('a state bound on a passing model: exit 1; --allow-incomplete accepts it, still not as recorded', () => {
      const bounded = unanimous('check', 'two-phase/faulty', '--max-states', '1000');
      expect(bounded.status).toBe(1);
      expect(bounded.stdout).toMatch(/incomplete \(maxStates\)\s+1,000 .* \? 24,451/);
      expect(bounded.stdout).toContain('the recorded 24,451 states were not all checked');
      expect(bounded.stdout).toContain('(--allow-incomplete accepts a bounded run that finds nothing)');
      const allowed = unanimous('check', 'two-phase/faulty', '--max-states', '1000', '--allow-incomplete');
      expect(allowed.status).toBe(0);
      expect(allowed.stdout).not.toContain('✓');
      expect(allowed.stdout).toContain('1 of 1 model bounded, accepted by --allow-incomplete: no violation within the bound, nothing proven beyond it: two-phase/faulty');
    });

    it('a time bound is a bound too', () => {
      const run = unanimous('check', 'two-phase/tla', '--rms', '9', '--max-seconds', '1');
      expect(run.status).toBe(1);
      expect(run.stdout).toContain('incomplete (maxSeconds)');
    });

    it('a bound the exploration never reaches leaves it complete: as recorded', () => {
      const run = unanimous('check', 'two-phase/tla', '--max-states', '288', '--max-depth', '11');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/two-phase\/tla\s+rms=3\s+ok\s+288 .* ✓ 288/);
    });

    it('a violation found within the bound is the recorded result', () => {
      const run = unanimous('check', 'two-phase/broken/tm-commits-early', '--max-states', '5000');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('every result as recorded');
    });

    it('--json carries the judgement', () => {
      const [run] = JSON.parse(unanimous('check', 'two-phase/faulty', '--max-states', '10', '--json').stdout);
      expect(run).toMatchObject({ asExpected: false, judgement: { kind: 'bounded', accepted: false }, result: { verdict: 'incomplete', limitHit: 'maxStates', distinct: 10 } });
    });
  });

  it.each([
    [['check', 'no/such-model'], /^unanimous: no model "no\/such-model" \("unanimous list" shows them all\)\n$/],
    [['check', 'two-phse/tla'], /^unanimous: no model "two-phse\/tla"; did you mean two-phase\/tla\? \("unanimous list" shows them all\)\n$/],
    [['check', 'two-phase/tla', '--max-state', '10'], /^unanimous: check has no option --max-state; did you mean --max-states\? \(unanimous check --help lists them\)\n$/],
    [['check', 'two-phase/tla', '--param', 'rm=2'], /^unanimous: --param rm: two-phase\/tla has no parameter "rm"; did you mean rms\? \(parameters: rms\)\n$/],
    [['check', 'two-phase/tla', '--json=yes'], /--json is a switch and takes no value/],
    [['check', 'two-phase/tla', '--max-states'], /--max-states needs a value: --max-states N/],
    [['chekc'], /unknown command "chekc"; did you mean check\?/],
    [['help', 'chekc'], /there is no command "chekc"; did you mean check\?/],
    [['check', 'two-phase/tla', '--rms', 'three'], /--rms takes a whole number, not "three"/],
    [['check', 'two-phase/tla', '--rms', '40'], /rms \(resource managers\) must be a whole number from 1 to 12, not 40/],
    [['check', 'two-phase/tla', '--param', 'acceptors=3'], /two-phase\/tla has no parameter "acceptors"/],
    [['check', 'two-phase/tla', '--param', 'oops'], /--param takes NAME=N, not "oops"/],
    [['check', 'two-phase/tla', '--max-depth', '-1'], /max-depth/],
    [['check', '--frobnicate'], /check has no option --frobnicate \(unanimous check --help lists them\)/],
    [['check', '/nonexistent/model.ts'], /no model file \/nonexistent\/model.ts/],
    [['launch'], /unknown command "launch"/],
    [['list', 'extra'], /list takes no arguments/],
    [['explore'], /explore takes one model, got none/],
    [['explore', 'two-phase/tla', '--port', '70000'], /--port takes a port number up to 65535, not 70000/],
    [['serve', '--nodes', '0'], /--nodes takes a whole number >= 1, not "0"/],
    [['serve', 'now'], /serve takes no arguments, got "now"/],
    [['node', '--config'], /--config needs a value: --config FILE/],
    [['kv', 'gte', 'a', '--endpoint', 'http://127.0.0.1:1'], /kv takes one of get, put, del, txn, status, transfer, member, replica, not "gte"; did you mean get\?/],
  ])('exit 2 with a clear message: %j', (args, message) => {
    const run = unanimous(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('a machine with no named states shows its context in a trace, no empty state names', () => {
    const path = join(scratch, 'flat.ts');
    writeFileSync(
      path,
      `import { assign, setup } from 'xstate';
import { always, defineModel } from '${pathToFileURL(join(root, 'src/index.ts')).href}';
const counter = setup({}).createMachine({ id: 'counter', context: { n: 0 }, on: { Tick: { actions: assign({ n: ({ context }) => context.n + 1 }) } } });
export default defineModel({
  description: 'a counter with no named states',
  build: () => ({
    nodes: [{ id: 'a', machine: counter, peers: [], config: {}, spontaneous: [{ type: 'Tick' }] }],
    network: 'set',
    properties: [always('Small', (s) => (s.nodes[0]!.context as { n: number }).n < 2)],
  }),
  expected: () => ({ verdict: 'violation', property: 'Small' }),
});
`,
    );
    const run = unanimous('check', path);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('  0. initial state\n       a: n=0\n  1. a: takes Tick\n       a: n=1\n  2. a: takes Tick\n       a: n=2\n');
  });

  it('a model file that does not export a model is refused', () => {
    const path = join(scratch, 'not-a-model.ts');
    writeFileSync(path, 'export const x = 1;\n');
    const run = unanimous('check', path);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('must default-export a model made with defineModel()');
  });
});

describe('unanimous list', () => {
  it('lists every model with its parameters', () => {
    const run = unanimous('list');
    expect(run.status).toBe(0);
    for (const name of ['tcommit/tla', 'two-phase/tla', 'two-phase/faulty', 'two-phase/broken/tm-commits-early', 'two-phase/broken/rm-forgets-vote']) {
      expect(run.stdout).toContain(name);
    }
    expect(run.stdout).not.toContain('_shared');
    expect(run.stdout).toContain('--param rms=1..12  resource managers (default 3)');
    expect(run.stdout).toMatch(/raft\/five-servers\s+\(simulation only\)/);
  });

  it('shows every parameter in the form check takes it', () => {
    const listed = unanimous('list').stdout;
    const shown = /^paxos\/tla\n(?: {4}.*\n)*? {4}--param (acceptors)=(\d+)\.\.(\d+)/m.exec(listed);
    expect(shown).not.toBeNull();
    const run = unanimous('check', 'paxos/tla', '--param', `${shown![1]}=${shown![2]}`);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`paxos/tla\\s+acceptors=${shown![2]}`));
  });

  it('stops quietly when the reader closes its end (unanimous list | head)', async () => {
    const child = spawn(process.execPath, [cli, 'list'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe('unanimous chart', () => {
  it("draws the machines of a model, by the model's name", () => {
    const run = unanimous('chart', 'two-phase/tla');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^%% two-phase\/tla\/tm\nstateDiagram-v2/);
    expect(run.stdout).toContain('\n%% two-phase/tla/rm\nstateDiagram-v2');
  });

  it('lists the machines, and prints one as Mermaid, DOT or JSON', () => {
    expect(unanimous('chart').stdout).toContain('two-phase/transaction-manager');
    expect(unanimous('chart', 'paxos/acceptor').stdout).toContain('acceptor_serving --> acceptor_serving : Prepare [isHigherBallot]');
    expect(unanimous('chart', 'paxos/acceptor', '--format', 'dot').stdout).toMatch(/^digraph "acceptor"/);
    expect(JSON.parse(unanimous('chart', 'paxos/acceptor', '--format', 'json').stdout).root.states[0].key).toBe('serving');
  });

  it.each([
    [['chart', 'paxos/nobody'], /no machine or model "paxos\/nobody"/],
    [['chart', 'paxos/aceptor'], /did you mean paxos\/acceptor\?/],
    [['chart', 'two-phase/tla', '--format', 'svg'], /two-phase\/tla runs 2 machines \(two-phase\/tla\/tm, two-phase\/tla\/rm\): one SVG each needs --write DIR/],
    [['chart', 'paxos/acceptor', '--format', 'png'], /--format takes mermaid, dot, json, svg, not "png"/],
  ])('exit 2 with a clear message: %j', (args, message) => {
    const run = unanimous(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('help', () => {
  const commands = ['check', 'simulate', 'explore', 'list', 'chart', 'trace', 'serve', 'node', 'kv', 'help'];

  it('lists every command', () => {
    for (const args of [[], ['help'], ['--help'], ['-h']]) {
      const run = unanimous(...args);
      expect(run.status).toBe(0);
      for (const command of commands) expect(run.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    }
  });

  it.each(commands)('%s: --help, -h and "help <command>" print its usage, every flag with its meaning, and exit 0', (command) => {
    const shown = unanimous(command, '--help');
    expect(shown.status).toBe(0);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(new RegExp(`^usage: unanimous ${command}`));
    expect(shown.stdout).toMatch(/^exit status: 0[ ;]/m);
    expect(unanimous(command, '-h').stdout).toBe(shown.stdout);
    expect(unanimous('help', command).stdout).toBe(shown.stdout);
  });

  it('names every flag a command takes, with its default', () => {
    const check = unanimous('check', '--help').stdout;
    for (const flag of ['--param NAME=N', '--rms N', '--max-states N', '--max-depth N', '--max-seconds S', '--allow-incomplete', '--no-symmetry', '--json', '--trace']) {
      expect(check).toContain(`  ${flag}  `);
    }
    expect(unanimous('simulate', '--help').stdout).toMatch(/--walks N +random walks to run \(default: 1000\)/);
    expect(unanimous('serve', '--help').stdout).toMatch(/--nodes N +node processes \(1 to 64\) \(default: 3\)/);
  });
});

describe('selecting models', () => {
  it('a folder selects the models under it', () => {
    const run = unanimous('check', 'two-phase');
    expect(run.status).toBe(0);
    for (const model of ['two-phase/tla', 'two-phase/tla-symmetric', 'two-phase/faulty', 'two-phase/broken/tm-commits-early', 'two-phase/broken/rm-forgets-vote']) expect(run.stdout).toContain(`${model} `);
    expect(run.stdout).not.toContain('two-phase-over-groups');
    expect(run.stdout).toContain('5 models checked, every result as recorded.');
  });

  it("depth counts states, as TLC does: a 5-step counterexample ends at depth 6; TwoPhase.tla's 288 states reach depth 11", () => {
    const [broken, tla] = JSON.parse(unanimous('check', 'two-phase/broken/tm-commits-early', 'two-phase/tla', '--json').stdout);
    expect(broken.result.violation.trace.steps).toHaveLength(5);
    expect(broken.result.depth).toBe(6);
    expect(tla.result).toMatchObject({ distinct: 288, depth: 11 });
  });

  it('a model file anywhere, in a folder with no package.json, importing xstate and unanimous by name', () => {
    const folder = mkdtempSync(join(tmpdir(), 'unanimous-own-model-'));
    try {
      const path = join(folder, 'lock.ts');
      writeFileSync(
        path,
        `import { setup, assign } from 'xstate';
import { always, defineModel, sometimes } from 'unanimous';

// A lock any of two clients may take; the broken one lets both hold it.
const lock = setup({ types: { context: {} as { holder: string | null } } }).createMachine({
  id: 'lock',
  context: { holder: null },
  initial: 'free',
  states: {
    free: { on: { Acquire: { target: 'held', actions: assign({ holder: ({ event }) => (event as unknown as { from: string }).from }) } } },
    held: {},
  },
});
export default defineModel({
  description: 'a lock outside the repository',
  build: () => ({
    nodes: [{ id: 'lock', machine: lock, peers: [], config: {} }],
    network: 'set',
    properties: [always('AtMostOneHolder', () => true), sometimes('Free', (s) => s.nodes[0]!.value === 'free')],
  }),
  expected: () => ({ verdict: 'ok', distinct: 1 }),
});
`,
      );
      const run = spawnSync(process.execPath, [cli, 'check', path], { encoding: 'utf8', cwd: folder });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/lock\.ts\s+-\s+ok\s+1 .*✓ 1/);
      expect(unanimous('chart', path).stdout).toMatch(/^stateDiagram-v2/);
      writeFileSync(path, `import { nothing } from 'left-pad-nowhere';\nexport default nothing;\n`);
      const missing = spawnSync(process.execPath, [cli, 'check', path], { encoding: 'utf8', cwd: folder });
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain("install it where the model file can find it (npm install left-pad-nowhere in the file's folder)");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
