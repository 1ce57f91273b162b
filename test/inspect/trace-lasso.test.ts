import { describe, expect, it } from 'vitest';
import { check, eventually, type Model, type Trace } from '../../src/checker/index.ts';
import { ExplorerSession } from '../../src/inspect/explorer/explorer-session.ts';
import { replayTrace } from '../../src/inspect/explorer/replay.ts';
import { readTraceDocument } from '../../src/inspect/explorer/trace-document.ts';
import { traceToHtml } from '../../src/inspect/trace-html.ts';
import { tracesIn } from '../../src/inspect/trace-json.ts';
import { traceToMermaid } from '../../src/inspect/trace-mermaid.ts';
import { traceToSequenceSvg } from '../../src/inspect/trace-svg.ts';
import { traceTable, traceTableToText } from '../../src/inspect/trace-table.ts';
import { traceToText } from '../../src/inspect/trace-text.ts';
import { graphNode } from '../checker/graph-machine.ts';

// s0 → s1 ⇄ s2 forever (a cycle back to step 1), or s0 → s1 and stuck (a stutter).
const cycling: Model = {
  nodes: [graphNode('n', { s0: { Step: 's1' }, s1: { Step: 's2' }, s2: { Step: 's1' } }, 's0')],
  network: 'multiset',
  fairness: { weak: ['spontaneous'] },
  properties: [eventually('Done', () => false)],
};
const stuck: Model = { ...cycling, nodes: [graphNode('n', { s0: { Step: 's1' }, s1: {} }, 's0')] };
const lassoOf = (model: Model): Trace => check(model).violation!.trace!;

describe('a lasso in every rendering', () => {
  it('text: the cycle marked where it starts, and where it goes back to', () => {
    const text = traceToText(lassoOf(cycling));
    const lines = text.split('\n');
    const start = lines.indexOf('  ↻ cycle starts here: steps 2–3 repeat forever');
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toBe('  2. n: takes Step');
    expect(text).toContain('  ↺ back to step 1: the last state is the state after step 1\n  Done fails on this infinite fair behaviour; its last state:');
    expect(traceToText(lassoOf(stuck))).toContain('  ⟲ stays in this state forever (stutters): no fair action is enabled here');
    expect(traceToText(lassoOf(stuck))).not.toContain('cycle starts here');
  });

  it('the table marks the cycle\'s rows; Mermaid and SVG draw notes at both ends', () => {
    const trace = lassoOf(cycling);
    const table = traceTableToText(traceTable(trace));
    expect(table).toMatch(/^ ↻ 2 {2}n: takes Step/m);
    expect(table).toMatch(/^ ↻ 3 {2}n: takes Step/m);
    expect(table).toMatch(/^ {3}1 {2}n: takes Step/m);
    expect(table).toContain('(↻ the cycle: steps 2–3 repeat forever, back to step 1)');
    const mermaid = traceToMermaid(trace);
    expect(mermaid).toContain('%% counterexample to Done, 3 steps, the last back to step 1 (a lasso)');
    expect(mermaid).toContain('Note over n,n: ↻ cycle starts here: steps 2–3 repeat forever');
    expect(mermaid).toContain('Note over n,n: ↺ back to step 1: the last state is the state after step 1');
    expect(mermaid.indexOf('cycle starts here')).toBeLessThan(mermaid.indexOf('2. takes Step'));
    const svg = traceToSequenceSvg(trace);
    expect(svg).toContain('note-cycle');
    expect(svg).toContain('↻ cycle starts here');
  });

  it('HTML: a marker row before the cycle, the cycle\'s rows set apart, and the verdict says it loops', () => {
    const html = traceToHtml(lassoOf(cycling));
    expect(html).toContain('<tr class="lasso"><td colspan="3">↻ cycle starts here: steps 2–3 repeat forever</td></tr>');
    expect(html.match(/<tr class="cycle">|<tr class="failing cycle">/g)).toHaveLength(2);
    expect(html).toContain('<strong>Done</strong> fails on this infinite fair behaviour.');
  });

  it('JSON keeps loopsTo; a loopsTo out of range is refused', () => {
    const trace = lassoOf(cycling);
    expect(tracesIn(JSON.parse(JSON.stringify(trace)))[0]!.trace.loopsTo).toBe(1);
    expect(() => tracesIn({ ...trace, loopsTo: 9 })).toThrow(/"loopsTo" should be the step a lasso's cycle goes back to \(0\.\.3\)/);
  });

  it('the explorer replays a lasso and passes its marks to the page', () => {
    const session = new ExplorerSession({ name: 'cycling', description: '', parameters: {}, model: cycling });
    const replay = replayTrace(session, readTraceDocument(JSON.parse(JSON.stringify(lassoOf(cycling)))));
    expect(replay.path).toHaveLength(3);
    expect(replay.lasso).toEqual({ cycleStart: 2, startText: '↻ cycle starts here: steps 2–3 repeat forever', endText: '↺ back to step 1: the last state is the state after step 1' });
    const stutter = replayTrace(new ExplorerSession({ name: 'stuck', description: '', parameters: {}, model: stuck }), readTraceDocument(lassoOf(stuck)));
    expect(stutter.lasso).toEqual({ startText: '', endText: '⟲ stays in this state forever (stutters): no fair action is enabled here' });
  });
});
