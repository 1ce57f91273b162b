import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin/unanimous.js');
/** Runs the command; asynchronous so that independent cases can run side by side. */
const unanimous = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

const scratch = mkdtempSync(join(tmpdir(), 'unanimous-simulate-'));
writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The early-committing TM as a model of one's own, which records no violation. */
function ownModel(name: string): string {
  const path = join(scratch, `${name}.ts`);
  const src = (file: string) => pathToFileURL(join(root, file)).href;
  writeFileSync(
    path,
    `import { defineModel } from '${src('src/checker/index.ts')}';
import { commitProperties } from '${src('models/_shared/commit.ts')}';
import { TWO_PHASE_TLA, twoPhaseModel } from '${src('models/two-phase/_build.ts')}';
import { tmCommitsBeforeAllVote } from '${src('src/protocols/two-phase-commit/index.ts')}';
export default defineModel({
  description: 'an early-committing TM, not marked as broken',
  build: () => twoPhaseModel({ ...TWO_PHASE_TLA, rms: 3, tmMachine: tmCommitsBeforeAllVote, properties: (ids) => commitProperties(ids) }),
});
`,
  );
  return path;
}

describe('unanimous simulate', () => {
  it.concurrent('finds the violation a broken variant records, prints the shrunk trace and a replay command that replays it; exit 0 as check', async () => {
    const run = await unanimous('simulate', 'two-phase/broken/tm-commits-early', '--seed', '42', '--walks', '200');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('not as recorded');
    expect(run.stdout).toContain('two-phase/broken/tm-commits-early rms=3: seed 42, 200 walks of at most 100 steps');
    expect(run.stdout).toMatch(/\d+ walks?, [\d,]+ steps in [\d.]+ s \([\d,]+ steps\/s\)/);
    expect(run.stdout).toContain('violation: TCConsistent does not hold (as this broken variant records)');
    expect(run.stdout).toMatch(/found by walk \d+, shrunk \d+ times to 5 steps:/);
    expect(run.stdout).toContain('  5. rm');
    expect(run.stdout).not.toContain('  6. ');
    expect(run.stdout).toContain('TCConsistent fails in the last state:');
    const replay = /^replay: unanimous (simulate two-phase\/broken\/tm-commits-early --rms 3 --seed 42 --depth 100 --path [\d:]+)$/m.exec(run.stdout);
    expect(replay).not.toBeNull();
    const again = await unanimous(...replay![1]!.split(' '));
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/replaying walk [\d:]+ of seed 42/);
    const fromViolation = (text: string) => text.slice(text.indexOf('violation:'));
    expect(fromViolation(again.stdout)).toBe(fromViolation(run.stdout));
  });

  it.concurrent('a correct model: a summary with the goals, exit 0', async () => {
    const run = await unanimous('simulate', 'two-phase/tla', '--rms', '5', '--seed', '1', '--walks', '200', '--depth', '30');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('two-phase/tla rms=5: seed 1, 200 walks of at most 30 steps');
    expect(run.stdout).toMatch(/^200 walks, [\d,]+ steps in [\d.]+ s \([\d,]+ steps\/s\), [\d,]+ distinct states, longest walk \d+ steps$/m);
    expect(run.stdout).toMatch(/^goals: reached .*SomeRMAborts/m);
    expect(run.stdout).toContain('ok: no walk broke TCTypeOK, TCConsistent, TCommit');
  });

  it.concurrent('walks that miss the violation a broken variant records: exit 1, saying so', async () => {
    const run = await unanimous('simulate', 'two-phase/broken/rm-forgets-vote', '--seed', '1', '--walks', '1', '--depth', '1');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('not as recorded: the walks of a simulation ended without finding the recorded violation of TCConsistent');
  });

  it.concurrent('a violation the model does not record: exit 1, saying so', async () => {
    const run = await unanimous('simulate', ownModel('early-commit'), '--seed', '42', '--walks', '200');
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^violation: TC\w+ does not hold$/m);
    expect(run.stdout).toMatch(/^not as recorded: TC\w+ fails, where the model records nothing \(so every property must hold\)$/m);
  });

  it.concurrent('with no seed given, one from the clock, printed', async () => {
    const run = await unanimous('simulate', 'two-phase/tla', '--rms', '2', '--walks', '5');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^two-phase\/tla rms=2: seed \d+, 5 walks of at most 100 steps$/m);
  });

  it.concurrent('--json gives the result, the trace and the replay command', async () => {
    const run = await unanimous('simulate', 'two-phase/broken/rm-forgets-vote', '--seed', '3', '--json');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ model: 'two-phase/broken/rm-forgets-vote', parameters: { rms: 2 }, result: { verdict: 'violation', seed: 3, depth: 100 } });
    const { violation } = report.result;
    expect(violation).toMatchObject({ property: 'TCConsistent', kind: 'always' });
    expect(violation.choices).toHaveLength(violation.trace.steps.length);
    expect(violation.trace.steps.length).toBeLessThanOrEqual(10);
    expect(violation.replay).toBe(`unanimous simulate two-phase/broken/rm-forgets-vote --rms 2 --seed 3 --depth 100 --path ${violation.path}`);
    expect(report.result.goals).toEqual([
      { name: 'SomeRMCommits', reached: true },
      { name: 'SomeRMAborts', reached: true },
    ]);
  });

  it.concurrent.each([
    [['simulate'], /simulate takes one model, got none/],
    [['simulate', 'two-phase/tla', 'two-phase/faulty'], /simulate takes one model, got 2/],
    [['simulate', 'two-phase/tla', '--walks', '0'], /--walks takes a whole number >= 1, not "0"/],
    [['simulate', 'two-phase/tla', '--depth', 'deep'], /--depth takes a whole number >= 1, not "deep"/],
    [['simulate', 'two-phase/tla', '--seed=-3'], /--seed takes a whole number, not "-3"/],
    [['simulate', 'two-phase/tla', '--path', '3:x'], /--path takes numbers separated by ":", not "3:x"/],
    [['simulate', 'two-phase/tla', '--param', 'acceptors=3'], /two-phase\/tla has no parameter "acceptors"/],
  ])('exit 2 with a clear message: %j', async (args, message) => {
    const run = await unanimous(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});
