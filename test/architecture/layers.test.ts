import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The architecture of ../shared/DESIGN.md, held by a test: each layer of src/ is used by the others
 * only through its index.ts, and dependencies between layers flow one way. Tests are left out on
 * purpose (they are white-box); everything else — models, benches, examples, guides, specs — is
 * held to the same surfaces as the layers are.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Which layers each layer may import (src/index.ts, the package's main entry, and the CLI may import any). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  node: [],
  protocols: ['node', 'protocols'],
  checker: ['node'],
  runtime: ['node'],
  history: [],
  inspect: ['checker', 'node'],
  service: ['node', 'protocols', 'runtime'],
  nemesis: ['history', 'runtime', 'service'],
};

function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path);
    return /\.(ts|mts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `src/<layer>/…` → the layer; each protocol folder is a layer of its own (`protocols/raft`). */
function layerOf(path: string): string | undefined {
  const parts = path.split(sep);
  if (parts[0] !== 'src' || parts.length < 3) return undefined;
  return parts[1] === 'protocols' ? `protocols/${parts[2]}` : parts[1];
}

const surfaceOf = (layer: string) => join('src', ...layer.split('/'), 'index.ts');

interface Import {
  readonly from: string;
  readonly to: string;
}

/** Every relative import (static, re-export or dynamic) of the files under the folders, resolved to paths from the root. */
function importsOf(folders: readonly string[]): Import[] {
  return folders.flatMap(filesUnder).flatMap((from) =>
    [...readFileSync(join(ROOT, from), 'utf8').matchAll(/(?:\bfrom|\bimport\s*\(?)\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => ({
      from,
      to: normalize(join(dirname(from), match[1]!)).replace(/\.js$/, '.ts'),
    })),
  );
}

describe('the layers of src/', () => {
  const imports = importsOf(['src']);

  it('finds the imports it judges (a regression guard on the scan itself)', () => {
    expect(imports.length).toBeGreaterThan(500);
    expect(imports).toContainEqual({ from: join('src', 'cli', 'nemesis-command.ts'), to: join('src', 'nemesis', 'index.ts') });
  });

  it("import another layer only through that layer's index.ts", () => {
    const internals = imports
      .filter(({ from, to }) => layerOf(to) !== undefined && layerOf(from) !== layerOf(to) && to !== surfaceOf(layerOf(to)!))
      .map(({ from, to }) => `${from} imports ${to}`);
    expect(internals).toEqual([]);
  });

  it('depend on each other one way only, as DESIGN.md draws them', () => {
    const against = imports
      .filter(({ from, to }) => {
        const [a, b] = [layerOf(from), layerOf(to)];
        if (a === undefined || b === undefined || a === b || a === 'cli') return false;
        const allowed = MAY_IMPORT[a.split('/')[0]!];
        return allowed === undefined || !allowed.includes(b.split('/')[0]!);
      })
      .map(({ from, to }) => `${from} imports ${to}`);
    expect(against).toEqual([]);
  });
});

describe('code outside src/ that is not a test', () => {
  it("uses the layers' surfaces only", () => {
    const internals = importsOf(['models', 'bench', 'examples', 'docs', 'spec', 'scripts'])
      .filter(({ to }) => layerOf(to) !== undefined && to !== surfaceOf(layerOf(to)!))
      .map(({ from, to }) => `${from} imports ${to}`);
    expect(internals).toEqual([]);
  });
});
