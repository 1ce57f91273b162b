/**
 * A model that cannot be checked as written: an invalid configuration, a machine that throws, a
 * property that throws. The CLI reports it in one line with exit status 2.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}
