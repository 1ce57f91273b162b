import type { Trace, TraceNode } from '../checker/index.ts';
import { canonicalJson } from '../node/index.ts';
import { escapeXml } from './markup.ts';
import { traceTable } from './trace-table.ts';
import { describeEnvelope, stateName } from './trace-text.ts';
import { traceToSequenceSvg } from './trace-svg.ts';
import { SANS_FONT, MONO_FONT } from './text-metrics.ts';

export interface TraceHtmlOptions {
  /** The model the trace came from, shown in the heading. */
  readonly model?: string;
  /** The checker's message about the violation. */
  readonly message?: string;
}

/**
 * A counterexample as one self-contained HTML page, readable offline and safe to mail: the
 * violated property up front, the sequence diagram (inline SVG, see trace-svg.ts), a table of
 * every node's state after each step (numbers linking to the diagram), and the nodes' full final
 * state. Inline CSS only: no script, no fonts or images fetched.
 */
export function traceToHtml(trace: Trace, options: TraceHtmlOptions = {}): string {
  const table = traceTable(trace);
  const steps = trace.steps.length;
  // A recorded run in which every step is allowed has no failing property (see recorded-steps.ts).
  const allowed = trace.property === '';
  const headline = allowed ? 'Recorded run: every step allowed' : `${trace.property} violated`;
  const title = `${headline}${options.model ? ` — ${options.model}` : ''}`;
  const message = options.message && options.message !== `${trace.property} does not hold` ? options.message : undefined;
  const inFlight = trace.initial.messages.map(describeEnvelope);

  const lasso = table.lasso;
  const columns = table.nodes.length + 2;
  const head = `<tr><th class="number">#</th><th>action</th>${table.nodes.map((id) => `<th>${escapeXml(id)}</th>`).join('')}</tr>`;
  const body = table.rows.map((row) => {
    const last = row.step === steps;
    const action =
      row.step === 0
        ? `initial state${inFlight.length > 0 ? `<span class="detail">in flight: ${escapeXml(inFlight.join(', '))}</span>` : ''}`
        : escapeXml(row.action);
    const number = row.step === 0 ? '0' : `<a href="#step-${row.step}">${row.step}</a>`;
    const cells = row.cells.map((cell) => {
      const classes = [cell.changed ? 'changed' : '', cell.crashed ? 'crashed' : ''].filter(Boolean).join(' ');
      const detail = cell.detail ? `<span class="detail" title="${escapeXml(cell.detail)}">${escapeXml(cell.detail)}</span>` : '';
      return `<td${classes ? ` class="${classes}"` : ''}><span class="state">${escapeXml(cell.state)}</span>${detail}</td>`;
    });
    const classes = [last && !allowed ? 'failing' : '', lasso?.cycleStart !== undefined && row.step >= lasso.cycleStart ? 'cycle' : ''].filter(Boolean).join(' ');
    const marker = lasso?.cycleStart === row.step ? `<tr class="lasso"><td colspan="${columns}">${escapeXml(lasso.startText)}</td></tr>\n` : '';
    return `${marker}<tr${classes ? ` class="${classes}"` : ''}><td class="number">${number}</td><td class="action">${action}</td>${cells.join('')}</tr>`;
  });
  if (lasso) body.push(`<tr class="lasso"><td colspan="${columns}">${escapeXml(lasso.endText)}</td></tr>`);

  const finalNodes = trace.final.nodes.map((node) => `<tr><th>${escapeXml(node.id)}</th><td><span class="state">${escapeXml(node.crashed ? 'crashed' : stateName(node.value))}</span></td><td><code>${escapeXml(nodeDetail(node))}</code></td></tr>`);
  const finalMessages = trace.final.messages.map(describeEnvelope);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<header>
<p class="kicker">Unanimous · ${trace.recorded ? 'recorded run' : 'counterexample'}</p>
<h1>${allowed ? '' : '<span class="mark">✗</span> '}${escapeXml(headline)}</h1>
<p class="meta">${options.model ? `model <code>${escapeXml(options.model)}</code> · ` : ''}${steps} step${steps === 1 ? '' : 's'} · ${table.nodes.length} node${table.nodes.length === 1 ? '' : 's'}</p>
</header>
<section class="verdict">${allowed ? 'Every recorded step is a step the model allows.' : lasso ? `<strong>${escapeXml(trace.property)}</strong> fails on this infinite fair behaviour${message ? `: ${escapeXml(message)}` : '.'} ${escapeXml(lasso.stutters ? lasso.endText : `${lasso.startText}; ${lasso.endText}.`)}` : `<strong>${escapeXml(trace.property)}</strong> does not hold ${steps === 0 ? 'in the initial state' : `after step ${steps}`}${message ? `: ${escapeXml(message)}` : '.'}`}</section>
<h2>Sequence</h2>
<figure class="diagram">
${traceToSequenceSvg(trace, options.message).trimEnd()}
</figure>
<h2>Step by step</h2>
<p class="hint">Each node's state after the step; the nodes the step changed are shaded, with what changed beneath.</p>
<div class="scroll">
<table class="steps">
<thead>${head}</thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</div>
<h2>Final state</h2>
<div class="scroll">
<table class="final">
<tbody>
${finalNodes.join('\n')}
</tbody>
</table>
</div>
${finalMessages.length > 0 ? `<p class="hint">In flight: ${escapeXml(finalMessages.join(', '))}</p>\n` : ''}<footer>Rendered by <code>unanimous trace</code>: one file, no script, nothing fetched.</footer>
</body>
</html>
`;
}

/** A node's context (its static configuration left out) and durable state, as compact JSON. */
function nodeDetail(node: TraceNode): string {
  const durable = `durable ${canonicalJson(node.durable)}`;
  if (node.crashed || !node.context || typeof node.context !== 'object') return durable;
  const { config: _config, ...context } = node.context as Record<string, unknown>;
  return `${canonicalJson(context)} · ${durable}`;
}

const STYLE = `:root { color-scheme: light; }
body { font-family: ${SANS_FONT}; color: #0f172a; background: #ffffff; margin: 0 auto; padding: 24px 32px 48px; max-width: 1280px; line-height: 1.45; }
header .kicker { margin: 0; color: #64748b; font-size: 13px; letter-spacing: 0.04em; text-transform: uppercase; }
h1 { margin: 4px 0 2px; font-size: 26px; }
h1 .mark { color: #dc2626; }
h2 { margin: 32px 0 10px; font-size: 18px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
.meta, .hint { color: #475569; margin: 4px 0; font-size: 14px; }
code, .final td code { font-family: ${MONO_FONT}; font-size: 12.5px; }
.verdict { margin: 16px 0 0; padding: 12px 16px; border-left: 5px solid #dc2626; background: #fef2f2; color: #7f1d1d; border-radius: 4px; }
.verdict strong { color: #991b1b; }
.diagram { margin: 0; overflow-x: auto; border: 1px solid #e2e8f0; border-radius: 8px; }
.diagram svg { display: block; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid #e2e8f0; }
thead th { background: #f1f5f9; position: sticky; top: 0; }
td.number, th.number { text-align: right; color: #64748b; width: 2em; }
td.number a { color: #2563eb; text-decoration: none; font-weight: bold; }
td.action { max-width: 360px; overflow-wrap: anywhere; }
table .state { font-weight: bold; white-space: nowrap; }
table .detail { display: block; color: #64748b; font-size: 12px; font-family: ${MONO_FONT}; max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.action .detail { white-space: normal; max-width: none; }
td.changed { background: #eff6ff; }
td.changed .state { color: #1d4ed8; }
td.crashed .state { color: #dc2626; }
tr.failing td { border-top: 2px solid #dc2626; border-bottom: 2px solid #dc2626; background: #fef2f2; }
tr.failing td.changed { background: #fee2e2; }
tr.cycle td.number { border-left: 4px solid #7c3aed; }
tr.lasso td { color: #5b21b6; background: #f5f3ff; font-weight: bold; border-bottom: 1px solid #c4b5fd; }
table.final th { white-space: nowrap; }
table.final td code { overflow-wrap: anywhere; }
footer { margin-top: 40px; color: #94a3b8; font-size: 12.5px; }`;
