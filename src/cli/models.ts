import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModelFile, Parameters } from '../checker/index.ts';
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

export async function loadModel(name: string, root = MODELS_DIR): Promise<ModelFile> {
  const known = listModelNames(root);
  if (!known.includes(name)) {
    throw new UsageError(`no model "${name}"; the models are: ${known.join(', ')}`);
  }
  const module = (await import(pathToFileURL(join(root, `${name}.ts`)).href)) as { default?: ModelFile };
  const file = module.default;
  if (!file || typeof file.build !== 'function' || typeof file.parameters !== 'object') {
    throw new UsageError(`models/${name}.ts must default-export a model made with defineModel()`);
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
