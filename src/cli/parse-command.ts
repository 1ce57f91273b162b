import { parseArgs } from 'node:util';
import type { CommandSpec, FlagSpec } from './command-specs.ts';
import { didYouMean } from './suggest.ts';
import { UsageError } from './usage-error.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  readonly values: Values;
  readonly positionals: readonly string[];
  /** `--help` or `-h` was given: print the command's help and do nothing else. */
  readonly help: boolean;
}

/**
 * A command's arguments parsed strictly by its spec (command-specs.ts), plus `--help`/`-h`.
 * Node's parser complaints become usage errors that name the command and, for a misspelt flag,
 * the closest flags it takes.
 */
export function parseCommand(command: CommandSpec, args: readonly string[]): ParsedCommand {
  const options: Record<string, { type: FlagSpec['type']; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(command.flags)) options[name] = { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(explain(command, (error as Error).message));
  }
  const help = parsed.values.help === true;
  if (!help && !command.positionals && parsed.positionals.length > 0) {
    throw new UsageError(`${command.name} takes no arguments, got "${parsed.positionals.join(' ')}" (unanimous ${command.name} --help)`);
  }
  return { values: parsed.values as Values, positionals: parsed.positionals, help };
}

/** Node's message for a bad flag, said in the command's terms. */
function explain(command: CommandSpec, message: string): string {
  const flags = Object.keys(command.flags).map((name) => `--${name}`);
  const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(message);
  if (unknown) {
    const typed = unknown[1]!.split('=')[0]!;
    return `${command.name} has no option ${typed}${didYouMean(typed, flags)} (unanimous ${command.name} --help lists them)`;
  }
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value: ${missing[1]} ${command.flags[missing[1]!.slice(2)]?.value ?? 'VALUE'}`;
  const valued = /^Option '(--[\w-]+)' does not take an argument/.exec(message);
  if (valued) return `${valued[1]} is a switch and takes no value`;
  return `${command.name}: ${message}`;
}
