import type { DurableState } from './durable.ts';
import type { Effect } from './effects.ts';
import type { Json } from './json.ts';

/**
 * One record of a host's step trace: what a machine did, in the terms the checker explores — a
 * start from a durable image, or an event taking one state value to another with the effects it
 * emitted. Hosts write them (src/runtime/step-trace.ts); `unanimous trace validate` replays them
 * against a model (src/checker/recorded-steps.ts). `seq` counts a host's records from 0 and goes
 * on across restarts only within one trace file.
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
