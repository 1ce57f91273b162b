/**
 * The part of the Reflect Metadata API (the decorator-metadata proposal that the `reflect-metadata`
 * package implements: `Reflect.defineMetadata`, `getOwnMetadata`, `getMetadata`) that tsyringe
 * needs. @peculiar/x509 registers its algorithms in a tsyringe container, and tsyringe refuses to
 * load without these functions ("Reflect Polyfill Required" in @peculiar/x509's README). Nothing
 * here emits decorator metadata, so tsyringe only ever stores and finds its own injection tokens:
 * a map per target, looked up along the prototype chain for `getMetadata`, as the proposal says.
 *
 * Installed only where absent, so a real polyfill loaded first wins; call it before the first
 * import of @peculiar/x509 (a dynamic import after the call: static imports run first).
 */
type MetadataReflect = typeof Reflect & {
  defineMetadata?: (key: unknown, value: unknown, target: object, property?: string | symbol) => void;
  getOwnMetadata?: (key: unknown, target: object, property?: string | symbol) => unknown;
  getMetadata?: (key: unknown, target: object, property?: string | symbol) => unknown;
};

const tables = new WeakMap<object, Map<string | symbol | undefined, Map<unknown, unknown>>>();

function table(target: object, property: string | symbol | undefined, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = tables.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    tables.set(target, (byProperty = new Map()));
  }
  let entries = byProperty.get(property);
  if (!entries && create) byProperty.set(property, (entries = new Map()));
  return entries;
}

export function installReflectMetadata(): void {
  const reflect = Reflect as MetadataReflect;
  if (typeof reflect.getMetadata === 'function' && typeof reflect.getOwnMetadata === 'function' && typeof reflect.defineMetadata === 'function') return;
  reflect.defineMetadata = (key, value, target, property) => void table(target, property, true)!.set(key, value);
  reflect.getOwnMetadata = (key, target, property) => table(target, property, false)?.get(key);
  reflect.getMetadata = (key, target, property) => {
    for (let at: object | null = target; at !== null; at = Object.getPrototypeOf(at) as object | null) {
      const entries = table(at, property, false);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  };
}
