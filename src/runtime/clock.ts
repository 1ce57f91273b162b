/** An armed callback of a `Clock`, to be passed back to `clearTimer`. */
export type TimerHandle = { readonly __timer: unique symbol };

/**
 * Time as the runtime sees it: hosts arm their machines' timers and the in-memory network delays
 * its messages through this, so that a test can run a cluster on a `ManualClock` and decide when
 * time passes instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Disarms a timer; a timer that already fired or was cleared is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
