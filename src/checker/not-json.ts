import { canonicalJson, findNotJson, NotJsonError, type NotJson } from '../node/index.ts';
import { ModelError } from './model-error.ts';

/** `context.votes is a Set, which is not plain JSON: use a sorted array of its members`. */
export const describeNotJson = (found: NotJson): string => `${found.path} is ${found.found}, which is not plain JSON: ${found.instead}`;

/**
 * Whether `error` is `canonicalJson` refusing a value: a NotJsonError, or the stack overflow of
 * its recursion into a cycle.
 */
export const isNotJson = (error: unknown): boolean =>
  error instanceof NotJsonError || (error instanceof RangeError && /call stack/i.test(error.message));

/**
 * The error to throw after interning failed on one of `values` (each with the root its path
 * starts from): when `canonicalJson` refused one of them, a ModelError that says where and what,
 * prefixed with `where`; otherwise `cause` itself (a ModelError already, or a failure with
 * another cause). The slow path: called only once interning has thrown.
 */
export function notJsonError(cause: unknown, where: string, values: readonly (readonly [value: unknown, root: string])[]): unknown {
  if (!isNotJson(cause)) return cause;
  for (const [value, root] of values) {
    const found = findNotJson(value, root);
    if (found) return new ModelError(`${where}: ${describeNotJson(found)}`, { cause });
  }
  return cause;
}

/**
 * `canonicalJson(value)`, a refusal turned into a ModelError that says where (`where()` is
 * called only then, so the hot path builds no message) and which field under `root`.
 */
export function canonicalJsonOf(value: unknown, root: string, where: () => string): string {
  try {
    return canonicalJson(value);
  } catch (error) {
    throw notJsonError(error, where(), [[value, root]]);
  }
}
