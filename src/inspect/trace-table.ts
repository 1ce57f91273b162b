import type { Trace, TraceNode } from '../checker/index.ts';
import { canonicalJson } from '../node/index.ts';
import { lassoOf, type LassoMarks } from './trace-lasso.ts';
import { describeAction, stateName } from './trace-text.ts';

/** One node's state after a step. */
export interface TraceCell {
  /** The state value as a path (`committed.announcing`), or `crashed`. */
  readonly state: string;
  readonly crashed: boolean;
  /** Whether the step changed this node (its state, context or durable state). */
  readonly changed: boolean;
  /** What the step changed besides the state: `prepared=["rm1"]`, `durable {...}`; empty when nothing. */
  readonly detail: string;
}

export interface TraceRow {
  /** 0 for the initial state, then 1, 2, … */
  readonly step: number;
  readonly action: string;
  /** One cell per node, in the order of `TraceTable.nodes`. */
  readonly cells: readonly TraceCell[];
}

export interface TraceTable {
  readonly nodes: readonly string[];
  readonly rows: readonly TraceRow[];
  /** For a lasso: where its cycle starts and where it goes back to. */
  readonly lasso?: LassoMarks;
}

/** The trace as a table: a row per step (the initial state first), each node's state after it. */
export function traceTable(trace: Trace): TraceTable {
  const nodes = trace.initial.nodes.map((node) => node.id);
  let current = new Map(trace.initial.nodes.map((node) => [node.id, node]));
  const rows: TraceRow[] = [{ step: 0, action: 'initial state', cells: nodes.map((id) => cellOf(current.get(id)!, undefined)) }];
  trace.steps.forEach((step, i) => {
    const before = new Map(step.changed.map((change) => [change.after.id, change.before]));
    current = new Map(current);
    for (const { after } of step.changed) current.set(after.id, after);
    rows.push({ step: i + 1, action: describeAction(step.action), cells: nodes.map((id) => cellOf(current.get(id)!, before.get(id))) });
  });
  const lasso = lassoOf(trace);
  return { nodes, rows, ...(lasso ? { lasso } : {}) };
}

function cellOf(node: TraceNode, before: TraceNode | undefined): TraceCell {
  const state = node.crashed ? 'crashed' : stateName(node.value);
  if (!before) return { state, crashed: node.crashed, changed: false, detail: '' };
  const details: string[] = [];
  if (!node.crashed && !before.crashed) details.push(...changedFields(before.context, node.context));
  if (canonicalJson(before.durable) !== canonicalJson(node.durable)) details.push(`durable ${canonicalJson(node.durable)}`);
  return { state, crashed: node.crashed, changed: true, detail: details.join(' ') };
}

/** `key=value` for each context field the step changed (the static `config` left out). */
export function changedFields(before: unknown, after: unknown): string[] {
  const old = new Map(fieldsOf(before));
  return fieldsOf(after)
    .filter(([key, value]) => canonicalJson(old.get(key)) !== canonicalJson(value))
    .map(([key, value]) => `${key}=${canonicalJson(value)}`);
}

function fieldsOf(context: unknown): [string, unknown][] {
  if (!context || typeof context !== 'object') return [];
  return Object.entries(context as Record<string, unknown>).filter(([key, value]) => key !== 'config' && value !== undefined);
}

const ACTION_COLUMN = 44;

/**
 * The table as aligned text: the step, the action (cut to fit; the full text is in the trace
 * above it), then each node's state, `*` marking the nodes the step changed.
 */
export function traceTableToText(table: TraceTable): string {
  const header = ['step', 'action', ...table.nodes];
  const { lasso } = table;
  // ↻ marks the steps of a lasso's cycle.
  const inCycle = (step: number) => lasso?.cycleStart !== undefined && step >= lasso.cycleStart;
  const rows = table.rows.map((row) => [
    `${inCycle(row.step) ? '↻ ' : ''}${row.step}`,
    clip(row.action, ACTION_COLUMN),
    ...row.cells.map((cell) => `${cell.state}${cell.changed ? ' *' : ''}`),
  ]);
  const widths = header.map((title, i) => Math.max([...title].length, ...rows.map((row) => [...row[i]!].length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]! + cell.length - [...cell].length))).join('  ').trimEnd();
  const notes = ['(* the step changed this node)'];
  if (lasso) notes.push(lasso.stutters ? `(${lasso.endText})` : `(↻ the cycle: steps ${lasso.cycleStart}–${table.rows.length - 1} repeat forever, back to step ${lasso.loopsTo})`);
  return [line(header), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line), ...notes].join('\n');
}

/** `text` cut to `max` characters, an ellipsis marking the cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
