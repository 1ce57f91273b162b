import type { StepRecord } from './step-record.ts';

/**
 * A step trace that is not one: its text, a line, or a record in it. Its own class rather than a
 * CLI or HTTP error because the node layer serves every caller alike: `unanimous trace` reports it
 * as a usage error, the explorer as a refused upload.
 */
export class StepRecordsError extends Error {
  override readonly name = 'StepRecordsError';
}

/**
 * The records of a JSON-lines step trace (written by src/runtime/step-trace.ts) given as text:
 * errors name the line as `<source>:<line>`, or `line <n>` when there is no file name to give
 * (an upload to the explorer).
 */
export function parseStepRecords(text: string, source?: string): StepRecord[] {
  const place = (line: number) => (source === undefined ? `line ${line}` : `${source}:${line}`);
  const records: StepRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new StepRecordsError(`${place(i + 1)}: not JSON: ${(error as Error).message}`);
    }
    const problem = stepRecordProblem(record);
    if (problem) throw new StepRecordsError(`${place(i + 1)}: not a step record: ${problem}`);
    records.push(record as StepRecord);
  });
  if (records.length === 0) throw new StepRecordsError(`${source ?? 'the step trace'} holds no step records`);
  return records;
}

function stepRecordProblem(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'not an object';
  const r = record as Record<string, unknown>;
  if (r.kind !== 'start' && r.kind !== 'step') return 'kind should be "start" or "step"';
  if (typeof r.node !== 'string') return 'node should be a string';
  if (!Number.isInteger(r.seq) || (r.seq as number) < 0) return 'seq should be a whole number';
  if (!Array.isArray(r.effects)) return 'effects should be an array';
  if (r.kind === 'start' && (typeof r.durable !== 'object' || r.durable === null)) return 'a start needs its durable image';
  if (r.kind === 'step' && (typeof r.event !== 'object' || r.event === null || typeof (r.event as { type?: unknown }).type !== 'string')) {
    return 'a step needs an event with a type';
  }
  return undefined;
}
