/**
 * Where a long check or simulation reports how far it is. On a terminal, one line redrawn in place
 * a few times a second (erased before the results are printed); anywhere else — a CI log, a pipe,
 * a file — plain lines every two seconds, which a log keeps readable.
 */
export interface ProgressMeter {
  /** How often the command should report, in milliseconds. */
  readonly everyMs: number;
  show(line: string): void;
  /** Erases a line drawn in place, before anything else is printed. */
  end(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** ECMA-48: carriage return, then "erase in line" (CSI 2 K) — the line is redrawn from its start. */
const REDRAW = '\r\u001b[2K';

export function progressMeter(stream: ProgressStream): ProgressMeter {
  if (!stream.isTTY) return { everyMs: 2000, show: (line) => stream.write(`${line}\n`), end: () => {} };
  let drawn = false;
  return {
    everyMs: 250,
    show(line) {
      // A line longer than the terminal would wrap, and the redraw would erase only its last row.
      const width = Math.max(20, (stream.columns || 80) - 1); // 0 when the terminal does not say
      stream.write(`${REDRAW}${[...line].length > width ? `${[...line].slice(0, width - 1).join('').trimEnd()}…` : line}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write(REDRAW);
      drawn = false;
    },
  };
}

/**
 * An estimate of a breadth-first search's remaining time from its queue's trend: the queue of
 * states still to expand grows while the frontier widens and shrinks once the search passes the
 * widest level; while it shrinks, what is left is about the queue over the rate at which it
 * shrinks (smoothed, since levels differ). While it still grows no estimate is honest, and none
 * is given.
 */
export class QueueTrend {
  private last: { readonly seconds: number; readonly queued: number } | undefined;
  private shrinkPerSecond: number | undefined;

  /** Takes a sample; returns the estimated seconds left, if the queue is shrinking. */
  sample(seconds: number, queued: number): number | undefined {
    const last = this.last;
    this.last = { seconds, queued };
    if (!last || seconds <= last.seconds) return undefined;
    const rate = (last.queued - queued) / (seconds - last.seconds);
    if (rate <= 0) {
      this.shrinkPerSecond = undefined;
      return undefined;
    }
    this.shrinkPerSecond = this.shrinkPerSecond === undefined ? rate : 0.7 * this.shrinkPerSecond + 0.3 * rate;
    return queued / this.shrinkPerSecond;
  }
}

/** "12 s", "3 min 5 s", "2 h 10 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
