// Module hooks (node:module register) for model files of one's own, wherever they live. Plain
// JavaScript, since hooks run on Node's loader thread before any TypeScript loader can help.
//
// - load: a `.ts` model file outside any package that says what its files are (no package.json
//   with a "type" above it) is an ES module, as every model file is; left to the defaults, Node and
//   tsx would take it for CommonJS and fail on its `import` statements.
// - resolve: a bare import (`xstate`, `unanimous`, `unanimous/protocols/raft`) that the file's own
//   folders cannot satisfy is resolved from this package instead, so a model file needs no
//   node_modules of its own beside it.
// - conditions: export conditions added to every resolution — in a clone, "unanimous:source", so
//   that a model file's `unanimous` is the sources the CLI itself runs, not a stale dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @type {string} this package's package.json, as a file URL: the parent for fallback resolution. */
let packageJson;

/** @type {string[]} export conditions to add to Node's own. */
let conditions = [];

/** @param {{ packageJson: string, conditions?: string[] }} data */
export function initialize(data) {
  packageJson = data.packageJson;
  conditions = data.conditions ?? [];
}

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, given, nextResolve) {
  const context = conditions.length === 0 ? given : { ...given, conditions: [...given.conditions, ...conditions] };
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const bare = !/^(\.|\/|file:|node:|data:)/.test(specifier);
    if (!bare || /** @type {{ code?: string }} */ (error).code !== 'ERR_MODULE_NOT_FOUND' || context.parentURL === packageJson) throw error;
    return nextResolve(specifier, { ...context, parentURL: packageJson });
  }
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && /\.ts$/.test(url) && !url.includes('/node_modules/') && packageTypeOf(fileURLToPath(url)) === undefined) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}

/** @type {Map<string, string | undefined>} the package type found for each folder asked about. */
const typeOfFolder = new Map();

/** The "type" of the package a file belongs to, or undefined when no package.json above it says. */
function packageTypeOf(file) {
  const dir = dirname(file);
  if (typeOfFolder.has(dir)) return typeOfFolder.get(dir);
  const manifest = join(dir, 'package.json');
  let type;
  if (existsSync(manifest)) {
    try {
      type = JSON.parse(readFileSync(manifest, 'utf8')).type;
    } catch {
      type = undefined;
    }
  } else if (dirname(dir) !== dir) {
    type = packageTypeOf(dir);
  }
  typeOfFolder.set(dir, type);
  return type;
}
