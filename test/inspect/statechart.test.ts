import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../src/cli/chart-command.ts';
import { statechartToDot } from '../../src/inspect/dot.ts';
import { statechartToMermaid } from '../../src/inspect/mermaid.ts';
import { statechartOf } from '../../src/inspect/statechart.ts';
import { MACHINES } from '../../src/cli/machine-catalog.ts';
import { transactionManager } from '../../src/protocols/two-phase-commit/index.ts';

describe('statecharts read from XState definitions', () => {
  const chart = statechartOf(transactionManager);
  const collecting = chart.root.states.find((s) => s.key === 'collecting')!;

  it('has the states, their nesting and initial states', () => {
    expect(chart.root.states.map((s) => s.key)).toEqual(['booting', 'collecting', 'committed', 'aborted']);
    expect(chart.root.initial).toBe('tm.booting');
    const committed = chart.root.states.find((s) => s.key === 'committed')!;
    expect(committed).toMatchObject({ type: 'compound', initial: 'tm.committed.announcing', entry: ['persistDecision'] });
    expect(committed.states.map((s) => s.key)).toEqual(['announcing', 'awaitingAcks', 'announced']);
  });

  it('names events, timers, eventless transitions, guards (composite ones too) and actions', () => {
    expect(collecting.entry).toEqual(['persistBegun', 'requestVotes']);
    expect(collecting.transitions).toEqual([
      { trigger: 'Prepared', targets: [], actions: ['recordVote'], reenter: false },
      { trigger: 'DecideCommit', guard: 'allPrepared', targets: ['tm.committed'], actions: [], reenter: false },
      { trigger: 'after voteTimeout', targets: ['tm.aborted'], actions: [], reenter: false },
      { trigger: 'always', guard: 'commitsOnLastVote and allPrepared', targets: ['tm.committed'], actions: [], reenter: false },
    ]);
  });

  it('renders Mermaid and DOT with readable labels and no internal ids in them', () => {
    const mermaid = statechartToMermaid(chart);
    expect(mermaid).toContain('stateDiagram-v2');
    expect(mermaid).toContain('state "collecting" as tm_collecting');
    expect(mermaid).toContain('tm_collecting --> tm_aborted : after voteTimeout');
    expect(mermaid).toContain('tm_collecting --> tm_committed : always [commitsOnLastVote and allPrepared]');
    expect(mermaid).not.toMatch(/xstate\./);
    const dot = statechartToDot(chart);
    expect(dot).toMatch(/^digraph "tm" \{/);
    expect(dot).toContain('subgraph "cluster_tm.committed"');
    expect(dot).toContain('"tm.collecting" -> "tm.collecting" [label="Prepared / recordVote"]');
    // An edge into a compound state enters at its initial child.
    expect(dot).toContain('"tm.booting" -> "tm.committed.announcing" [label="always [committedBeforeCrash]", lhead="cluster_tm.committed"]');
  });
});

describe('the charts in docs/charts', () => {
  it.each(Object.keys(MACHINES))('%s is up to date (regenerate with: unanimous chart --write docs/charts)', async (name) => {
    const committed = readFileSync(fileURLToPath(new URL(`../../docs/charts/${name}.mmd`, import.meta.url)), 'utf8');
    expect(await renderChart(MACHINES[name]!, 'mermaid')).toBe(committed);
  });

  it.each(Object.keys(MACHINES))('%s.svg is up to date (regenerate with: unanimous chart --write docs/charts --format svg)', async (name) => {
    const committed = readFileSync(fileURLToPath(new URL(`../../docs/charts/${name}.svg`, import.meta.url)), 'utf8');
    expect(await renderChart(MACHINES[name]!, 'svg')).toBe(committed);
  });
});
