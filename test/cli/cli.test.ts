import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin/unanimous.js');
const unanimous = (...args: string[]) => {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};

const scratch = mkdtempSync(join(tmpdir(), 'unanimous-cli-'));
// Model files are ES modules, as in this repository.
writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A model file of one's own, outside models/: TwoPhase.tla's model without its recorded result. */
function ownModel(name: string, body: string): string {
  const path = join(scratch, `${name}.ts`);
  const src = (file: string) => pathToFileURL(join(root, file)).href;
  writeFileSync(
    path,
    `import { defineModel } from '${src('src/checker/index.ts')}';
import { commitProperties } from '${src('models/_shared/commit.ts')}';
import { TWO_PHASE_TLA, twoPhaseModel } from '${src('models/two-phase/_build.ts')}';
import { tmCommitsBeforeAllVote } from '${src('src/protocols/two-phase-commit/index.ts')}';
${body}`,
  );
  return path;
}

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
    [['check', 'no/such-model'], /no model "no\/such-model"; the models are: .*two-phase\/tla/],
    [['check', 'two-phase/tla', '--rms', 'three'], /--rms takes a whole number, not "three"/],
    [['check', 'two-phase/tla', '--rms', '40'], /rms \(resource managers\) must be a whole number from 1 to 12, not 40/],
    [['check', 'two-phase/tla', '--param', 'acceptors=3'], /two-phase\/tla has no parameter "acceptors"/],
    [['check', 'two-phase/tla', '--param', 'oops'], /--param takes NAME=N, not "oops"/],
    [['check', 'two-phase/tla', '--max-depth', '-1'], /max-depth/],
    [['check', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['check', '/nonexistent/model.ts'], /no model file \/nonexistent\/model.ts/],
    [['launch'], /unknown command "launch"/],
    [['list', 'extra'], /list takes no arguments/],
  ])('exit 2 with a clear message: %j', (args, message) => {
    const run = unanimous(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
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
    expect(run.stdout).toContain('--rms 1..12 (default 3: resource managers)');
    expect(run.stdout).toMatch(/raft\/five-servers\s+\(simulation only\)/);
  });
});

describe('unanimous chart', () => {
  it('lists the machines, and prints one as Mermaid, DOT or JSON', () => {
    expect(unanimous('chart').stdout).toContain('two-phase-commit/transaction-manager');
    expect(unanimous('chart', 'paxos/acceptor').stdout).toContain('acceptor_serving --> acceptor_serving : Prepare [isHigherBallot]');
    expect(unanimous('chart', 'paxos/acceptor', '--format', 'dot').stdout).toMatch(/^digraph "acceptor"/);
    expect(JSON.parse(unanimous('chart', 'paxos/acceptor', '--format', 'json').stdout).root.states[0].key).toBe('serving');
  });

  it.each([
    [['chart', 'paxos/nobody'], /no machine "paxos\/nobody"/],
    [['chart', 'paxos/acceptor', '--format', 'png'], /--format takes mermaid, dot, json, svg, not "png"/],
  ])('exit 2 with a clear message: %j', (args, message) => {
    const run = unanimous(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
