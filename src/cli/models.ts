import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Model, ModelFile, Parameters } from '../checker/index.ts';
import { UsageError } from './usage-error.ts';

/** The models/ folder of this repository. */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/**
 * Model names are paths under models/ without the extension (`two-phase/tla`). Files and folders
 * whose names start with `_` hold shared building blocks, not models.
 */
export function listModelNames(root = MODELS_DIR): string[] {
  const names: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('_') || entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts')) names.push(relative(root, path).slice(0, -3).split(sep).join('/'));
    }
  };
  walk(root);
  return names;
}

/**
 * Loads a model by name, or from a path to a TypeScript file of one's own (anything ending in
 * `.ts` or `.mts`), which must default-export `defineModel(...)` as the files in models/ do.
 */
export async function loadModel(name: string, root = MODELS_DIR): Promise<ModelFile> {
  let path: string;
  if (name.endsWith('.ts') || name.endsWith('.mts')) {
    path = resolve(name);
    if (!existsSync(path)) throw new UsageError(`no model file ${path}`);
  } else {
    const known = listModelNames(root);
    if (!known.includes(name)) throw new UsageError(`no model "${name}"; the models are: ${known.join(', ')}`);
    path = join(root, `${name}.ts`);
  }
  let module: { default?: ModelFile };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: ModelFile };
  } catch (error) {
    throw new UsageError(`${name} could not be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  const file = module.default;
  if (!file || typeof file.build !== 'function' || typeof file.parameters !== 'object' || typeof file.expected !== 'function') {
    throw new UsageError(`${name} must default-export a model made with defineModel()`);
  }
  return file;
}

/** The model's parameters: its defaults, overridden by the given values, each checked against its range. */
export function resolveParameters(name: string, file: ModelFile, given: Readonly<Record<string, number>>): Parameters {
  const resolved: Record<string, number> = {};
  for (const [key, definition] of Object.entries(file.parameters)) {
    const value = given[key] ?? definition.default;
    if (!Number.isInteger(value) || value < definition.min || value > definition.max) {
      throw new UsageError(`${name}: ${key} (${definition.description}) must be a whole number from ${definition.min} to ${definition.max}, not ${value}`);
    }
    resolved[key] = value;
  }
  return resolved;
}

/** Builds the model for the given parameters, a failure reported as a usage error naming the model. */
export function buildModel(name: string, file: ModelFile, parameters: Parameters): Model {
  try {
    return file.build(parameters);
  } catch (error) {
    throw new UsageError(`${name}: the model could not be built: ${(error as Error).message}`);
  }
}
