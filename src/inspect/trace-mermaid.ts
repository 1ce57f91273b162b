import type { Trace } from '../checker/index.ts';
import { participantsOf, sequenceOf } from './trace-sequence.ts';

/**
 * A counterexample as a Mermaid `sequenceDiagram`: the nodes as participants, each delivered
 * message an arrow from sender to receiver (a lost one a crossed dashed arrow), timers, crashes,
 * restarts and spontaneous events as notes over their node, each change of state as a note, and
 * the violated property as the last note, over every participant. `message` is the checker's
 * (for a refinement, why the last step is not a step of the spec).
 */
export function traceToMermaid(trace: Trace, message?: string): string {
  const nodes = participantsOf(trace);
  const alias = new Map(nodes.map((id, i) => [id, /^[A-Za-z][\w]*$/.test(id) ? id : `n${i}`]));
  const name = (id: string) => alias.get(id) ?? id;
  const what = trace.recorded ? 'recorded run' : 'counterexample';
  const loop = trace.loopsTo === undefined ? '' : trace.loopsTo >= trace.steps.length ? ', then stutters forever (a lasso)' : `, the last back to step ${trace.loopsTo} (a lasso)`;
  const lines = ['sequenceDiagram', `  %% ${what}${trace.property ? ` to ${trace.property}` : ''}, ${trace.steps.length} step${trace.steps.length === 1 ? '' : 's'}${loop}`];
  for (const id of nodes) lines.push(alias.get(id) === id ? `  participant ${id}` : `  participant ${alias.get(id)} as ${escape(id)}`);
  for (const item of sequenceOf(trace, message)) {
    if (item.kind === 'message') {
      lines.push(`  ${name(item.from)}${item.lost ? '--x' : '->>'}${name(item.to)}: ${escape(item.text)}`);
    } else {
      lines.push(`  Note over ${item.over.map(name).join(',')}: ${escape(item.text)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Text Mermaid reads as syntax written as its entity codes: `;` ends a statement and `#` starts
 * an entity, `<` and `>` could be read as HTML.
 */
function escape(text: string): string {
  return text.replace(/[#;<>]/g, (char) => ({ '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;' })[char]!);
}
