/** Plain JSON data: the only kind of value a machine's context, messages and durable state may hold. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * A canonical JSON text: object keys sorted, so two equal values always give the same text
 * whatever order their keys were written in. Used to intern local states and messages.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (value === undefined) return 'null';
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`not JSON: the number ${value}`);
    }
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new TypeError(`not JSON: a ${typeof value}`);
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
    throw new TypeError(`not JSON: an instance of ${prototype?.constructor?.name ?? 'a class'}`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}
