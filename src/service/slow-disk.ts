import type { Logger } from '../runtime/index.ts';

/**
 * A disk made slow on demand: the nemesis suite's slow-fsync fault. A node configured with
 * `slowDiskForTesting` (test-only, like `unsafeForTesting`) toggles it on SIGUSR2: while slow,
 * every commit of its SQLite file first blocks the whole process for the configured time, as a
 * disk whose fsync stalls does — the event loop, the timers and the sockets all wait (Atomics.wait
 * on a private cell: a synchronous sleep, which is what a blocking fsync is).
 */
export class SlowDisk {
  private slow = false;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private readonly toggle = () => {
    this.slow = !this.slow;
    this.logger.warn(this.slow ? 'slow disk: every commit now waits first' : 'slow disk: commits at full speed again', { delayMs: this.delayMs });
  };

  constructor(
    private readonly delayMs: number,
    private readonly logger: Logger,
  ) {
    process.on('SIGUSR2', this.toggle);
  }

  /** Called before each commit. */
  beforeCommit(): void {
    if (this.slow) Atomics.wait(this.cell, 0, 0, this.delayMs);
  }

  close(): void {
    process.off('SIGUSR2', this.toggle);
  }
}
