import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { check, type Trace } from '../../src/checker/index.ts';
import { openExplorer } from '../../src/cli/explore-command.ts';
import type { ExplorerServer } from '../../src/inspect/explorer/explorer-server.ts';
import { ExplorerSession } from '../../src/inspect/explorer/explorer-session.ts';
import { replayTrace } from '../../src/inspect/explorer/replay.ts';
import commitsEarly from '../../models/two-phase/broken/tm-commits-early.ts';

/**
 * The explorer in a real browser: Debian's Chromium driven by playwright-core (no browser is
 * downloaded; CI installs the chromium package). Screenshots go to test-artifacts/ (gitignored).
 * On a machine without Chromium the suite is skipped with one line saying so, so that `npm test`
 * passes on a fresh machine with only Node; CI sets UNANIMOUS_REQUIRE_BROWSER=1, which turns the
 * skip into a failure, so the browser test always runs there.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const BROWSER_REQUIRED = process.env.UNANIMOUS_REQUIRE_BROWSER === '1';
const RUN = HAVE_CHROMIUM || BROWSER_REQUIRED;
if (!RUN) process.stderr.write(`test/browser: skipped, no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)\n`);
// Functions handed to page.evaluate run in the browser; this project compiles without the DOM
// library, so they reach the page's globals through `globalThis`.
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let browser: Browser | undefined;
let faulty: ExplorerServer | undefined;
let broken: ExplorerServer | undefined;
let page: Page;
/** Uncaught errors in the page's script: none allowed. */
const pageErrors: string[] = [];

/** The counterexample the checker finds, as `unanimous check two-phase/broken/tm-commits-early --json` prints it. */
const result = check(commitsEarly.build({ rms: 3 }));
const trace: Trace = result.violation!.trace!;
const checkJson = JSON.stringify([{ model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 }, result }]);

beforeAll(async () => {
  if (!RUN) return;
  if (!HAVE_CHROMIUM) {
    throw new Error(`UNANIMOUS_REQUIRE_BROWSER=1: the browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium); it is not there`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  faulty = (await openExplorer({ model: 'two-phase/faulty', parameters: {}, port: 0 })).server;
  broken = (await openExplorer({ model: 'two-phase/broken/tm-commits-early', parameters: {}, port: 0 })).server;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 30_000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await faulty?.close();
  await broken?.close();
});

/** Waits until the page shows the state at `path` (the permalink is set once a state is drawn). */
async function shown(path: readonly number[]): Promise<void> {
  const hash = `#path=${path.join('.')}`;
  await page.waitForFunction((hash) => {
    const href = (globalThis as any).document.getElementById('permalink')?.getAttribute('href') ?? '';
    return href === hash || href.startsWith(`${hash}&`);
  }, hash);
}

/** The chart states drawn active, per machine chart (by its data-machine index). */
const activeStates = (machine: number): Promise<string[]> =>
  page.$$eval(`.chart[data-machine="${machine}"] g.state.active`, (groups) => groups.map((g) => (g as any).getAttribute('data-state') as string).sort());

/** The node badges in a state of a chart. */
const badgesIn = (machine: number, state: string): Promise<string[]> =>
  page.$$eval(`.chart[data-machine="${machine}"] g.state[data-state="${state}"] > .node-badge`, (badges) => badges.map((b) => (b as any).getAttribute('data-node') as string).sort());

async function clickAction(label: string): Promise<void> {
  const before = await page.evaluate(() => (globalThis as any).location.hash as string);
  await page.locator('button.action', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) }).click();
  await page.waitForFunction((before) => (globalThis as any).location.hash !== before, before);
  await page.waitForFunction((label) => (globalThis as any).document.querySelector('#path-steps li.current')?.textContent === label, label);
}

describe.runIf(RUN)('the explorer page in Chromium', () => {
  it('steps two-phase/faulty to a commit by clicking actions: the TM is drawn in committed, the RMs in prepared', async () => {
    await page.goto(faulty!.url);
    await shown([]);
    expect(await activeStates(0)).toEqual(['tm.collecting']);
    expect(await badgesIn(1, 'rm.working')).toEqual(['rm1', 'rm2']);
    expect(await page.locator('button.action').count()).toBe(12);

    for (const label of ['deliver Prepare tm→rm1', 'deliver Prepare tm→rm2', 'deliver Prepared rm1→tm', 'deliver Prepared rm2→tm']) await clickAction(label);
    expect(await page.evaluate(() => (globalThis as any).location.hash as string)).toBe('#path=0.1.0.0');
    expect(await activeStates(0)).toEqual(['tm.committed', 'tm.committed.awaitingAcks']);
    expect(await badgesIn(0, 'tm.committed.awaitingAcks')).toEqual(['tm']);
    expect(await badgesIn(1, 'rm.prepared')).toEqual(['rm1', 'rm2']);
    expect(await page.locator('article.node[data-node="tm"] .state-name').textContent()).toBe('committed.awaitingAcks');
    expect(await page.locator('#messages li').allTextContents()).toEqual(['Commit tm→rm1', 'Commit tm→rm2']);
    await page.screenshot({ path: join(ARTIFACTS, 'explorer-two-phase-committed.png'), fullPage: true });

    // The URL names the state: reloading it shows it again.
    await page.reload();
    await shown([0, 1, 0, 0]);
    expect(await activeStates(0)).toEqual(['tm.committed', 'tm.committed.awaitingAcks']);

    await page.locator('#back').click();
    await shown([0, 1, 0]);
    expect(await activeStates(0)).toEqual(['tm.collecting']);
    expect(await page.locator('#path-steps li').allTextContents()).toEqual([
      'initial state',
      'deliver Prepare tm→rm1',
      'deliver Prepare tm→rm2',
      'deliver Prepared rm1→tm',
    ]);
  });

  it('loads the counterexample of two-phase/broken/tm-commits-early and steps through it forwards and back', async () => {
    const session = new ExplorerSession({ name: 'two-phase/broken/tm-commits-early', description: '', parameters: { rms: 3 }, model: commitsEarly.build({ rms: 3 }) });
    const replay = replayTrace(session, { trace });
    expect(replay.mismatch).toBeUndefined();
    /** What the charts must show after `i` steps of the trace: each machine's active states. */
    const expected = (i: number) => {
      const nodes = session.stateReport(replay.path.slice(0, i)).nodes;
      return [0, 1].map((machine) => [...new Set(nodes.filter((node) => node.machine === machine).flatMap((node) => node.activeStates))].sort());
    };
    const drawn = async () => [await activeStates(0), await activeStates(1)];

    await page.goto(broken!.url);
    await shown([]);
    await page.locator('#trace-file').setInputFiles({ name: 'tm-commits-early.json', mimeType: 'application/json', buffer: Buffer.from(checkJson) });
    await page.locator('#trace-panel').waitFor({ state: 'visible' });
    expect(await page.locator('#trace-property').textContent()).toBe('breaking TCConsistent');
    expect(await page.locator('#trace-mismatch').isHidden()).toBe(true);
    expect(await page.locator('#trace-steps li').count()).toBe(trace.steps.length + 1);
    await shown([]);
    expect(await drawn()).toEqual(expected(0));

    for (let i = 1; i <= trace.steps.length; i++) {
      await page.locator('#trace-next').click();
      await shown(replay.path.slice(0, i));
      expect(await drawn()).toEqual(expected(i));
      expect(await page.locator('#trace-position').textContent()).toBe(`step ${i} of ${trace.steps.length}`);
    }
    expect(await page.locator('#trace-next').isDisabled()).toBe(true);
    expect(await page.locator('tr[data-property="TCConsistent"]').getAttribute('data-holds')).toBe('false');
    expect(await activeStates(0)).toContain('tm.committed');
    expect(await activeStates(1)).toEqual(['rm.aborted', 'rm.committed', 'rm.working']);
    await page.screenshot({ path: join(ARTIFACTS, 'explorer-tm-commits-early-violation.png'), fullPage: true });

    for (let i = trace.steps.length - 1; i >= 2; i--) {
      await page.locator('#trace-prev').click();
      await shown(replay.path.slice(0, i));
      expect(await drawn()).toEqual(expected(i));
    }
    expect(await page.locator('tr[data-property="TCConsistent"]').getAttribute('data-holds')).toBe('true');
    expect(await page.evaluate(() => (globalThis as any).location.hash as string)).toBe(`#path=${replay.path.slice(0, 2).join('.')}&trace=${replay.path.join('.')}`);
  });

  it('says so in the page when a trace does not fit the model, or a file is no trace', async () => {
    await page.goto(faulty!.url);
    await shown([]);
    await page.locator('#trace-file').setInputFiles({ name: 'tm-commits-early.json', mimeType: 'application/json', buffer: Buffer.from(checkJson) });
    await page.locator('#trace-mismatch').waitFor({ state: 'visible' });
    expect(await page.locator('#trace-mismatch').textContent()).toContain("The trace does not start in this model's initial state");
    expect(await page.locator('#trace-steps li.unmatched').count()).toBe(trace.steps.length);

    await page.locator('#trace-file').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": "world"}') });
    await page.locator('#message').waitFor({ state: 'visible' });
    expect(await page.locator('#message').textContent()).toBe(
      'notes.json: expected a trace (with "initial" and "steps"), or the output of unanimous check --json or simulate --json',
    );
  });
});
