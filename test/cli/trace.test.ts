import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chartCommand } from '../../src/cli/chart-command.ts';
import { traceCommand, type TraceCommandOptions } from '../../src/cli/trace-command.ts';
import { UsageError } from '../../src/cli/usage-error.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin/unanimous.js');
const unanimous = (...args: string[]) => {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};

const scratch = mkdtempSync(join(tmpdir(), 'unanimous-trace-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
};

const example = join(root, 'docs/traces/tm-commits-early.json');
const trace = JSON.parse(readFileSync(example, 'utf8'));
/** What `check --json` prints for two broken models, and one that holds (no trace). */
const checkOutput = file(
  'check.json',
  JSON.stringify([
    { model: 'two-phase/tla', result: { verdict: 'ok' } },
    { model: 'two-phase/broken/tm-commits-early', result: { verdict: 'violation', violation: { property: 'TCConsistent', kind: 'always', message: 'TCConsistent does not hold', trace } } },
    { model: 'another', result: { verdict: 'violation', violation: { property: 'Other', kind: 'always', message: 'Other does not hold', trace: { ...trace, property: 'Other' } } } },
  ]),
);

/** Runs the command in this process: what it prints, what it notes on stderr, or the usage error it throws. */
function inProcess(options: TraceCommandOptions): { status: number; stdout: string; notes: string } {
  const out: string[] = [];
  const notes: string[] = [];
  const status = traceCommand(options, (line) => out.push(line), (line) => notes.push(line));
  return { status, stdout: out.map((line) => `${line}\n`).join(''), notes: notes.join('\n') };
}

describe('unanimous trace', () => {
  it('renders a bare trace as text by default: the steps, the table, the failing property', () => {
    const run = unanimous('trace', example);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Counterexample to TCConsistent, 5 steps:');
    expect(run.stdout).toMatch(/step {2}action {2,}tm {2,}rm1 {2,}rm2 {2,}rm3\n/);
    expect(run.stdout.trimEnd().endsWith('TCConsistent is violated in the last state.')).toBe(true);
    expect(run.stderr).toBe('');
  });

  it('prints the committed Mermaid and HTML renderings for --format mermaid and html', () => {
    const mermaid = inProcess({ file: example, format: 'mermaid' });
    expect(mermaid.stdout).toBe(readFileSync(join(root, 'docs/traces/tm-commits-early.mmd'), 'utf8'));
    const html = inProcess({ file: example, format: 'html' });
    expect(html.stdout).toBe(readFileSync(join(root, 'docs/traces/tm-commits-early.html'), 'utf8'));
  });

  it('takes the output of check --json: the first counterexample, saying there are more; --violation picks another', () => {
    const first = unanimous('trace', checkOutput, '--format', 'mermaid');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('Note over tm,rm3: ✗ TCConsistent violated');
    expect(first.stderr).toContain('holds 2 counterexamples (1. two-phase/broken/tm-commits-early: TCConsistent, 2. another: Other); this is number 1, choose another with --violation N');
    const second = inProcess({ file: checkOutput, format: 'text', violation: 2 });
    expect(second.stdout).toContain('Counterexample to Other in another, 5 steps:');
    expect(second.notes).toContain('this is number 2');
  });

  it('--out writes the file and says so; --format json takes the bare trace out of a check output', () => {
    const out = join(scratch, 'trace.html');
    const run = unanimous('trace', checkOutput, '--format', 'html', '--out', out);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`wrote ${out}`);
    expect(readFileSync(out, 'utf8')).toContain('<title>TCConsistent violated — two-phase/broken/tm-commits-early</title>');
    expect(JSON.parse(inProcess({ file: checkOutput, format: 'json' }).stdout)).toEqual(trace);
  });

  it('reads what simulate --json prints', () => {
    const simulated = file('simulate.json', JSON.stringify({ model: 'm', parameters: {}, result: { verdict: 'violation', violation: { property: 'TCConsistent', kind: 'always', message: 'TCConsistent does not hold', trace, path: '0:1', replay: 'unanimous simulate m' } } }));
    expect(inProcess({ file: simulated, format: 'text' }).stdout).toContain('Counterexample to TCConsistent in m, 5 steps:');
  });

  it.each([
    [['trace'], /trace takes one file, got none/],
    [['trace', '/nonexistent/trace.json'], /no file \/nonexistent\/trace\.json/],
    [['trace', example, '--format', 'png'], /--format takes text, mermaid, html, json, not "png"/],
  ])('exit 2 with one clear line: %j', (args, message) => {
    const run = unanimous(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });

  it.each([
    ['NOT-JSON', {}, /not-json\.txt is not JSON: /],
    ['NOT-A-TRACE', {}, /not-a-trace\.json: expected a trace \(with "initial" and "steps"\)/],
    ['NO-VIOLATION', {}, /no-violation\.json holds no counterexample trace/],
    ['BROKEN-STEP', {}, /broken-step\.json: the trace is not a counterexample trace: steps\[1\]\.action\.kind should be one of/],
    ['CHECK', { violation: 3 }, /--violation 3: .*check\.json holds 2 counterexamples/],
  ] as const)('a bad file is a usage error (exit 2) saying what is wrong: %s', (name, extra, message) => {
    const files: Record<string, string> = {
      'NOT-JSON': file('not-json.txt', 'step 1: deliver Prepare\n'),
      'NOT-A-TRACE': file('not-a-trace.json', '{ "hello": "world" }'),
      'NO-VIOLATION': file('no-violation.json', JSON.stringify([{ model: 'two-phase/tla', result: { verdict: 'ok' } }])),
      'BROKEN-STEP': file('broken-step.json', JSON.stringify({ ...trace, steps: [trace.steps[0], { ...trace.steps[1], action: { kind: 'warp', node: 'tm' } }] })),
      CHECK: checkOutput,
    };
    const run = () => inProcess({ file: files[name]!, format: 'text', ...extra });
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });
});

describe('unanimous chart --format svg', () => {
  it('prints the SVG of one machine', async () => {
    const out: string[] = [];
    expect(await chartCommand({ subject: 'paxos/acceptor', format: 'svg', parameters: {} }, (line) => out.push(line))).toBe(0);
    const svg = out.join('\n');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="unanimous-chart"/);
    expect(svg).toContain('<g class="state atomic" data-state="acceptor.serving">');
    expect(svg.endsWith('</svg>')).toBe(true);
  });
});
