import { type Model, replayRecordedSteps } from '../../checker/index.ts';
import { parseStepRecords, StepRecordsError } from '../../node/index.ts';
import { TraceDocumentError, type TraceDocument } from './trace-document.ts';

/**
 * Whether a file is a hosts' step trace (JSON lines, src/runtime/step-trace.ts) rather than one
 * JSON document: its first line is a step record on its own (`"kind"` start or step). A trace or
 * check --json output is one object or list, whose first line is never a whole record.
 */
export function isStepTrace(text: string): boolean {
  const first = text.split('\n').find((line) => line.trim() !== '');
  if (first === undefined) return false;
  try {
    const record: unknown = JSON.parse(first);
    return typeof record === 'object' && record !== null && 'kind' in record && (record.kind === 'start' || record.kind === 'step');
  } catch {
    return false;
  }
}

/**
 * A step trace read as the explorer's trace: its records replayed through the model's machines
 * (replayRecordedSteps), which merges the nodes' steps into one trace. A record the model does not
 * allow does not stop the upload: the problems go with the trace, which holds what replayed.
 * `source` names the file in error messages (lines are numbered either way).
 */
export function readRecordedDocument(text: string, model: Model, source?: string): TraceDocument {
  let records;
  try {
    records = parseStepRecords(text, source);
  } catch (error) {
    if (error instanceof StepRecordsError) throw new TraceDocumentError(error.message);
    throw error;
  }
  const run = replayRecordedSteps(model, records);
  return { trace: run.trace, recorded: { records: run.records, nodes: run.nodes, problems: run.problems } };
}
