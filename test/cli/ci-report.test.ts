import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { githubError } from '../../src/cli/github-annotations.ts';
import { junitXml } from '../../src/cli/junit.ts';
import { duration, progressMeter, QueueTrend } from '../../src/cli/progress-meter.ts';
import { scratchFolder, unanimous } from './own-model.ts';

const scratch = scratchFolder('unanimous-ci-report-');
afterAll(scratch.remove);

/** The test cases of a JUnit report, each with its attributes and what it holds. */
function testCases(xml: string): { name: string; classname: string; body: string }[] {
  return [...xml.matchAll(/<testcase name="([^"]*)" classname="([^"]*)" time="[\d.]+">([\s\S]*?)<\/testcase>/g)].map((m) => ({ name: m[1]!, classname: m[2]!, body: m[3]! }));
}

describe('unanimous check --junit', () => {
  it('one passing test case per model: a complete pass, and a broken variant that shows its recorded violation', () => {
    const report = join(scratch.path, 'reports/check.xml');
    const run = unanimous('check', 'two-phase/tla', 'two-phase/broken/tm-commits-early', '--junit', report);
    expect(run.status).toBe(0);
    const xml = readFileSync(report, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="unanimous check" tests="2" failures="0" errors="0" skipped="0"/);
    const [tla, broken] = testCases(xml);
    expect(tla).toMatchObject({ name: 'two-phase/tla (rms=3)', classname: 'two-phase' });
    expect(tla!.body).toContain('<property name="distinct" value="288"/>');
    expect(tla!.body).not.toContain('<failure');
    expect(broken).toMatchObject({ name: 'two-phase/broken/tm-commits-early (rms=3)', classname: 'two-phase.broken' });
    expect(broken!.body).not.toContain('<failure');
    expect(broken!.body).toMatch(/<system-out>the recorded violation, found: TCConsistent does not hold[^<]*1\. deliver Prepare/);
  });

  it('a departure from the record fails its test case with the reason and the counterexample', () => {
    const early = scratch.ownModel(
      'early',
      `export default defineModel({
  description: 'an early-committing TM, not marked as broken',
  build: () => twoPhaseModel({ ...TWO_PHASE_TLA, rms: 2, tmMachine: tmCommitsBeforeAllVote, properties: (ids) => commitProperties(ids) }),
});`,
    );
    const miscounted = scratch.ownModel(
      'miscounted',
      `export default defineModel({
  description: 'TwoPhase.tla with a wrong record',
  build: () => twoPhaseModel({ ...TWO_PHASE_TLA, rms: 3, properties: (ids) => commitProperties(ids) }),
  expected: () => ({ verdict: 'ok', distinct: 289 }),
});`,
    );
    const report = join(scratch.path, 'departures.xml');
    const run = unanimous('check', early, miscounted, '--junit', report);
    expect(run.status).toBe(1);
    const xml = readFileSync(report, 'utf8');
    expect(xml).toContain('tests="2" failures="2"');
    const [violated, counted] = testCases(xml);
    expect(violated!.classname).toBe('models');
    expect(violated!.body).toMatch(/<failure message="TCommit fails, where the model records nothing \(so every property must hold\)" type="departure">/);
    expect(violated!.body).toMatch(/<failure [^>]*>this step is not a step of TCommit[^<]*1\. deliver Prepare/);
    expect(counted!.body).toContain('<failure message="288 distinct states, where the model records 289" type="departure"></failure>');
  });

  it('a bounded run fails as incomplete, and is skipped (not passed) when --allow-incomplete accepts it', () => {
    const refused = join(scratch.path, 'refused.xml');
    expect(unanimous('check', 'two-phase/tla', '--max-depth', '3', '--junit', refused).status).toBe(1);
    expect(testCases(readFileSync(refused, 'utf8'))[0]!.body).toContain('<failure message="the run stopped at its bound (maxDepth): the recorded 288 states were not all checked" type="incomplete">');

    const accepted = join(scratch.path, 'accepted.xml');
    expect(unanimous('check', 'two-phase/tla', '--max-depth', '3', '--allow-incomplete', '--junit', accepted).status).toBe(0);
    const xml = readFileSync(accepted, 'utf8');
    expect(xml).toContain('tests="1" failures="0" errors="0" skipped="1"');
    expect(testCases(xml)[0]!.body).toContain('<skipped message="the run stopped at its bound (maxDepth): the recorded 288 states were not all checked"/>');
  });

  it('a report that cannot be written is refused before anything runs (exit 2)', () => {
    const file = join(scratch.path, 'a-file');
    writeFileSync(file, '');
    const run = unanimous('check', 'two-phase/tla', '--junit', join(file, 'report.xml'));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`--junit: cannot write in ${file}: not a folder`);
    expect(run.stdout).toBe('');
    expect(unanimous('check', 'two-phase/tla', '--junit', scratch.path).stderr).toContain(`--junit: ${scratch.path} is a folder`);
    expect(existsSync(join(file, 'report.xml'))).toBe(false);
  });

  it('escapes what XML cannot hold', () => {
    const xml = junitXml('s', [{ name: 'a "b" <c> & d', classname: 'x', seconds: 0, failure: { message: 'line 1\nline 2', type: 't', details: 'ends ]]> with \u001b[31mcolour' } }], new Date(0));
    expect(xml).toContain('name="a &quot;b&quot; &lt;c&gt; &amp; d"');
    expect(xml).toContain('message="line 1&#10;line 2"');
    expect(xml).toContain('>ends ]]&gt; with \uFFFD[31mcolour</failure>');
    expect(xml).toContain('timestamp="1970-01-01T00:00:00"');
  });
});

describe('unanimous check --github', () => {
  it('prints an ::error annotation on the model file of each run that does not pass, and none otherwise', () => {
    const bounded = unanimous('check', 'two-phase/tla', 'two-phase/broken/tm-commits-early', '--max-depth', '3', '--github');
    expect(bounded.status).toBe(1);
    const annotations = bounded.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toEqual([
      '::error file=models/two-phase/tla.ts,title=unanimous check two-phase/tla::the run stopped at its bound (maxDepth): the recorded 288 states were not all checked',
      '::error file=models/two-phase/broken/tm-commits-early.ts,title=unanimous check two-phase/broken/tm-commits-early::the run stopped at its bound (maxDepth) without finding the recorded violation of TCConsistent',
    ]);
    const passing = unanimous('check', 'two-phase/tla', 'two-phase/broken/tm-commits-early', '--github');
    expect(passing.status).toBe(0);
    expect(passing.stdout).not.toContain('::error');
  });

  it('escapes data and properties as the Actions toolkit does, and refuses to mix with --json', () => {
    expect(githubError('50% done\nnext', { file: 'a,b:c.ts', title: 't' })).toBe('::error file=a%2Cb%3Ac.ts,title=t::50%25 done%0Anext');
    const mixed = unanimous('check', 'two-phase/tla', '--github', '--json');
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain('--github and --json both write to standard output');
  });
});

describe('progress', () => {
  it('on a terminal, one line redrawn in place, cut to the width and erased at the end; elsewhere plain lines', () => {
    const written: string[] = [];
    const terminal = progressMeter({ isTTY: true, columns: 21, write: (text) => written.push(text) });
    expect(terminal.everyMs).toBe(250);
    terminal.show('short');
    terminal.show('a line longer than twenty columns');
    terminal.end();
    expect(written).toEqual(['\r\u001b[2Kshort', '\r\u001b[2Ka line longer than…', '\r\u001b[2K']);

    const logged: string[] = [];
    const log = progressMeter({ write: (text) => logged.push(text) });
    expect(log.everyMs).toBe(2000);
    log.show('one');
    log.end();
    expect(logged).toEqual(['one\n']);
  });

  it('estimates the time left only while the queue shrinks', () => {
    const trend = new QueueTrend();
    expect(trend.sample(1, 100)).toBeUndefined();
    expect(trend.sample(2, 500)).toBeUndefined(); // growing: no honest estimate
    expect(trend.sample(3, 400)).toBe(4); // shrinking by 100/s, 400 left
    expect(trend.sample(4, 250)).toBeCloseTo(250 / (0.7 * 100 + 0.3 * 150));
    expect(trend.sample(5, 300)).toBeUndefined();
    expect([duration(12.4), duration(185), duration(7800)]).toEqual(['12 s', '3 min 5 s', '2 h 10 min']);
  });

  it('a check of a terminal-less run reports in plain lines on standard error, never on standard output', () => {
    const run = unanimous('check', 'two-phase/tla', '--rms', '4', '--junit', join(scratch.path, 'quiet.xml'));
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('\r');
    expect(run.stderr).not.toContain('\u001b');
  });
});
