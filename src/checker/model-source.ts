import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { Model, ModelFile, Parameters } from './model.ts';

/**
 * Where a model comes from, for a thread that must build it itself: a Model holds functions
 * (machines, properties), which cannot be sent to another thread, so each worker of a parallel
 * check imports the model file and builds the model from the same parameters.
 */
export interface ModelSource {
  /** The model file (a path or file URL), which default-exports `defineModel(...)`. */
  readonly file: string;
  readonly parameters: Parameters;
  /** Use the model's symmetry sets (the CLI's --no-symmetry clears them). */
  readonly symmetry: boolean;
  /** The model built from it on the calling thread, when the caller has it already. */
  readonly model?: Model;
}

/**
 * Imports a model file and builds its model. On the main thread it is imported as the CLI imports
 * it (bin/unanimous.js's hooks load TypeScript). In a worker thread, TypeScript files (`.ts`, `.mts`)
 * are required through tsx's CommonJS hooks, which explore-worker-entry.js registers: on Node 20,
 * module hooks registered by `module.register` (how bin/unanimous.js loads TypeScript) do not
 * reach worker threads, but require hooks, which run in the thread that registers them, do.
 */
export async function buildFromSource(source: ModelSource): Promise<Model> {
  const file = source.file.startsWith('file:') ? new URL(source.file).pathname : source.file;
  let module: { default?: ModelFile };
  if (!isMainThread && /\.m?ts$/.test(file)) {
    module = createRequire(import.meta.url)(file) as { default?: ModelFile };
  } else {
    module = (await import(pathToFileURL(file).href)) as { default?: ModelFile };
  }
  const modelFile = module.default;
  if (!modelFile || typeof modelFile.build !== 'function') throw new Error(`${file} does not default-export a model made with defineModel()`);
  const model = modelFile.build(source.parameters);
  return source.symmetry ? model : { ...model, symmetry: [] };
}
