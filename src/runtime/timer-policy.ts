import type { NodeMachine } from '../node/index.ts';
import { randomBetween } from './random.ts';

/** How long a named delay lasts: a fixed number of milliseconds, or a uniform draw from [min, max] each time it is armed. */
export type DelaySetting = number | { readonly min: number; readonly max: number };

/**
 * The real durations of a machine's named delays, e.g. `{ electionTimeout: { min: 150, max: 300 },
 * heartbeatTimeout: 50 }`. The machine only names its timers; the checker lets every armed timer
 * fire at any moment, so any durations are safe — they decide liveness and speed. Raft's election
 * timeout must be randomised (§5.2: split votes resolve because servers time out at different moments).
 */
export type TimerPolicy = Readonly<Record<string, DelaySetting>>;

/** Refuses a policy that misses one of the machine's named delays or gives a duration that is not a time. */
export function checkTimerPolicy(policy: TimerPolicy, machine: NodeMachine): void {
  const named = Object.keys((machine.implementations as { delays?: object }).delays ?? {});
  const missing = named.filter((name) => !(name in policy));
  if (missing.length > 0) {
    throw new Error(`timer policy for ${machine.id}: no duration for ${missing.join(', ')} (named delays: ${named.join(', ')})`);
  }
  for (const [name, setting] of Object.entries(policy)) {
    const [min, max] = typeof setting === 'number' ? [setting, setting] : [setting.min, setting.max];
    if (!Number.isFinite(min) || !Number.isFinite(max) || min < 0 || max < min) {
      throw new Error(`timer policy for ${machine.id}: ${name} must be a duration >= 0 or { min, max } with 0 <= min <= max, not ${JSON.stringify(setting)}`);
    }
  }
}

/** A duration for one arming of the named delay; a literal delay (`after: { 500: ... }`) is its own duration. */
export function timerDuration(policy: TimerPolicy, delayName: string, random: () => number): number {
  const setting = policy[delayName] ?? (/^\d+$/.test(delayName) ? Number(delayName) : undefined);
  if (setting === undefined) throw new Error(`timer policy: no duration for ${delayName}`);
  return typeof setting === 'number' ? setting : randomBetween(random, setting.min, setting.max);
}
