import { writeFileSync } from 'node:fs';
import { replayRecordedSteps, type RecordedRun } from '../checker/index.ts';
import { parseStepRecords, StepRecordsError, type StepRecord } from '../node/index.ts';
import { openModel } from './models.ts';
import { render, type TraceFormat } from './trace-command.ts';
import { readText } from './read-text.ts';
import { UsageError } from './usage-error.ts';

export interface RecordedTraceOptions {
  /** Step-trace files written by hosts (JSON lines, src/runtime/step-trace.ts), one or more nodes each. */
  readonly files: readonly string[];
  readonly model: string;
  readonly parameters: Readonly<Record<string, number>>;
  /** Render the run in this format; validate only when not given. */
  readonly format?: TraceFormat;
  readonly out?: string;
  readonly json?: boolean;
}

/**
 * `unanimous trace validate <file.jsonl ...> --model M`: replays what hosts recorded in production
 * through the model's machines (see replayRecordedSteps) and says whether every step is one the
 * model allows: exit 0 if so, 1 with each problem if not, 2 for unreadable files or a bad model.
 * `unanimous trace <file.jsonl ...> --model M --format F` renders the run as a counterexample is
 * rendered, the nodes' steps merged so that every message is sent before it is delivered.
 */
export async function recordedTraceCommand(options: RecordedTraceOptions, out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const records = options.files.flatMap(readStepRecords);
  const { model } = await openModel(options.model, options.parameters);
  const run = replayRecordedSteps(model, records);
  if (options.format !== undefined) {
    const message = run.problems.length > 0 ? describeProblems(run) : undefined;
    const rendered = render({ trace: run.trace, model: options.model, ...(message ? { message } : {}) }, options.format);
    if (options.out !== undefined) {
      writeFileSync(options.out, rendered);
      note(`wrote ${options.out}`);
    } else {
      out(rendered.trimEnd());
    }
  } else if (options.json) {
    out(JSON.stringify({ model: options.model, records: run.records, nodes: run.nodes, allowed: run.problems.length === 0, problems: run.problems }, null, 2));
  } else if (run.problems.length === 0) {
    out(`${run.records} records from ${run.nodes.join(', ')}: every step is a step ${options.model} allows`);
  } else {
    out(`${run.records} records from ${run.nodes.join(', ')}: ${describeProblems(run)}`);
  }
  return run.problems.length === 0 ? 0 : 1;
}

function describeProblems(run: RecordedRun): string {
  const count = run.problems.length;
  return `${count} step${count === 1 ? '' : 's'} the model does not allow: ${run.problems.map((p) => `${p.node} record ${p.seq}: ${p.message}`).join('; ')}`;
}

/** The records of a JSON-lines step trace; a line that is not a step record is refused with its place. */
export function readStepRecords(file: string): StepRecord[] {
  const text = readText(file);
  try {
    return parseStepRecords(text, file);
  } catch (error) {
    if (error instanceof StepRecordsError) throw new UsageError(error.message);
    throw error;
  }
}
