import { closeSync, openSync, writeSync } from 'node:fs';
import type { StepRecord } from '../node/index.ts';

export type { StepRecord } from '../node/index.ts';

/** Receives a host's step records, in order. It must not throw; a failing sink is the sink's problem. */
export type StepTraceSink = (record: StepRecord) => void;

/**
 * A sink writing one JSON object per line to a file (appending). Written synchronously, so the
 * trace of a process killed with -9 ends at its last step, not at an arbitrary buffer boundary.
 */
export function jsonLinesTrace(path: string): { readonly sink: StepTraceSink; close(): void } {
  const fd = openSync(path, 'a');
  let open = true;
  return {
    sink: (record) => {
      if (open) writeSync(fd, `${JSON.stringify(record)}\n`);
    },
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
