import type { Parameters, RecordedStepProblem, Trace, TraceAction } from '../../checker/index.ts';

/** A file that cannot be read as a trace: the message says what was expected. */
export class TraceDocumentError extends Error {
  override readonly name = 'TraceDocumentError';
}

/** A trace read from a file, with the model it came from when the file says so. */
export interface TraceDocument {
  readonly trace: Trace;
  /** The model the trace was found in (check and simulate --json name it; a bare trace does not). */
  readonly model?: string;
  readonly parameters?: Parameters;
  /** Present for a run hosts recorded in production (src/inspect/explorer/recorded-document.ts): what replaying its records found. */
  readonly recorded?: RecordedSummary;
}

/** A recorded run's records, its nodes, and the steps the model does not allow (each: which record of which node, and why). */
export interface RecordedSummary {
  readonly records: number;
  readonly nodes: readonly string[];
  readonly problems: readonly RecordedStepProblem[];
}

const ACTION_KINDS: readonly TraceAction['kind'][] = ['deliver', 'timer', 'spontaneous', 'crash', 'restart', 'drop', 'duplicate'];

/**
 * Finds the trace in a JSON document: a Trace itself (src/checker/trace.ts), the output of
 * `unanimous simulate --json` (one run), or of `unanimous check --json` (a list of runs: the run
 * of model `preferredModel` when it has a trace, else the first run with one).
 */
export function readTraceDocument(json: unknown, preferredModel?: string): TraceDocument {
  if (Array.isArray(json)) {
    const runs = json.filter((run) => traceOfRun(run) !== undefined);
    if (runs.length === 0) throw new TraceDocumentError('this list of check results holds no counterexample trace (no model in it has a violation with a trace)');
    return fromRun(runs.find((run) => isRecord(run) && run.model === preferredModel) ?? runs[0]);
  }
  if (!isRecord(json)) throw new TraceDocumentError('expected a JSON object: a trace, or the output of unanimous check --json or simulate --json');
  if ('steps' in json || 'initial' in json) return { trace: validTrace(json) };
  if (isRecord(json.result) || isRecord(json.violation)) {
    if (traceOfRun(json) === undefined) throw new TraceDocumentError('this result has no counterexample trace (no violation with a trace)');
    return fromRun(json);
  }
  throw new TraceDocumentError('expected a trace (with "initial" and "steps"), or the output of unanimous check --json or simulate --json');
}

function fromRun(run: unknown): TraceDocument {
  const record = run as Record<string, unknown>;
  const trace = validTrace(traceOfRun(run));
  return {
    trace,
    ...(typeof record.model === 'string' ? { model: record.model } : {}),
    ...(isRecord(record.parameters) ? { parameters: record.parameters as Parameters } : {}),
  };
}

/** The trace of a run: `run.result.violation.trace` (check, simulate) or `run.violation.trace` (a CheckResult). */
function traceOfRun(run: unknown): unknown {
  if (!isRecord(run)) return undefined;
  const result = isRecord(run.result) ? run.result : run;
  return isRecord(result.violation) ? result.violation.trace : undefined;
}

/** Checks the parts of a trace the explorer relies on; the message names the first part amiss. */
function validTrace(value: unknown): Trace {
  if (!isRecord(value)) throw new TraceDocumentError('the trace is not a JSON object');
  if (!isRecord(value.initial) || !Array.isArray(value.initial.nodes) || !Array.isArray(value.initial.messages)) {
    throw new TraceDocumentError('the trace has no initial state ("initial" with "nodes" and "messages")');
  }
  if (!Array.isArray(value.steps)) throw new TraceDocumentError('the trace has no "steps" list');
  value.steps.forEach((step, i) => {
    const action = isRecord(step) ? step.action : undefined;
    if (!isRecord(action) || !ACTION_KINDS.includes(action.kind as TraceAction['kind']) || typeof action.node !== 'string') {
      throw new TraceDocumentError(`step ${i + 1} of the trace has no valid action (a "kind" among ${ACTION_KINDS.join(', ')}, and a "node")`);
    }
    if (!Array.isArray((step as Record<string, unknown>).changed)) throw new TraceDocumentError(`step ${i + 1} of the trace has no "changed" list`);
  });
  return {
    property: typeof value.property === 'string' ? value.property : '',
    ...(value.recorded === true ? { recorded: true } : {}),
    initial: value.initial as unknown as Trace['initial'],
    steps: value.steps as Trace['steps'],
    final: (isRecord(value.final) ? value.final : value.initial) as unknown as Trace['final'],
    // A lasso (a liveness counterexample): the step its cycle goes back to.
    ...(Number.isInteger(value.loopsTo) && (value.loopsTo as number) >= 0 && (value.loopsTo as number) <= value.steps.length ? { loopsTo: value.loopsTo as number } : {}),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
