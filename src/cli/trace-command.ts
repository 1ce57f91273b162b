import { writeFileSync } from 'node:fs';
import { type FoundTrace, TraceJsonError, tracesIn, traceTable, traceTableToText, traceToHtml, traceToMermaid, traceToText } from '../inspect/index.ts';
import { readText } from './read-text.ts';
import { UsageError } from './usage-error.ts';

export const TRACE_FORMATS = ['text', 'mermaid', 'html', 'json'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface TraceCommandOptions {
  readonly file: string;
  readonly format: TraceFormat;
  /** Write here instead of to stdout. */
  readonly out?: string;
  /** Which counterexample of a file holding several (1-based); the first when not given. */
  readonly violation?: number;
}

/**
 * `unanimous trace <file.json>`: renders a counterexample saved from `check --json` or
 * `simulate --json` (or a bare trace) as text, a Mermaid sequence diagram or an HTML page, or
 * takes the bare trace out of it as JSON.
 * Exit status 0, or 2 for a file that cannot be read or holds no trace.
 */
export function traceCommand(options: TraceCommandOptions, out: (line: string) => void, note: (line: string) => void): number {
  const all = readTraces(options.file);
  if (options.violation !== undefined && options.violation > all.length) {
    throw new UsageError(`--violation ${options.violation}: ${options.file} holds ${all.length} counterexample${all.length === 1 ? '' : 's'}`);
  }
  const index = (options.violation ?? 1) - 1;
  const found = all[index]!;
  if (all.length > 1) {
    const which = all.map((other, i) => `${i + 1}. ${other.model ? `${other.model}: ` : ''}${other.trace.property}`).join(', ');
    note(`${options.file} holds ${all.length} counterexamples (${which}); this is number ${index + 1}${options.violation === undefined ? ', choose another with --violation N' : ''}`);
  }
  const rendered = render(found, options.format);
  if (options.out !== undefined) {
    try {
      writeFileSync(options.out, rendered);
    } catch (error) {
      throw new UsageError(`cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    note(`wrote ${options.out}`);
  } else {
    out(rendered.trimEnd());
  }
  return 0;
}

export function render(found: FoundTrace, format: TraceFormat): string {
  const { trace, model, message } = found;
  if (format === 'mermaid') return traceToMermaid(trace, message);
  // The bare trace: what a check or simulate output holds, taken out of it.
  if (format === 'json') return `${JSON.stringify(trace, null, 2)}\n`;
  if (format === 'html') return traceToHtml(trace, { ...(model !== undefined ? { model } : {}), ...(message !== undefined ? { message } : {}) });
  const heading = `Counterexample to ${trace.property}${model ? ` in ${model}` : ''}, ${trace.steps.length} step${trace.steps.length === 1 ? '' : 's'}:`;
  const verdict = `${trace.property} is violated${message && message !== `${trace.property} does not hold` ? `: ${message}` : ' in the last state.'}`;
  return `${[heading, traceToText(trace), '', traceTableToText(traceTable(trace)), '', verdict].join('\n')}\n`;
}

/** The counterexamples in a JSON file, each problem with the file said in one line. */
function readTraces(file: string): FoundTrace[] {
  const text = readText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  let found: FoundTrace[];
  try {
    found = tracesIn(json);
  } catch (error) {
    if (error instanceof TraceJsonError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  if (found.length === 0) throw new UsageError(`${file} holds no counterexample trace: no run in it has a violation with a trace`);
  return found;
}
