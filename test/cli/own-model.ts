import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin/unanimous.js');

/** Runs the CLI from the repository's root, as a user would. */
export const unanimous = (...args: string[]) => {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};

/**
 * A folder outside the repository for model files of one's own (ES modules, as in this
 * repository); `remove` deletes it.
 */
export function scratchFolder(prefix: string): { readonly path: string; readonly ownModel: (name: string, body: string) => string; readonly remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(path, 'package.json'), '{ "type": "module" }\n');
  return {
    path,
    /** A model file of one's own, outside models/, with TwoPhase.tla's model builder in scope. */
    ownModel(name, body) {
      const file = join(path, `${name}.ts`);
      const src = (at: string) => pathToFileURL(join(root, at)).href;
      writeFileSync(
        file,
        `import { defineModel } from '${src('src/checker/index.ts')}';
import { commitProperties } from '${src('models/_shared/commit.ts')}';
import { TWO_PHASE_TLA, twoPhaseModel } from '${src('models/two-phase/_build.ts')}';
import { tmCommitsBeforeAllVote } from '${src('src/protocols/two-phase-commit/index.ts')}';
${body}`,
      );
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
