import { closeSync, openSync, writeSync } from 'node:fs';
import type { DurableState, Effect, Json } from '../node/index.ts';

/**
 * One record of a host's step trace: what a machine did, in the terms the checker explores —
 * a start from a durable image, or an event taking one state value to another with the effects
 * it emitted. A later `unanimous trace validate` replays these against a model.
 */
export type StepRecord =
  | {
      readonly kind: 'start';
      readonly node: string;
      readonly seq: number;
      /** The durable image the machine was started from. */
      readonly durable: DurableState;
      readonly after: Json;
      readonly effects: readonly Effect[];
    }
  | {
      readonly kind: 'step';
      readonly node: string;
      readonly seq: number;
      readonly event: Json;
      readonly before: Json;
      readonly after: Json;
      readonly effects: readonly Effect[];
    };

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
