import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { layoutStatechart, lineWidth, type StateBox } from '../../src/inspect/chart-layout.ts';
import { statechartOf, type ChartState } from '../../src/inspect/statechart.ts';
import { renderStatechartSvg } from '../../src/inspect/svg.ts';
import { textWidth } from '../../src/inspect/text-metrics.ts';
import { MACHINES } from '../../src/cli/machine-catalog.ts';
import { server } from '../../src/protocols/raft/index.ts';
import { transactionManager } from '../../src/protocols/two-phase-commit/index.ts';

const tm = statechartOf(transactionManager);

/** Every state's path from the machine root, outermost first. */
function paths(state: ChartState, path: string): string[] {
  return [path, ...state.states.flatMap((child) => paths(child, `${path}.${child.key}`))];
}

/** The `data-state` of each state group, and of the state group it sits in (by following the nesting of `<g>`s). */
function stateGroups(svg: string): { state: string; parent: string | undefined; classes: string }[] {
  const groups: { state: string; parent: string | undefined; classes: string }[] = [];
  const open: (string | undefined)[] = [];
  for (const tag of svg.matchAll(/<g\b([^>]*)>|<\/g>/g)) {
    if (tag[0] === '</g>') {
      open.pop();
      continue;
    }
    const state = /data-state="([^"]+)"/.exec(tag[1]!)?.[1];
    const classes = /class="([^"]+)"/.exec(tag[1]!)?.[1] ?? '';
    if (state !== undefined && /(^| )state( |$)/.test(classes)) {
      groups.push({ state, parent: [...open].reverse().find((entry) => entry !== undefined), classes });
    }
    open.push(state);
  }
  return groups;
}

describe('statecharts as SVG', () => {
  it('has one <g class="state"> per state, data-state its path, nested as the states are', async () => {
    const svg = await renderStatechartSvg(tm);
    const groups = stateGroups(svg);
    expect(groups.map((group) => group.state)).toEqual(paths(tm.root, 'tm'));
    const parentOf = Object.fromEntries(groups.map((group) => [group.state, group.parent]));
    expect(parentOf['tm']).toBeUndefined();
    expect(parentOf['tm.collecting']).toBe('tm');
    expect(parentOf['tm.committed.awaitingAcks']).toBe('tm.committed');
    expect(parentOf['tm.aborted.announced']).toBe('tm.aborted');
    expect(groups.find((group) => group.state === 'tm.committed')!.classes).toBe('state compound');
    expect(groups.find((group) => group.state === 'tm.booting')!.classes).toBe('state atomic');
  });

  it('labels transitions with event, guard, timer and eventless triggers, and lists entry actions, without internal ids', async () => {
    const svg = await renderStatechartSvg(tm);
    const labels = [...svg.matchAll(/<g class="label" data-from="([^"]+)" data-to="([^"]+)">(.*?)<\/g>/g)].map(([, from, to, body]) => ({
      from,
      to,
      text: [...body!.matchAll(/<tspan class="[a-z]+">([^<]*)<\/tspan>/g)].map((span) => span[1]).join(''),
    }));
    expect(labels).toContainEqual({ from: 'tm.collecting', to: 'tm.committed', text: 'DecideCommit [allPrepared]' });
    expect(labels).toContainEqual({ from: 'tm.collecting', to: 'tm.aborted', text: 'after voteTimeout' });
    expect(labels).toContainEqual({ from: 'tm.collecting', to: 'tm.committed', text: 'always [commitsOnLastVote and allPrepared]' });
    expect(labels).toContainEqual({ from: 'tm.booting', to: 'tm.committed', text: 'always [committedBeforeCrash]' });
    // Targetless transitions and entry actions are listed inside their state's box.
    expect(svg).toContain('<tspan class="event">Prepared</tspan><tspan class="action"> / recordVote</tspan>');
    expect(svg).toContain('<tspan class="keyword">entry</tspan><tspan class="action"> / persistBegun, requestVotes</tspan>');
    // One arrow per transition with a target, one initial dot per compound state.
    expect(svg.match(/<g class="transition"/g)).toHaveLength(15);
    expect(svg.match(/<g class="initial">/g)).toHaveLength(3);
    expect(svg).not.toMatch(/xstate\.|#tm|\bn\d+\b|\be\d+_label\b/);
  });

  it('draws the machine-wide transitions from an "in any state" box, and marks re-entering ones', async () => {
    const svg = await renderStatechartSvg(statechartOf(server));
    expect(svg).toContain('<g class="any-state">');
    expect(svg).toMatch(/<g class="transition" data-from="raft\.\*" data-to="raft\.follower">/);
    expect(svg).toContain('<tspan class="keyword">↻ </tspan><tspan class="keyword">after </tspan><tspan class="event">electionTimeout</tspan>');
    expect(svg).toContain('↻ re-enters its state');
  });

  it('is self-contained: inline style, no ids, no external references, no script', async () => {
    const svg = await renderStatechartSvg(tm);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="unanimous-chart" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    expect(svg).toContain('<style>');
    expect(svg).not.toMatch(/\sid=|href|url\(|<script|@import/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('gives the same bytes for the same chart', async () => {
    const [first, second] = await Promise.all([renderStatechartSvg(tm), renderStatechartSvg(statechartOf(transactionManager))]);
    expect(second).toBe(first);
  });

  it('marks the highlighted states, and only those, active', async () => {
    const svg = await renderStatechartSvg(tm, { highlight: ['tm.committed', 'tm.committed.awaitingAcks'] });
    const active = stateGroups(svg).filter((group) => group.classes.split(' ').includes('active'));
    expect(active.map((group) => group.state)).toEqual(['tm.committed', 'tm.committed.awaitingAcks']);
    expect(svg.replace(/ active"/g, '"')).toBe(await renderStatechartSvg(tm));
  });

  it('draws final states with a double border, and each region of a parallel state as a box of its own', async () => {
    const machine = createMachine({
      id: 'job',
      initial: 'running',
      states: {
        running: {
          type: 'parallel',
          on: { Cancel: 'done' },
          states: {
            upload: { initial: 'sending', states: { sending: { on: { Sent: 'sent' } }, sent: { type: 'final' } } },
            log: { initial: 'writing', states: { writing: {} } },
          },
        },
        done: { type: 'final' },
      },
    });
    const svg = await renderStatechartSvg(statechartOf(machine));
    expect(stateGroups(svg).map((group) => `${group.state} ${group.classes}`)).toEqual([
      'job state root',
      'job.running state compound',
      'job.running.upload state compound',
      'job.running.upload.sending state atomic',
      'job.running.upload.sent state final',
      'job.running.log state compound',
      'job.running.log.writing state atomic',
      'job.done state final',
    ]);
    expect(svg.match(/<rect class="inner"/g)).toHaveLength(2);
    expect(svg).toMatch(/<g class="transition" data-from="job\.running" data-to="job\.done">/);
  });

  it.each(Object.keys(MACHINES))('%s: every state box holds its text, inside its parent, and no two sibling boxes overlap', async (name) => {
    const layout = await layoutStatechart(statechartOf(MACHINES[name]!));
    const check = (box: StateBox) => {
      // Text widths against the box: this also guards the workaround for ELK's transposed minimum size.
      for (const line of box.lines) expect(lineWidth(line) + 24, `${box.path}: ${line.runs.map((run) => run.text).join('')}`).toBeLessThanOrEqual(box.width + 0.5);
      box.children.forEach((child, i) => {
        expect(child.x).toBeGreaterThanOrEqual(box.x);
        expect(child.y).toBeGreaterThanOrEqual(box.y);
        expect(child.x + child.width).toBeLessThanOrEqual(box.x + box.width + 0.5);
        expect(child.y + child.height).toBeLessThanOrEqual(box.y + box.height + 0.5);
        for (const other of box.children.slice(i + 1)) {
          const apart = child.x + child.width <= other.x || other.x + other.width <= child.x || child.y + child.height <= other.y || other.y + other.height <= child.y;
          expect(apart, `${child.path} and ${other.path} overlap`).toBe(true);
        }
        check(child);
      });
    };
    check(layout.root);
  });
});

describe('text widths', () => {
  it('follow Helvetica / Arial / Liberation Sans metrics', () => {
    // Measured with a canvas in Chromium, Liberation Sans: 140.0 px, 182.0 px and 193.7 px.
    expect(textWidth('abcdefghijklmnopqrstuvwxyz', 11)).toBeCloseTo(140.0, 0);
    expect(textWidth('abcdefghijklmnopqrstuvwxyz', 13, 'bold')).toBeCloseTo(182.0, 0);
    expect(textWidth('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 11)).toBeCloseTo(193.7, 0);
  });
});
