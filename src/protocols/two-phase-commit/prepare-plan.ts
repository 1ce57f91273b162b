import type { Json } from '../../node/index.ts';
import type { ReadResult, ShardCompare, ShardOperation, Writes } from './transaction-messages.ts';

/** The part of a Prepare that says what the transaction does at one participant. */
export interface PrepareRequest {
  readonly writes: Writes;
  readonly compare?: readonly ShardCompare[];
  readonly ops?: readonly ShardOperation[];
}

/** The committed data a Prepare is evaluated against: values, and versions as the service counts them. */
export interface CommittedData {
  readonly data: { readonly [key: string]: Json };
  /** etcd's version per key: puts since the key was created (absent once deleted, as `data`). */
  readonly versions: { readonly [key: string]: number };
}

/**
 * What a lock check needs of a transaction at one participant: the keys it writes blind, compares and
 * operates on. A Prepare is one; so is a transaction of the key-value service (src/service/txn.ts).
 */
export interface LockRequest {
  readonly writes?: Writes;
  readonly compare?: readonly { readonly key: string }[];
  readonly ops?: readonly { readonly op: 'get' | 'put' | 'delete'; readonly key: string }[];
}

/** The keys a transaction locks at a participant: exclusively those it writes, shared those it only reads. */
export interface LockKeys {
  readonly write: readonly string[];
  readonly read: readonly string[];
}

/** What a transaction will do at commit, fixed at prepare time, and what its gets read. */
export interface PreparePlan {
  /** key → final value, `null` deleting it. */
  readonly writes: Writes;
  /** key → version after commit, for the keys `ops` put; a blind write bumps the committed version by one. */
  readonly versions: { readonly [key: string]: number };
  readonly results: readonly ReadResult[];
}

/** Sorted, without repeats. */
const sortedSet = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();

/**
 * The keys a Prepare writes (blind writes, puts, deletes) and those it only reads (compares, gets).
 * Shared locks on the read keys and exclusive locks on the written ones, held to the decision, are
 * strict two-phase locking with read and write modes (Eswaran et al. 1976; Bernstein, Hadzilacos &
 * Goodman, "Concurrency Control and Recovery", §3): conflicting accesses never overlap, so the
 * committed transactions are serializable, reads included.
 */
export function lockKeysOf<R extends LockRequest>(request: R): LockKeys {
  const write = sortedSet([...Object.keys(request.writes ?? {}), ...(request.ops ?? []).filter((op) => op.op !== 'get').map((op) => op.key)]);
  const reads = [...(request.compare ?? []).map((c) => c.key), ...(request.ops ?? []).filter((op) => op.op === 'get').map((op) => op.key)];
  return { write, read: sortedSet(reads.filter((key) => !write.includes(key))) };
}

/**
 * Why a compare does not hold against the committed data, worded as the key-value service words
 * it (src/service/kv-state.ts), or undefined when it holds. A missing key has version 0.
 */
export function compareFailure(compare: ShardCompare, committed: CommittedData): string | undefined {
  const key = JSON.stringify(compare.key);
  const value = committed.data[compare.key];
  switch (compare.target) {
    case 'exists':
      return (value !== undefined) === compare.exists ? undefined : `${key} ${value !== undefined ? 'exists' : 'does not exist'}`;
    case 'value': {
      if (value === undefined) return `${key} does not exist (expected a value ${compare.op} ${JSON.stringify(compare.value)})`;
      const equal = value === compare.value;
      return equal === (compare.op === '==') ? undefined : `${key} has value ${JSON.stringify(value)}, expected ${compare.op} ${JSON.stringify(compare.value)}`;
    }
    case 'version': {
      const actual = committed.versions[compare.key] ?? 0;
      const n = compare.number;
      const holds = compare.op === '==' ? actual === n : compare.op === '!=' ? actual !== n : compare.op === '<' ? actual < n : actual > n;
      return holds ? undefined : `${key} has version ${actual}, expected ${compare.op} ${n}`;
    }
    default:
      // A message from outside the type system (e.g. a revision compare, which has no meaning
      // across shards) must not pass silently: it fails, saying why.
      return `${key}: compare target ${JSON.stringify((compare as { target?: unknown }).target)} is not supported across shards (value, version or exists)`;
  }
}

/** The first failing compare, as the service's reason; undefined when all hold. */
export function firstCompareFailure(request: PrepareRequest, committed: CommittedData): { key: string; detail: string } | undefined {
  for (const compare of request.compare ?? []) {
    const failure = compareFailure(compare, committed);
    if (failure !== undefined) return { key: compare.key, detail: `compare failed: ${failure}` };
  }
  return undefined;
}

/**
 * Runs a Prepare's writes and ops against the committed data without changing it, as the service's
 * `KvState.apply` would at this point: the blind writes first, then the ops in order, each get
 * seeing the puts and deletes before it; a put bumps the key's version, a delete resets it.
 * Under the transaction's locks nobody else changes these keys before the decision, so the
 * results are those of the transaction's serialization point.
 */
export function planOf(request: PrepareRequest, committed: CommittedData): PreparePlan {
  const current = new Map<string, { value: Json; version: number } | null>();
  const read = (key: string) => {
    if (current.has(key)) return current.get(key)!;
    const value = committed.data[key];
    return value === undefined ? null : { value, version: committed.versions[key] ?? 0 };
  };
  for (const [key, value] of Object.entries(request.writes)) current.set(key, value === null ? null : { value, version: (read(key)?.version ?? 0) + 1 });
  const results: ReadResult[] = [];
  for (const op of request.ops ?? []) {
    const record = read(op.key);
    if (op.op === 'get') results.push(record === null ? { key: op.key, found: false } : { key: op.key, found: true, ...record });
    else if (op.op === 'put') current.set(op.key, { value: op.value, version: (record?.version ?? 0) + 1 });
    else current.set(op.key, null);
  }
  const writes: Record<string, Json> = {};
  const versions: Record<string, number> = {};
  for (const key of [...current.keys()].sort()) {
    const record = current.get(key)!;
    writes[key] = record === null ? null : record.value;
    if (record !== null) versions[key] = record.version;
  }
  return { writes, versions, results };
}
