/** Where the runtime reports what it did not do: dropped events, refused frames, failed commits. */
export interface Logger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** One JSON line per record on stderr, tagged with `component` (a node id, a transport). */
export function stderrLogger(component: string): Logger {
  const write = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, component, message };
    if (fields) for (const [key, value] of Object.entries(fields)) record[key] = value instanceof Error ? value.message : value;
    process.stderr.write(`${JSON.stringify(record)}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
