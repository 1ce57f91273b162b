import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { check, checkParallel, ModelError, type CheckOptions, type CheckResult, type Model, type ModelFile, type Parameters } from '../../src/checker/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modelFile = (name: string) => join(root, 'models', `${name}.ts`);

async function build(name: string, given: Readonly<Record<string, number>>, symmetry = true): Promise<{ model: Model; parameters: Parameters }> {
  const file = ((await import(modelFile(name))) as { default: ModelFile }).default;
  const parameters = Object.fromEntries(Object.entries(file.parameters).map(([key, definition]) => [key, given[key] ?? definition.default]));
  const model = file.build(parameters);
  return { model: symmetry ? model : { ...model, symmetry: [] }, parameters };
}

/** Workers started at once (no run on this thread first), so that the parallel exploration is what is tested. */
const onWorkers = (workers: number, options: CheckOptions = {}): CheckOptions => ({ ...options, workers, parallelAfterStates: 0 });

async function bothWays(name: string, given: Readonly<Record<string, number>> = {}, symmetry = true, options: CheckOptions = {}): Promise<{ one: CheckResult; two: CheckResult }> {
  const { model, parameters } = await build(name, given, symmetry);
  // Workers explore without partial-order reduction (parallel-explore.ts): so does the one they are held to.
  const one = check(model, { ...options, partialOrderReduction: false });
  const two = await checkParallel({ file: modelFile(name), parameters, symmetry }, onWorkers(2, options));
  return { one, two };
}

/** What must not depend on the number of workers. */
const essentials = (result: CheckResult) => ({
  verdict: result.verdict,
  distinct: result.distinct,
  generated: result.generated,
  depth: result.depth,
  goals: result.goals,
  limitHit: result.limitHit,
  property: result.violation?.property,
  steps: result.violation?.trace?.steps.length,
});

describe('checkParallel on two workers gives the counts of one', () => {
  it.each([
    ['two-phase/tla (a refinement on every step)', 'two-phase/tla', { rms: 5 }],
    ['two-phase/faulty --no-symmetry (a boundary, fault budgets, timers)', 'two-phase/faulty', {}],
    ['three-phase/crash-stop (quiescence, crash-stop)', 'three-phase/crash-stop', { participants: 3, crashes: 1 }],
  ])('%s', async (_title, name, given) => {
    const { one, two } = await bothWays(name, given, false);
    expect(one.verdict).toBe('ok');
    expect(two.workers).toBe(2);
    expect(two.oneWorkerBecause).toBeUndefined();
    expect(essentials(two)).toEqual(essentials(one));
  }, 30_000);

  it('a FIFO network without its symmetry sets (zab/faulty fifo=1 --no-symmetry)', async () => {
    const { one, two } = await bothWays('zab/faulty', { fifo: 1 }, false);
    expect(one.distinct).toBe(36_961);
    expect(two.workers).toBe(2);
    expect(essentials(two)).toEqual(essentials(one));
  }, 30_000);

  it('a broken variant: the same violation, with a counterexample as short', async () => {
    const { one, two } = await bothWays('two-phase/broken/rm-forgets-vote', { rms: 3 });
    expect(one.verdict).toBe('violation');
    expect(two.workers).toBe(2);
    expect(two.verdict).toBe('violation');
    expect(two.violation!.property).toBe(one.violation!.property);
    expect(two.violation!.trace!.steps).toHaveLength(one.violation!.trace!.steps.length);
    expect(two.depth).toBe(one.depth);
  }, 30_000);

  it('a goal reached by no worker is the violation it is with one', async () => {
    const { one, two } = await bothWays('two-phase-over-groups/lock-table', { transactions: 1 });
    expect(one.violation).toMatchObject({ property: 'ConflictRefused', kind: 'sometimes' });
    expect(essentials(two)).toEqual(essentials(one));
    expect(two.violation).toMatchObject({ property: 'ConflictRefused', kind: 'sometimes' });
  }, 30_000);

  it('stops at the depth bound at the same level', async () => {
    const { one, two } = await bothWays('two-phase/tla', { rms: 4 }, true, { maxDepth: 9 });
    expect(two.workers).toBe(2);
    expect(one.limitHit).toBe('maxDepth');
    expect(two.limitHit).toBe('maxDepth');
    expect(two.distinct).toBe(one.distinct);
    expect(two.depth).toBe(one.depth);
  }, 30_000);

  it('stops at maxStates with exactly that many states', async () => {
    const { one, two } = await bothWays('two-phase/tla', { rms: 4 }, true, { maxStates: 1200 });
    expect(one).toMatchObject({ limitHit: 'maxStates', distinct: 1200 });
    expect(two).toMatchObject({ limitHit: 'maxStates', distinct: 1200, verdict: 'incomplete', workers: 2 });
  }, 30_000);
});

describe('checkParallel falls back to one worker, and says why', () => {
  it('for symmetry sets', async () => {
    const { model, parameters } = await build('two-phase/tla-symmetric', { rms: 4 });
    const two = await checkParallel({ file: modelFile('two-phase/tla-symmetric'), parameters, symmetry: true, model }, onWorkers(2));
    expect(two.workers).toBe(1);
    expect(two.oneWorkerBecause).toMatch(/symmetry/);
    expect(essentials(two)).toEqual(essentials(check(model)));
  }, 30_000);

  it('for liveness properties', async () => {
    const { one, two } = await bothWays('two-phase-over-groups/plain-2pc-never-decides');
    expect(two.workers).toBe(1);
    expect(two.oneWorkerBecause).toMatch(/liveness/);
    expect(essentials(two)).toEqual(essentials(one));
    expect(two.violation?.trace?.loopsTo).toBe(one.violation?.trace?.loopsTo);
  }, 30_000);

  it('for a model that ends within the states explored on the calling thread first', async () => {
    const { model, parameters } = await build('two-phase/tla', { rms: 3 });
    const two = await checkParallel({ file: modelFile('two-phase/tla'), parameters, symmetry: true, model }, { workers: 2 });
    expect(two).toMatchObject({ workers: 1, distinct: 288 });
    expect(two.oneWorkerBecause).toMatch(/within the first/);
  });

  it('refuses a number of workers that is not a whole number >= 1', async () => {
    await expect(checkParallel({ file: modelFile('two-phase/tla'), parameters: { rms: 3 }, symmetry: true }, { workers: 0 })).rejects.toThrow(/whole number/);
  });
});

describe('a model error in a worker', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'unanimous-parallel-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is the ModelError check throws', async () => {
    // An invariant that throws deep in the state space: the same error on one worker and on two.
    const file = join(scratch, 'throws.ts');
    writeFileSync(
      file,
      [
        `import tla from ${JSON.stringify(modelFile('two-phase/tla'))};`,
        `import { always, defineModel } from ${JSON.stringify(join(root, 'src/checker/index.ts'))};`,
        'export default defineModel({',
        '  ...tla,',
        '  build: (parameters) => {',
        '    const model = tla.build(parameters);',
        "    const explodes = always('Explodes', (state) => { if (state.messages.length >= 4) throw new Error('boom'); return true; });",
        '    return { ...model, properties: [...model.properties, explodes] };',
        '  },',
        '});',
      ].join('\n'),
    );
    const built = ((await import(file)) as { default: ModelFile }).default;
    const model = built.build({ rms: 4 });
    expect(() => check(model)).toThrow(ModelError);
    const two = checkParallel({ file, parameters: { rms: 4 }, symmetry: true }, onWorkers(2));
    await expect(two).rejects.toBeInstanceOf(ModelError);
    await expect(two).rejects.toThrow('property Explodes threw: boom');
  }, 30_000);
});

describe('unanimous check --workers', () => {
  const cli = join(root, 'bin/unanimous.js');
  const unanimous = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });

  it.each(['0', '1.5'])('refuses --workers %s with a usage error (exit 2)', (value) => {
    const run = unanimous('check', 'two-phase/tla', '--workers', value);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`--workers takes a whole number >= 1, not "${value}"`);
  });

  it('--json gives the workers used', () => {
    const run = unanimous('check', 'two-phase/tla', '--rms', '3', '--workers', '2', '--json');
    expect(run.status).toBe(0);
    const [{ result }] = JSON.parse(run.stdout) as { result: CheckResult }[];
    expect(result).toMatchObject({ distinct: 288, workers: 1 });
    expect(result.oneWorkerBecause).toMatch(/within the first/);
  });
});
