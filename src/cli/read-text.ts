import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.ts';

/** A text file the user named, or a usage error saying in one line why it cannot be read. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no file ${file}` : `cannot read ${file}: ${code ?? (error as Error).message}`);
  }
}
