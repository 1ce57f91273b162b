import type { Logger } from '../../src/runtime/logger.ts';

export interface LogRecord {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger that keeps what it is told, for tests to assert on. */
export function recordingLogger(): Logger & { readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  const write = (level: LogRecord['level']) => (message: string, fields: Readonly<Record<string, unknown>> = {}) => {
    records.push({ level, message, fields });
  };
  return { records, info: write('info'), warn: write('warn'), error: write('error') };
}

/** Lets queued immediates (host flushes, in-memory deliveries) run. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Polls `condition` until it holds, failing after `timeoutMs` with `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
