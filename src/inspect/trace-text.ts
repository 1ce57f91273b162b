import type { Envelope, Trace, TraceAction, TraceNode, TraceStep } from '../checker/index.ts';
import { canonicalJson, timerDelayName } from '../node/index.ts';
import { lassoOf } from './trace-lasso.ts';

/** A counterexample as readable text: one numbered line per step, then what changed. */
export function traceToText(trace: Trace): string {
  const lines = [`  0. initial state`];
  for (const node of trace.initial.nodes) lines.push(`       ${node.id}: ${describeNode(node)}`);
  if (trace.initial.messages.length > 0) lines.push(`       in flight: ${trace.initial.messages.map(describeEnvelope).join(', ')}`);
  const lasso = lassoOf(trace);
  trace.steps.forEach((step, i) => {
    if (lasso?.cycleStart === i + 1) lines.push(`  ${lasso.startText}`);
    lines.push(...describeStep(step, i + 1));
  });
  // A recorded run in which every step is allowed has no failing property (see recorded-steps.ts).
  if (lasso) {
    lines.push(`  ${lasso.endText}`);
    lines.push(`  ${lasso.verdictText}; its last state:`);
  } else {
    lines.push(trace.property === '' ? '  final state:' : `  ${trace.property} fails in the last state:`);
  }
  for (const node of trace.final.nodes) lines.push(`       ${node.id}: ${describeNode(node)}`);
  return lines.join('\n');
}

export function describeAction(action: TraceAction): string {
  switch (action.kind) {
    case 'deliver':
      return `deliver ${describeEnvelope(action.message)}`;
    case 'timer':
      return `${action.node}: timer ${timerDelayName(action.timer)} fires`;
    case 'spontaneous': {
      const { type, ...fields } = action.event;
      return `${action.node}: takes ${type}${Object.keys(fields).length > 0 ? ` ${canonicalJson(fields)}` : ''}`;
    }
    case 'crash':
      return `${action.node}: crashes`;
    case 'restart':
      return `${action.node}: restarts from its durable state`;
    case 'drop':
      return `network: loses ${describeEnvelope(action.message)}`;
    case 'duplicate':
      return `network: duplicates ${describeEnvelope(action.message)}`;
  }
}

/**
 * Whether a step is a failover (FaultBudgets.failover): a crash after which the node is not down
 * (its state may even be unchanged: an abstract replica comes back as it was).
 */
export const isFailover = (step: TraceStep): boolean =>
  step.action.kind === 'crash' && !step.changed.some((change) => change.after.id === step.action.node && change.after.crashed);

function describeStep(step: TraceStep, number: number): string[] {
  const action = isFailover(step) ? `${step.action.node}: crashes and fails over (restarts from its durable state at once)` : describeAction(step.action);
  const lines = [`${String(number).padStart(3)}. ${action}`];
  for (const { before, after } of step.changed) {
    lines.push(`       ${after.id}: ${describeChange(before, after)}`);
  }
  if (step.sent.length > 0) lines.push(`       sends: ${step.sent.map(describeEnvelope).join(', ')}`);
  return lines;
}

export function describeEnvelope(envelope: Envelope): string {
  const { type, ...fields } = envelope.message;
  const body = Object.keys(fields).length > 0 ? ` ${canonicalJson(fields)}` : '';
  return `${type}${body} ${envelope.from}→${envelope.to}`;
}

function describeNode(node: TraceNode): string {
  if (node.crashed) return `crashed, durable ${canonicalJson(node.durable)}`;
  return `${stateName(node.value)}${describeContext(node.context)}`.trimStart();
}

function describeChange(before: TraceNode, after: TraceNode): string {
  const from = before.crashed ? 'crashed' : stateName(before.value);
  const to = after.crashed ? 'crashed' : stateName(after.value);
  // A machine with no named states (its value is {}) has no state to show, only its context.
  const parts = from === '' && to === '' ? [] : [`${from} → ${to}`];
  if (!before.crashed && !after.crashed) {
    const changes = changedFields(before.context, after.context);
    if (changes) parts.push(changes);
  }
  if (canonicalJson(before.durable) !== canonicalJson(after.durable)) parts.push(`durable ${canonicalJson(after.durable)}`);
  return parts.length > 0 ? parts.join('; ') : 'no change';
}

/** A state value as a path: `committed.awaitingAcks`. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => `${key}.${stateName(child)}`)
      .join(' | ');
  }
  return String(value);
}

/** Context fields worth showing: everything but the static configuration. */
function describeContext(context: unknown): string {
  const fields = interestingFields(context);
  return fields.length === 0 ? '' : ` ${fields.map(([key, value]) => `${key}=${canonicalJson(value)}`).join(' ')}`;
}

function changedFields(before: unknown, after: unknown): string {
  const old = new Map(interestingFields(before));
  return interestingFields(after)
    .filter(([key, value]) => canonicalJson(old.get(key)) !== canonicalJson(value))
    .map(([key, value]) => `${key}=${canonicalJson(value)}`)
    .join(' ');
}

function interestingFields(context: unknown): [string, unknown][] {
  if (!context || typeof context !== 'object') return [];
  return Object.entries(context as Record<string, unknown>).filter(([key, value]) => key !== 'config' && value !== undefined);
}
