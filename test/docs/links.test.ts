import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

describe('the README and the guides', () => {
  it('the README is a front page: at most 260 lines, none wider than 100 columns', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
    expect(lines.length).toBeLessThanOrEqual(260);
    expect(lines.filter((line) => [...line].length > 100)).toEqual([]);
  });

  it.each(pages)('every relative link in %s points to a file that exists', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
    expect(targets.filter((target) => !existsSync(join(root, dirname(page), target)))).toEqual([]);
  });

  it('the CLI reference shows the help of every command as the CLI prints it', async () => {
    const reference = readFileSync(join(root, 'docs/cli.md'), 'utf8');
    const { COMMANDS } = await import('../../src/cli/command-specs.ts');
    const { commandHelp } = await import('../../src/cli/help.ts');
    for (const command of COMMANDS) expect(reference, command.name).toContain(`### unanimous ${command.name}\n\n\`\`\`\n${commandHelp(command)}\n\`\`\``);
  });

  it("the README and the CLI reference give npm start's verdict with the number of models it checks", async () => {
    const { listModelNames, loadModel } = await import('../../src/cli/models.ts');
    const files = await Promise.all(listModelNames().map((name) => loadModel(name)));
    const verdict = `${files.filter((file) => !file.simulationOnly).length} models checked, every result as recorded.`;
    expect(readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ')).toContain(verdict);
    expect(readFileSync(join(root, 'docs/cli.md'), 'utf8')).toContain(verdict);
  });
});
