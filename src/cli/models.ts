import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Model, ModelFile, Parameters } from '../checker/index.ts';
import { didYouMean } from './suggest.ts';
import { UsageError } from './usage-error.ts';

/** The models/ folder of this repository (dist/models/ in the built package). */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/**
 * The extension of the files under MODELS_DIR: TypeScript when this file runs from the sources,
 * JavaScript when it runs from the built package, whose models/ holds compiled models (and their
 * .d.ts files, which are not models).
 */
const MODEL_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

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
      else if (entry.endsWith(MODEL_EXTENSION) && !entry.endsWith('.d.ts')) names.push(relative(root, path).slice(0, -MODEL_EXTENSION.length).split(sep).join('/'));
    }
  };
  walk(root);
  return names;
}

/** Whether a name on the command line is a path to a model file of one's own. */
export const isModelFile = (name: string): boolean => name.endsWith('.ts') || name.endsWith('.mts');

/**
 * What the command line names, as model names: a model name; a folder under models/, for every
 * model under it; or a path to a model file of one's own. Anything else is a usage error that
 * names the closest models.
 */
export function selectModels(names: readonly string[], root = MODELS_DIR): { readonly name: string; readonly viaFolder: boolean }[] {
  const known = listModelNames(root);
  return names.flatMap((name): { readonly name: string; readonly viaFolder: boolean }[] => {
    if (isModelFile(name) || known.includes(name)) return [{ name, viaFolder: false }];
    const folder = name.replace(/\/+$/, '');
    const under = known.filter((model) => model.startsWith(`${folder}/`));
    if (under.length > 0) return under.map((model) => ({ name: model, viaFolder: true }));
    throw unknownModel(name, known);
  });
}

function unknownModel(name: string, known: readonly string[]): UsageError {
  const folders = [...new Set(known.flatMap((model) => model.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
  return new UsageError(`no model "${name}"${didYouMean(name, [...known, ...folders])} ("unanimous list" shows them all)`);
}

/** The file a model name or path stands for (whether or not it exists). */
export const modelFilePath = (name: string, root = MODELS_DIR): string => (isModelFile(name) ? resolve(name) : join(root, `${name}${MODEL_EXTENSION}`));

/**
 * Loads a model by name, or from a path to a TypeScript file of one's own (anything ending in
 * `.ts` or `.mts`, anywhere: bin/unanimous.js registers model-file-hooks.js so that it loads as an
 * ES module and finds xstate and unanimous in this package), which must default-export
 * `defineModel(...)` as the files in models/ do.
 */
export async function loadModel(name: string, root = MODELS_DIR): Promise<ModelFile> {
  const path = modelFilePath(name, root);
  if (isModelFile(name)) {
    if (!existsSync(path)) throw new UsageError(`no model file ${path}`);
  } else {
    const known = listModelNames(root);
    if (!known.includes(name)) throw unknownModel(name, known);
  }
  let module: { default?: ModelFile };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: ModelFile };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    const missing = /^Cannot find (?:package|module) '([^']+)'/.exec(message);
    const hint = missing ? `; install it where the model file can find it (npm install ${missing[1]!.split('/').slice(0, missing[1]!.startsWith('@') ? 2 : 1).join('/')} in the file's folder): xstate, unanimous and their dependencies come from unanimous itself` : '';
    throw new UsageError(`${name} could not be loaded: ${message}${hint}`);
  }
  const file = module.default;
  if (!file || typeof file.build !== 'function' || typeof file.parameters !== 'object' || typeof file.expected !== 'function') {
    throw new UsageError(`${name} must default-export a model made with defineModel()`);
  }
  return file;
}

/**
 * Refuses a parameter that no model takes, or (when models were named) one that some named model
 * lacks: a `--param` that silently does nothing would make a run look like what it is not.
 */
export function checkParametersTaken(given: Readonly<Record<string, number>>, files: readonly { readonly name: string; readonly file: ModelFile }[], named: boolean): void {
  for (const key of Object.keys(given)) {
    const takers = files.filter(({ file }) => key in file.parameters);
    if (takers.length > 0 && (!named || takers.length === files.length)) continue;
    const without = files.filter(({ file }) => !(key in file.parameters));
    const takes = [...new Set(without.flatMap(({ file }) => Object.keys(file.parameters)))];
    const flag = key === 'rms' ? '--rms' : `--param ${key}`;
    throw new UsageError(
      `${flag}: ${without.length === 1 ? `${without[0]!.name} has` : `${without.map(({ name }) => name).join(', ')} have`} no parameter "${key}"` +
        (takes.length > 0 ? `${didYouMean(key, takes)} (parameters: ${takes.join(', ')})` : ' (no parameters at all)'),
    );
  }
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

/** A model named on the command line, loaded, its parameters checked and resolved, and built. */
export async function openModel(name: string, given: Readonly<Record<string, number>>): Promise<{ readonly file: ModelFile; readonly parameters: Parameters; readonly model: Model }> {
  const file = await loadModel(name);
  checkParametersTaken(given, [{ name, file }], true);
  const parameters = resolveParameters(name, file, given);
  return { file, parameters, model: buildModel(name, file, parameters) };
}
