/**
 * The commands the README and the guides show, run as they are written.
 *
 * The convention: the docs write the CLI as `node bin/unanimous.js …`, run from the clone's root
 * (never `unanimous …` or `npx unanimous …` in a command block). Every line of a ```sh block in
 * README.md or docs/*.md that starts with `node bin/unanimous.js ` is run with `sh -c`, the repo
 * root as cwd, and must exit with the status its trailing comment states: `# exit N`, 0 when the
 * comment says none. `/tmp/` in a command is replaced by a temp folder of this run, so runs
 * side by side do not share files.
 *
 * A command is not run when its comment says `# not run: <reason>`, and the reason is held to
 * what it is: `serve`, `explore` and `node` must say `starts a server`, `kv` must say
 * `needs serve`; any other command may skip only because it `takes minutes` or `writes into the
 * repository`.
 *
 * Also: the README is a front page (at most 260 lines, none wider than 100 columns), every
 * relative link of README.md and docs/*.md points to a file that exists, the code shown in
 * docs/first-model.md and docs/embedding.md is the code of their folders, the embedding example
 * runs, and the first model's own test (imported below) passes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// The first model's test, as docs/first-model.md shows it: importing it runs it here.
import '../../docs/first-model/lock.test.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const read = (page: string) => readFileSync(join(root, page), 'utf8');

const CLI = 'node bin/unanimous.js ';
const SERVERS = new Set(['serve', 'explore', 'node']);
const OTHER_REASONS = ['takes minutes', 'writes into the repository'];

interface Command {
  readonly page: string;
  readonly line: number;
  readonly text: string;
  readonly subcommand: string;
  /** The expected exit status, or the reason it is not run. */
  readonly expect: { readonly status: number } | { readonly notRun: string };
}

/** The lines of every ```sh block of a page, with their line numbers. */
function shellLines(page: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let inSh = false;
  let fence = false;
  read(page)
    .split('\n')
    .forEach((text, i) => {
      if (/^```/.test(text)) {
        if (fence) {
          fence = false;
          inSh = false;
        } else {
          fence = true;
          inSh = /^```sh\s*$/.test(text);
        }
        return;
      }
      if (inSh) out.push({ line: i + 1, text });
    });
  return out;
}

/** The comment of a shell line: from the first `#` after a blank, outside quotes. */
function commentOf(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && i > 0 && /\s/.test(text[i - 1]!)) return text.slice(i + 1).trim();
  }
  return '';
}

function commandsOf(page: string): Command[] {
  return shellLines(page)
    .filter(({ text }) => text.startsWith(CLI))
    .map(({ line, text }) => {
      const comment = commentOf(text);
      const notRun = /not run: ([^;]+)/.exec(comment)?.[1]?.trim();
      const status = Number(/\bexit (\d+)\b/.exec(comment)?.[1] ?? 0);
      return {
        page,
        line,
        text,
        subcommand: text.slice(CLI.length).split(/\s+/)[0]!,
        expect: notRun === undefined ? { status } : { notRun },
      };
    });
}

const commands = pages.flatMap(commandsOf);
const run = commands.filter((command) => 'status' in command.expect);
const work = mkdtempSync(join(tmpdir(), 'unanimous-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the commands in the README and the guides', () => {
  it('are written one way: node bin/unanimous.js, never unanimous or npx unanimous', () => {
    const others = pages.flatMap((page) =>
      shellLines(page)
        .filter(({ text }) => /^(npx )?unanimous\b/.test(text))
        .map(({ line, text }) => `${page}:${line}: ${text}`),
    );
    expect(others).toEqual([]);
    expect(run.length).toBeGreaterThan(10);
  });

  it('skip exactly the commands that start a server or need one, saying so', () => {
    const wrong = commands.flatMap((command) => {
      const at = `${command.page}:${command.line}: ${command.text}`;
      const reason = 'notRun' in command.expect ? command.expect.notRun : undefined;
      if (SERVERS.has(command.subcommand)) return reason === 'starts a server' ? [] : [at];
      if (command.subcommand === 'kv') return reason === 'needs serve' ? [] : [at];
      return reason === undefined || OTHER_REASONS.includes(reason) ? [] : [at];
    });
    expect(wrong).toEqual([]);
  });

  it.each(run.map((command) => [`${command.page}:${command.line}`, command] as const))(
    '%s exits as the doc says',
    (_, command) => {
      const text = command.text.replaceAll('/tmp/', `${work}/`);
      const result = spawnSync('sh', ['-c', text], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      const expected = 'status' in command.expect ? command.expect.status : -1;
      expect({ status: result.status, stderr: result.stderr.slice(0, 2000) }).toMatchObject({ status: expected });
    },
  );
});

describe('the README and the guides', () => {
  // The README's size and every relative link: test/docs/links.test.ts.
  it.each([
    ['docs/first-model.md', 'docs/first-model'],
    ['docs/embedding.md', 'docs/embedding'],
  ])('%s shows every file of its folder, whole', (page, folder) => {
    const text = read(page);
    for (const name of readdirSync(join(root, folder)).filter((file) => file.endsWith('.ts'))) {
      expect(text, name).toContain('```ts\n' + read(`${folder}/${name}`) + '```');
    }
  });

  it('the embedding example commits a command through a three-server Raft cluster', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'docs/embedding/raft-cluster.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^s[123] committed \{"index":1,"value":"hello"\}\n$/);
  });
});
