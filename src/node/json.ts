/** Plain JSON data: the only kind of value a machine's context, messages and durable state may hold. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** What `canonicalJson` throws on a value that is not plain JSON. `findNotJson` says where it is. */
export class NotJsonError extends TypeError {
  override readonly name = 'NotJsonError';
}

/**
 * A canonical JSON text: object keys sorted, so two equal values always give the same text
 * whatever order their keys were written in. Used to intern local states and messages.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (value === undefined) return 'null';
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new NotJsonError(`not JSON: the number ${value}`);
    }
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new NotJsonError(`not JSON: a ${typeof value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    // An index loop, not map: map skips the holes of a sparse array, which must read as null.
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(canonicalJson(value[i]));
    return `[${items.join(',')}]`;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new NotJsonError(`not JSON: an instance of ${prototype?.constructor?.name ?? 'a class'}`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** Where a value is not plain JSON, and what to use there instead. */
export interface NotJson {
  /** The path to the value from the root given: `context.votes`, `context.log[2].value`. */
  readonly path: string;
  /** What is there: `a Set`, `an instance of class Ballot`, `the number NaN`. */
  readonly found: string;
  /** What to use instead: `use a sorted array of its members`. */
  readonly instead: string;
}

/**
 * The first place, in the order `canonicalJson` visits them, where `value` holds something
 * `canonicalJson` refuses (or a cycle, on which it would recurse without end); undefined when
 * there is none. `root` names the value in the path (`context`, `message`, `durable`).
 * A slow path for error messages: call it after `canonicalJson` has thrown, not before.
 */
export function findNotJson(value: unknown, root: string): NotJson | undefined {
  return notJsonIn(value, root, DATA[root] ?? 'its data', [], []);
}

function notJsonIn(value: unknown, path: string, data: string, ancestors: object[], ancestorPaths: string[]): NotJson | undefined {
  if (value === null || typeof value !== 'object') {
    switch (typeof value) {
      case 'number':
        return Number.isFinite(value) ? undefined : { path, found: `the number ${value}`, instead: 'use a finite number, or null for "none"' };
      case 'bigint':
        return { path, found: `a bigint (${value}n)`, instead: 'use a number, or a decimal string if it may exceed Number.MAX_SAFE_INTEGER' };
      case 'symbol':
        return { path, found: `a symbol (${String(value)})`, instead: 'use a string' };
      case 'function':
        return { path, found: 'a function', instead: `keep functions in the machine's actions and guards, not in ${data}` };
      default:
        return undefined;
    }
  }
  const cycle = ancestors.indexOf(value);
  if (cycle >= 0) {
    return { path, found: `a reference back to ${ancestorPaths[cycle]} (a cycle)`, instead: 'JSON data is a tree: refer to the shared part by a key or an index instead' };
  }
  ancestors.push(value);
  ancestorPaths.push(path);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const found = notJsonIn(value[i], `${path}[${i}]`, data, ancestors, ancestorPaths);
        if (found) return found;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return { path, ...notPlainObject(value, prototype) };
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    for (const key of keys) {
      const found = notJsonIn(record[key], `${path}${IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, data, ancestors, ancestorPaths);
      if (found) return found;
    }
    return undefined;
  } finally {
    ancestors.pop();
    ancestorPaths.pop();
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** What a root's data is called in advice: "not in context". */
const DATA: Record<string, string> = { context: 'context', message: 'messages', durable: 'durable state' };

/** What an object with a prototype of its own is, and what plain JSON to use for it instead. */
function notPlainObject(value: object, prototype: object): { found: string; instead: string } {
  const name: unknown = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  const className = typeof name === 'string' && name !== '' ? name : undefined;
  // The built-in's tag, which holds across realms and for subclasses: "Set" for a class VoteSet extends Set.
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  const builtIn = (article: string) => (className === undefined || className === tag ? `${article} ${tag}` : `an instance of class ${className} (${article} ${tag})`);
  switch (tag) {
    case 'Set':
      return { found: builtIn('a'), instead: 'use a sorted array of its members' };
    case 'Map':
      return { found: builtIn('a'), instead: 'use a plain object keyed by string, or an array of [key, value] pairs' };
    case 'Date':
      return { found: builtIn('a'), instead: 'use a number (milliseconds since the epoch) or an ISO 8601 string' };
    case 'RegExp':
      return { found: builtIn('a'), instead: 'use its source, a string' };
  }
  if (ArrayBuffer.isView(value) || tag === 'ArrayBuffer' || tag === 'SharedArrayBuffer') {
    return { found: builtIn(/^[AEIO]/.test(tag) ? 'an' : 'a'), instead: 'use an array of numbers' };
  }
  return {
    found: className === undefined ? 'an object whose prototype is not Object.prototype' : `an instance of class ${className}`,
    instead: 'use a plain object with its fields',
  };
}
