import type { Clock, TimerHandle } from './clock.ts';

interface Pending {
  readonly at: number;
  /** Arming order: timers due at the same moment fire in the order they were armed. */
  readonly order: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to (`advance`), for tests and deterministic runs: timers fire
 * in order of their due time, synchronously, inside `advance`. A callback may arm further timers;
 * those due within the advanced span fire in the same call.
 */
export class ManualClock implements Clock {
  private time: number;
  private armed = 0;
  private readonly pending = new Map<TimerHandle, Pending>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const handle = {} as TimerHandle;
    this.pending.set(handle, { at: this.time + Math.max(0, delayMs), order: this.armed++, callback });
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    this.pending.delete(handle);
  }

  /** Timers armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance(${ms}): time only moves forward`);
    const until = this.time + ms;
    for (;;) {
      let next: [TimerHandle, Pending] | undefined;
      for (const entry of this.pending) {
        if (entry[1].at > until) continue;
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].order < next[1].order)) next = entry;
      }
      if (!next) break;
      this.pending.delete(next[0]);
      this.time = next[1].at;
      next[1].callback();
    }
    this.time = until;
  }
}
