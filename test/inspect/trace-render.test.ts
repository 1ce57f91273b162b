import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check, type Envelope, type Trace, type TraceNode } from '../../src/checker/index.ts';
import { render } from '../../src/cli/trace-command.ts';
import { traceToHtml } from '../../src/inspect/trace-html.ts';
import { tracesIn, TraceJsonError } from '../../src/inspect/trace-json.ts';
import { traceToMermaid } from '../../src/inspect/trace-mermaid.ts';
import { traceToSequenceSvg } from '../../src/inspect/trace-svg.ts';
import { traceTable, traceTableToText } from '../../src/inspect/trace-table.ts';
import tmCommitsEarly from '../../models/two-phase/broken/tm-commits-early.ts';

const docs = (file: string) => fileURLToPath(new URL(`../../docs/traces/${file}`, import.meta.url));
/** The counterexample of two-phase/broken/tm-commits-early, as committed in docs/traces. */
const known = JSON.parse(readFileSync(docs('tm-commits-early.json'), 'utf8')) as Trace;

describe('a counterexample as a table', () => {
  it('has a row per step with every node\'s state after it, the changed ones marked', () => {
    const table = traceTable(known);
    expect(table.nodes).toEqual(['tm', 'rm1', 'rm2', 'rm3']);
    expect(table.rows.map((row) => [row.step, row.action, ...row.cells.map((cell) => `${cell.state}${cell.changed ? '*' : ''}`)])).toEqual([
      [0, 'initial state', 'collecting', 'working', 'working', 'working'],
      [1, 'deliver Prepare tm→rm1', 'collecting', 'prepared*', 'working', 'working'],
      [2, 'deliver Prepared rm1→tm', 'collecting*', 'prepared', 'working', 'working'],
      [3, 'tm: takes DecideCommit', 'committed.announced*', 'prepared', 'working', 'working'],
      [4, 'deliver Commit tm→rm1', 'committed.announced', 'committed*', 'working', 'working'],
      [5, 'rm2: takes ChooseToAbort', 'committed.announced', 'committed', 'aborted*', 'working'],
    ]);
    expect(table.rows[2]!.cells[0]!.detail).toBe('prepared=["rm1"]');
    expect(table.rows[1]!.cells[1]!.detail).toBe('durable {"rmState":"prepared"}');
    const text = traceTableToText(table);
    expect(text.split('\n')[0]).toMatch(/^step {2}action {2,}tm {2,}rm1 {2,}rm2 {2,}rm3$/);
    expect(text).toMatch(/\n {3}5 {2}rm2: takes ChooseToAbort {2,}committed\.announced {2,}committed {2,}aborted \* {2,}working\n/);
  });

  it('unanimous trace --format text: the steps, the table, and the failing property last', () => {
    const text = render({ trace: known, model: 'two-phase/broken/tm-commits-early', message: 'TCConsistent does not hold' }, 'text');
    expect(text.startsWith('Counterexample to TCConsistent in two-phase/broken/tm-commits-early, 5 steps:\n  0. initial state\n')).toBe(true);
    expect(text).toContain('  5. rm2: takes ChooseToAbort\n');
    expect(text).toContain('(* the step changed this node)');
    expect(text.trimEnd().split('\n').at(-1)).toBe('TCConsistent is violated in the last state.');
  });
});

describe('a counterexample as a Mermaid sequence diagram', () => {
  it('draws deliveries as arrows, spontaneous events and changes of state as notes, the violation last', () => {
    expect(traceToMermaid(known).split('\n')).toEqual([
      'sequenceDiagram',
      '  %% counterexample to TCConsistent, 5 steps',
      '  participant tm',
      '  participant rm1',
      '  participant rm2',
      '  participant rm3',
      '  tm->>rm1: 1. Prepare',
      '  Note over rm1: working → prepared',
      '  rm1->>tm: 2. Prepared',
      '  Note over tm: prepared=["rm1"]',
      '  Note over tm: 3. takes DecideCommit',
      '  Note over tm: collecting → committed.announced',
      '  tm->>rm1: 4. Commit',
      '  Note over rm1: prepared → committed',
      '  Note over rm2: 5. takes ChooseToAbort',
      '  Note over rm2: working → aborted',
      '  Note over tm,rm3: ✗ TCConsistent violated',
      '',
    ]);
  });

  it('marks timers, losses, duplicates, crashes and restarts, and gives the checker\'s message', () => {
    const lines = traceToMermaid(faults, 'this step is not a step of Spec').split('\n');
    expect(lines).toEqual([
      'sequenceDiagram',
      '  %% counterexample to Safe, 6 steps',
      '  participant a',
      '  participant b',
      '  Note over a: 1. ⏰ pingTimeout',
      '  Note over a: sent=1',
      '  a--xb: 2. ✗ lost: Ping n=1',
      '  Note over a,b: 3. ⇉ network duplicates Ping n=1',
      '  Note over b: 4. 💥 crashes',
      '  Note over b: 5. ↻ restarts from its durable state',
      '  Note over b: crashed → idle',
      '  a->>b: 6. Ping n=1',
      '  Note over b: idle → ponged got=1',
      '  Note over a,b: ✗ Safe violated: this step is not a step of Spec',
      '',
    ]);
  });

  it('writes characters Mermaid reads as syntax as entity codes, and gives awkward node ids aliases', () => {
    const odd = { ...faults, initial: { ...faults.initial, nodes: [node('node-1', 'idle'), node('b', 'idle')] } };
    const mermaid = traceToMermaid(odd, 'a; b # c');
    expect(mermaid).toContain('  participant n0 as node-1\n');
    expect(mermaid).toContain('✗ Safe violated: a#59; b #35; c');
  });
});

describe('a counterexample as SVG and HTML', () => {
  it('draws lifelines, arrows and notes in a self-contained SVG, a dotted lifeline while a node is down', () => {
    const svg = traceToSequenceSvg(faults);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="unanimous-trace"/);
    expect(svg).not.toMatch(/href|url\(|<script/);
    expect(svg.match(/<g class="participant">/g)).toHaveLength(4);
    expect(svg.match(/<g class="step" id="step-\d+">/g)).toHaveLength(6);
    expect(svg).toContain('<g class="message lost">');
    expect(svg).toContain('>6. Ping n=1</text>');
    expect(svg).toContain('<g class="note note-timer">');
    expect(svg).toContain('>1. timer pingTimeout fires</text>');
    expect(svg).toContain('<g class="note note-crash">');
    expect(svg).toContain('<g class="note note-violation">');
    // b is down through step 4's band and back by step 5: no whole step spent down, so no dotted segment...
    expect(svg).not.toContain('lifeline down');
    // ...but a node down for a whole step has one.
    const longer = { ...faults, steps: [...faults.steps.slice(0, 4), faults.steps[0]!, ...faults.steps.slice(4)] };
    expect(traceToSequenceSvg(longer)).toContain('<line class="lifeline down"');
  });

  it('is one offline page: the diagram inline, the step table, the failing property highlighted', () => {
    const html = traceToHtml(known, { model: 'two-phase/broken/tm-commits-early', message: 'TCConsistent does not hold' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/);
    expect(html).toContain('<title>TCConsistent violated — two-phase/broken/tm-commits-early</title>');
    expect(html).toContain('<section class="verdict"><strong>TCConsistent</strong> does not hold after step 5.</section>');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="unanimous-trace"');
    expect(html).toContain('<thead><tr><th class="number">#</th><th>action</th><th>tm</th><th>rm1</th><th>rm2</th><th>rm3</th></tr></thead>');
    expect(html).toContain(
      '<tr class="failing"><td class="number"><a href="#step-5">5</a></td><td class="action">rm2: takes ChooseToAbort</td><td><span class="state">committed.announced</span></td><td><span class="state">committed</span></td><td class="changed"><span class="state">aborted</span>',
    );
    expect(html.match(/<tr class="failing">/g)).toHaveLength(1);
  });
});

describe('reading counterexamples from JSON', () => {
  const run = (model: string, trace?: Trace) => ({ model, result: { verdict: trace ? 'violation' : 'ok', ...(trace ? { violation: { property: trace.property, message: `${trace.property} does not hold`, trace } } : {}) } });

  it('takes a bare trace, a violation, a simulate or check run, and a list of check runs', () => {
    expect(tracesIn(known)).toEqual([{ trace: known }]);
    expect(tracesIn({ property: 'TCConsistent', message: 'm', trace: known })).toEqual([{ trace: known, message: 'm' }]);
    expect(tracesIn(run('x', known))).toEqual([{ trace: known, model: 'x', message: 'TCConsistent does not hold' }]);
    const found = tracesIn([run('ok-model'), run('first', known), run('second', faults)]);
    expect(found.map((f) => [f.model, f.trace.property])).toEqual([
      ['first', 'TCConsistent'],
      ['second', 'Safe'],
    ]);
    expect(tracesIn([run('ok-model')])).toEqual([]);
  });

  it.each([
    [42, /expected a JSON object/],
    [[], /an empty list/],
    [{ hello: 1 }, /expected a trace \(with "initial" and "steps"\), or the output of unanimous check --json or simulate --json/],
    [[{ model: 'x' }], /item 1 of the list is not a run of unanimous check --json/],
    [{ ...known, steps: 'many' }, /"steps" should be a list/],
    [{ ...known, property: 3 }, /"property" should be the name of the property/],
    [{ ...known, steps: [{ ...known.steps[0]!, action: { kind: 'teleport', node: 'tm' } }] }, /steps\[0\]\.action\.kind should be one of deliver, timer/],
    [{ ...known, initial: { nodes: [{ id: 'tm' }], messages: [] } }, /"initial"\.nodes\[0\] should be a node/],
    [{ model: 'x', result: { violation: { trace: { ...known, final: null } } } }, /the violation's trace is not a counterexample trace: "final" should be a state/],
  ])('refuses %j with a message saying what is wrong', (json, message) => {
    expect(() => tracesIn(json)).toThrow(TraceJsonError);
    expect(() => tracesIn(json)).toThrow(message);
  });
});

describe('the example in docs/traces', () => {
  it('is the counterexample the checker finds in two-phase/broken/tm-commits-early (regenerate: see docs/traces)', () => {
    const result = check(tmCommitsEarly.build({ rms: 3 }));
    expect(result.violation?.trace).toEqual(known);
  });

  it.each([
    ['tm-commits-early.mmd', 'mermaid'],
    ['tm-commits-early.html', 'html'],
  ] as const)('%s is up to date (regenerate with: unanimous trace docs/traces/tm-commits-early.json --format %s --out docs/traces/%s)', (file, format) => {
    expect(render({ trace: known }, format)).toBe(readFileSync(docs(file), 'utf8'));
  });
});

function node(id: string, value: string, context: Record<string, unknown> = {}, crashed = false): TraceNode {
  return crashed ? { id, crashed, durable: {}, timers: [] } : { id, crashed, value, context, durable: {}, timers: [] };
}

const ping: Envelope = { from: 'a', to: 'b', message: { type: 'Ping', n: 1 } };

/** A hand-made trace with every kind of fault: a timer, a loss, a duplicate, a crash and a restart, then a delivery. */
const faults: Trace = {
  property: 'Safe',
  initial: { nodes: [node('a', 'idle', { sent: 0 }), node('b', 'idle')], messages: [] },
  steps: [
    { action: { kind: 'timer', node: 'a', timer: 'xstate.after.pingTimeout.a.idle' }, changed: [{ before: node('a', 'idle', { sent: 0 }), after: node('a', 'idle', { sent: 1 }) }], sent: [ping] },
    { action: { kind: 'drop', node: 'b', message: ping }, changed: [], sent: [] },
    { action: { kind: 'duplicate', node: 'b', message: ping }, changed: [], sent: [] },
    { action: { kind: 'crash', node: 'b' }, changed: [{ before: node('b', 'idle'), after: node('b', '', {}, true) }], sent: [] },
    { action: { kind: 'restart', node: 'b' }, changed: [{ before: node('b', '', {}, true), after: node('b', 'idle') }], sent: [] },
    { action: { kind: 'deliver', node: 'b', message: ping }, changed: [{ before: node('b', 'idle'), after: node('b', 'ponged', { got: 1 }) }], sent: [] },
  ],
  final: { nodes: [node('a', 'idle', { sent: 1 }), node('b', 'ponged', { got: 1 })], messages: [] },
};
