import type { Trace, TraceAction } from '../checker/index.ts';

/** JSON that holds no usable trace: the message says what was expected, or what is wrong where. */
export class TraceJsonError extends Error {
  override readonly name = 'TraceJsonError';
}

/** A counterexample found in a JSON document, with what the document says about it. */
export interface FoundTrace {
  readonly trace: Trace;
  /** The model it came from, when the document names it (check and simulate output do). */
  readonly model?: string;
  /** The checker's message (`TCConsistent does not hold`, or why a step is not a refinement step). */
  readonly message?: string;
}

/**
 * Every counterexample in a JSON document, in document order. Accepted: a Trace itself
 * (src/checker/trace.ts); a violation (`{ property, message, trace }`); the output of
 * `unanimous simulate --json` or one run of `unanimous check --json` (`{ model, result: { violation } }`);
 * and the whole `check --json` output, a list of runs (a run without a violation has no trace).
 */
export function tracesIn(json: unknown): FoundTrace[] {
  if (Array.isArray(json)) {
    if (json.length === 0) throw new TraceJsonError('an empty list: expected the output of unanimous check --json, or a trace');
    return json.flatMap((run, i) => {
      if (!isRecord(run) || !isRecord(run.result)) throw new TraceJsonError(`item ${i + 1} of the list is not a run of unanimous check --json (no "result")`);
      return tracesOfRun(run, `item ${i + 1}: `);
    });
  }
  if (!isRecord(json)) throw new TraceJsonError('expected a JSON object: a trace, or the output of unanimous check --json or simulate --json');
  if ('steps' in json || 'initial' in json) return [{ trace: validTrace(json, 'the trace') }];
  if (isRecord(json.trace)) return [foundIn(json, undefined, '')];
  if (isRecord(json.result)) return tracesOfRun(json, '');
  throw new TraceJsonError('expected a trace (with "initial" and "steps"), or the output of unanimous check --json or simulate --json');
}

function tracesOfRun(run: Record<string, unknown>, where: string): FoundTrace[] {
  const result = run.result as Record<string, unknown>;
  const model = typeof run.model === 'string' ? run.model : undefined;
  // A goal never reached is a violation without a trace: nothing to draw.
  if (!isRecord(result.violation) || result.violation.trace === undefined) return [];
  return [foundIn(result.violation, model, where)];
}

function foundIn(violation: Record<string, unknown>, model: string | undefined, where: string): FoundTrace {
  const trace = validTrace(violation.trace, `${where}the violation's trace`);
  return { trace, ...(model !== undefined ? { model } : {}), ...(typeof violation.message === 'string' ? { message: violation.message } : {}) };
}

const ACTION_KINDS: ReadonlySet<string> = new Set<TraceAction['kind']>(['deliver', 'timer', 'spontaneous', 'crash', 'restart', 'drop', 'duplicate']);

/** Checks the shape the renderers rely on, naming the first place that does not fit. */
function validTrace(value: unknown, what: string): Trace {
  const fail = (path: string, expected: string): never => {
    throw new TraceJsonError(`${what} is not a counterexample trace: ${path} should be ${expected}`);
  };
  if (!isRecord(value)) return fail('it', 'an object');
  if (typeof value.property !== 'string') fail('"property"', 'the name of the property');
  checkState(value.initial, '"initial"', fail);
  checkState(value.final, '"final"', fail);
  if (!Array.isArray(value.steps)) return fail('"steps"', 'a list');
  value.steps.forEach((step: unknown, i) => {
    const at = `steps[${i}]`;
    if (!isRecord(step)) return fail(at, 'an object');
    const action = step.action;
    if (!isRecord(action) || typeof action.kind !== 'string' || !ACTION_KINDS.has(action.kind)) {
      return fail(`${at}.action.kind`, `one of ${[...ACTION_KINDS].join(', ')}`);
    }
    if (typeof action.node !== 'string') fail(`${at}.action.node`, 'a node id');
    if ((action.kind === 'deliver' || action.kind === 'drop' || action.kind === 'duplicate') && !isEnvelope(action.message)) {
      fail(`${at}.action.message`, 'a message envelope ({ from, to, message: { type } })');
    }
    if (action.kind === 'timer' && typeof action.timer !== 'string') fail(`${at}.action.timer`, 'a timer name');
    if (action.kind === 'spontaneous' && !(isRecord(action.event) && typeof action.event.type === 'string')) fail(`${at}.action.event`, 'an event with a type');
    if (!Array.isArray(step.changed)) return fail(`${at}.changed`, 'a list');
    step.changed.forEach((change: unknown, j) => {
      if (!isRecord(change)) return fail(`${at}.changed[${j}]`, 'an object');
      checkNode(change.before, `${at}.changed[${j}].before`, fail);
      checkNode(change.after, `${at}.changed[${j}].after`, fail);
    });
    if (!Array.isArray(step.sent) || !step.sent.every(isEnvelope)) fail(`${at}.sent`, 'a list of message envelopes');
  });
  if (value.loopsTo !== undefined && !(Number.isInteger(value.loopsTo) && (value.loopsTo as number) >= 0 && (value.loopsTo as number) <= value.steps.length)) {
    fail('"loopsTo"', `the step a lasso's cycle goes back to (0..${value.steps.length})`);
  }
  return value as unknown as Trace;
}

type Fail = (path: string, expected: string) => never;

function checkState(value: unknown, path: string, fail: Fail): void {
  if (!isRecord(value)) return fail(path, 'a state ({ nodes, messages })');
  if (!Array.isArray(value.nodes) || value.nodes.length === 0) return fail(`${path}.nodes`, 'a list of nodes');
  value.nodes.forEach((node: unknown, i) => checkNode(node, `${path}.nodes[${i}]`, fail));
  if (!Array.isArray(value.messages) || !value.messages.every(isEnvelope)) fail(`${path}.messages`, 'a list of message envelopes');
}

function checkNode(value: unknown, path: string, fail: Fail): void {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.crashed !== 'boolean') return fail(path, 'a node ({ id, crashed, value, context, durable })');
  if (!value.crashed && value.value === undefined) fail(`${path}.value`, 'the state value of a running node');
}

function isEnvelope(value: unknown): boolean {
  return isRecord(value) && typeof value.from === 'string' && typeof value.to === 'string' && isRecord(value.message) && typeof value.message.type === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
