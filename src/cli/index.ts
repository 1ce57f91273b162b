/**
 * The CLI layer's surface for code outside src/ (the benches): the registry of models in models/
 * as `unanimous check` resolves them. The command itself is bin/unanimous.js → main.ts.
 */
export { buildModel, listModelNames, loadModel, resolveParameters } from './models.ts';
