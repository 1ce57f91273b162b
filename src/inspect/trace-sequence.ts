import type { Envelope, Trace } from '../checker/index.ts';
import { canonicalJson, timerDelayName } from '../node/index.ts';
import { lassoOf } from './trace-lasso.ts';
import { changedFields, clip } from './trace-table.ts';
import { isFailover, stateName } from './trace-text.ts';

/**
 * A trace as the items of a sequence diagram, in order: what the Mermaid and the SVG renderings
 * both draw. Each message is drawn when it is delivered (or lost), from sender to receiver.
 */
export type SequenceItem =
  | { readonly kind: 'message'; readonly step: number; readonly from: string; readonly to: string; readonly text: string; readonly lost: boolean }
  | { readonly kind: 'note'; readonly step: number; readonly over: readonly string[]; readonly text: string; readonly tone: NoteTone };

/**
 * What a note says: an event at a node, a node's change of state, the network's doing, the
 * violation, or (`cycle`) where a lasso's cycle starts and where it goes back to.
 */
export type NoteTone = 'timer' | 'spontaneous' | 'crash' | 'restart' | 'network' | 'state' | 'violation' | 'cycle';

/** Emoji for timers and crashes where the viewer surely has an emoji font (Mermaid renderers do). */
export const TIMER_MARK = '⏰';
export const CRASH_MARK = '💥';
export const RESTART_MARK = '↻';
export const LOST_MARK = '✗';
export const DUPLICATE_MARK = '⇉';
export const VIOLATION_MARK = '✗';

/**
 * The participants: the trace's nodes, then any other sender or receiver of a delivered message
 * (a model's client, say), in the order they first appear.
 */
export function participantsOf(trace: Trace): string[] {
  const ids = new Set(trace.initial.nodes.map((node) => node.id));
  for (const { action } of trace.steps) {
    if ('message' in action) ids.add(action.message.from).add(action.message.to);
  }
  return [...ids];
}

/**
 * The items of the diagram. `emoji`: timers and crashes marked ⏰ and 💥; without, in words (an
 * SVG shown where no emoji font is installed would show empty boxes, and its notes are coloured).
 */
export function sequenceOf(trace: Trace, message?: string, options: { emoji: boolean } = { emoji: true }): SequenceItem[] {
  const nodes = participantsOf(trace);
  const items: SequenceItem[] = [];
  const lasso = lassoOf(trace);
  const everyone = [nodes[0]!, nodes[nodes.length - 1]!];
  trace.steps.forEach((step, i) => {
    const number = i + 1;
    const { action } = step;
    if (lasso?.cycleStart === number) items.push({ kind: 'note', step: number, over: everyone, text: lasso.startText, tone: 'cycle' });
    const note = (over: readonly string[], text: string, tone: NoteTone) => items.push({ kind: 'note', step: number, over, text: `${number}. ${text}`, tone });
    switch (action.kind) {
      case 'deliver':
        items.push({ kind: 'message', step: number, from: action.message.from, to: action.message.to, text: `${number}. ${briefMessage(action.message)}`, lost: false });
        break;
      case 'drop':
        items.push({ kind: 'message', step: number, from: action.message.from, to: action.message.to, text: `${number}. ${LOST_MARK} lost: ${briefMessage(action.message)}`, lost: true });
        break;
      case 'duplicate':
        note(ends(action.message, nodes), `${DUPLICATE_MARK} network duplicates ${briefMessage(action.message)}`, 'network');
        break;
      case 'timer':
        note([action.node], options.emoji ? `${TIMER_MARK} ${timerDelayName(action.timer)}` : `timer ${timerDelayName(action.timer)} fires`, 'timer');
        break;
      case 'spontaneous': {
        const { type, ...fields } = action.event;
        note([action.node], `takes ${type}${briefFields(fields)}`, 'spontaneous');
        break;
      }
      case 'crash': {
        const crashes = isFailover(step) ? 'crashes and fails over' : 'crashes';
        note([action.node], options.emoji ? `${CRASH_MARK} ${crashes}` : crashes, 'crash');
        break;
      }
      case 'restart':
        note([action.node], `${RESTART_MARK} restarts from its durable state`, 'restart');
        break;
    }
    for (const { before, after } of step.changed) {
      // A crash is its own note; what a crashed node was is in the table.
      if (after.crashed) continue;
      const parts: string[] = [];
      const was = before.crashed ? 'crashed' : stateName(before.value);
      const now = stateName(after.value);
      if (was !== now) parts.push(`${was} → ${now}`);
      if (!before.crashed) parts.push(...changedFields(before.context, after.context).map((field) => clip(field, 32)));
      if (parts.length > 0) items.push({ kind: 'note', step: number, over: [after.id], text: clip(parts.join(' '), 72), tone: 'state' });
    }
  });
  if (lasso) items.push({ kind: 'note', step: trace.steps.length, over: everyone, text: lasso.endText, tone: 'cycle' });
  const failing = message && message !== `${trace.property} does not hold` ? `: ${message}` : '';
  if (trace.property !== '') items.push({ kind: 'note', step: trace.steps.length, over: everyone, text: clip(`${VIOLATION_MARK} ${trace.property} violated${failing}`, 120), tone: 'violation' });
  return items;
}

/** The sender and receiver, in the participants' order (a note spans from the first to the second). */
function ends(envelope: Envelope, nodes: readonly string[]): string[] {
  const pair = [...new Set([envelope.from, envelope.to])].filter((id) => nodes.includes(id));
  pair.sort((a, b) => nodes.indexOf(a) - nodes.indexOf(b));
  return pair.length > 0 ? pair : [nodes[0]!];
}

/** A message briefly: its type, then its fields as `key=value` (long values cut), the sender and receiver left out. */
export function briefMessage(envelope: Envelope): string {
  const { type, ...fields } = envelope.message;
  const shown = Object.fromEntries(Object.entries(fields).filter(([key, value]) => !((key === 'from' && value === envelope.from) || (key === 'to' && value === envelope.to))));
  return clip(`${type}${briefFields(shown)}`, 64);
}

function briefFields(fields: Record<string, unknown>): string {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  return entries.length === 0 ? '' : ` ${entries.map(([key, value]) => `${key}=${clip(canonicalJson(value), 24)}`).join(' ')}`;
}
