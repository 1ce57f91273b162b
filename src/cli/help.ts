import { COMMANDS, type CommandSpec } from './command-specs.ts';

const WIDTH = 100;

/** `unanimous help`: the commands, one line each, and where to read more. */
export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'unanimous — distributed transactions and consensus as checked XState machines',
    '',
    'usage: unanimous <command> [arguments] [options]',
    '',
    'commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    '"unanimous <command> --help" (or -h, or "unanimous help <command>") shows its usage, every flag',
    'with its meaning and default, and its exit status. The CLI reference: docs/cli.md.',
  ].join('\n');
}

/** `unanimous <command> --help`: its usage lines, what it does, every flag, and its exit status. */
export function commandHelp(command: CommandSpec): string {
  const flags = Object.entries(command.flags).map(([name, flag]) => ({ left: `--${name}${flag.value ? ` ${flag.value}` : ''}`, flag }));
  flags.push({ left: '-h, --help', flag: { type: 'boolean', description: 'this text' } });
  const width = Math.max(...flags.map(({ left }) => left.length));
  const lines = [`usage: ${command.usage.map((usage, i) => `${i === 0 ? '' : '       '}unanimous ${usage}`).join('\n')}`, '', command.description, '', 'options:'];
  for (const { left, flag } of flags) {
    const text = `${flag.description}${flag.default !== undefined ? ` (default: ${flag.default})` : ''}`;
    lines.push(...wrap(text, WIDTH - width - 4).map((part, i) => `  ${(i === 0 ? left : '').padEnd(width)}  ${part}`));
  }
  lines.push('', ...wrap(command.exitStatus, WIDTH));
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}
