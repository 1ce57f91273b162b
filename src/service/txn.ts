/**
 * The service's one command: a transaction on keys of one shard — compare conditions, then
 * operations, all or nothing (etcd's Txn, with the "else" branch left out: a failed compare aborts
 * with its reason). A put, get or delete of one key is a transaction of one operation.
 *
 * Everything that reaches a shard's log has been through `parseTxn`: replicas apply commands
 * without re-checking their shape, and every replica must reach the same verdict on each one.
 */

/** Keys: 1..1024 bytes of UTF-8, no control characters (they would be unreadable in logs and URLs). */
export const MAX_KEY_BYTES = 1024;
/** Values: strings of at most 64 KiB of UTF-8. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** Compares plus operations in one transaction. */
export const MAX_TXN_PARTS = 128;

/** A condition on one key's current value, revision or version, or on its existence. */
export type Compare =
  | { readonly key: string; readonly target: 'value'; readonly op: '==' | '!='; readonly value: string }
  | { readonly key: string; readonly target: 'revision' | 'version'; readonly op: CompareOp; readonly number: number }
  | { readonly key: string; readonly target: 'exists'; readonly exists: boolean };

export type CompareOp = '==' | '!=' | '<' | '>';

export type Operation =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

export type Txn = {
  readonly compare: readonly Compare[];
  readonly ops: readonly Operation[];
};

/**
 * Whether a transaction only reads: its operations are all gets (its compares read too). Applying
 * it changes nothing, so a leader may answer it from its data after a ReadIndex confirmation
 * instead of ordering it through the log (src/service/read-index-reads.ts).
 */
export const isReadOnly = (txn: Txn): boolean => txn.ops.every((op) => op.op === 'get');

/** What one operation of a committed transaction gave. */
export type OperationResult =
  | { readonly op: 'get'; readonly key: string; readonly found: false }
  | { readonly op: 'get'; readonly key: string; readonly found: true; readonly value: string; readonly revision: number; readonly version: number }
  | { readonly op: 'put'; readonly key: string; readonly revision: number; readonly version: number }
  | { readonly op: 'delete'; readonly key: string; readonly deleted: boolean };

export type TxnResult =
  | { readonly committed: true; readonly revision: number; readonly results: readonly OperationResult[] }
  | { readonly committed: false; readonly reason: string };

/** A request the service refuses before it reaches any log; `message` says what to fix. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    /** The HTTP status to answer with: 400, or 413 for a key or value over its limit. */
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

const COMPARE_OPS: readonly CompareOp[] = ['==', '!=', '<', '>'];

/** Checks a key; returns it or throws `InvalidRequestError`. */
export function checkKey(key: unknown, where = 'key'): string {
  if (typeof key !== 'string') throw new InvalidRequestError(`${where} must be a string`);
  if (key.length === 0) throw new InvalidRequestError(`${where} must not be empty`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw new InvalidRequestError(`${where} is ${bytes} bytes; the limit is ${MAX_KEY_BYTES}`, 413);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidRequestError(`${where} must not contain control characters`);
  refuseLoneSurrogates(key, where);
  return key;
}

/** Checks a value; returns it or throws `InvalidRequestError`. */
export function checkValue(value: unknown, where = 'value'): string {
  if (typeof value !== 'string') throw new InvalidRequestError(`${where} must be a string`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) throw new InvalidRequestError(`${where} is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`, 413);
  refuseLoneSurrogates(value, where);
  return value;
}

/**
 * Keys and values are UTF-8, and a JSON body can still spell a string that has no UTF-8 form: a
 * lone surrogate escape ("\ud800"). Found by fuzzing: such strings were stored. Everything that
 * encodes them as UTF-8 sees U+FFFD instead (the hash ring and the byte limits did: "\ud800" and
 * "\udc00" were two keys that hash and measure as one), and a client in a language whose strings
 * are UTF-8 cannot read them back (Go's decoder turns them into U+FFFD, Rust's refuses). It is the
 * JSON twin of invalid UTF-8 bytes in a body, refused the same way (http-json.ts).
 */
function refuseLoneSurrogates(text: string, where: string): void {
  // In a `u` regex a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
  const lone = /\p{Cs}/u.exec(text);
  if (lone) throw new InvalidRequestError(`${where} is not valid Unicode: a lone surrogate \\u${lone[0].charCodeAt(0).toString(16)} at character ${lone.index} (strings must have a UTF-8 form)`);
}

/**
 * A transaction from untrusted JSON (`POST /txn`'s body), or `InvalidRequestError` saying what is
 * wrong. `part`: one shard's part of a transaction across shards, which may hold compares alone.
 */
export function parseTxn(body: unknown, { part = false }: { readonly part?: boolean } = {}): Txn {
  if (!isRecord(body)) throw new InvalidRequestError('a transaction is a JSON object with "compare" and "ops" arrays');
  refuseUnknownFields(body, ['compare', 'ops'], 'transaction');
  const compare = body.compare ?? [];
  const ops = body.ops;
  if (!Array.isArray(compare)) throw new InvalidRequestError('"compare" must be an array');
  if (!Array.isArray(ops)) throw new InvalidRequestError('"ops" must be an array of operations');
  if (ops.length === 0 && !(part && compare.length > 0)) throw new InvalidRequestError('"ops" must hold at least one operation');
  if (compare.length + ops.length > MAX_TXN_PARTS) throw new InvalidRequestError(`a transaction holds at most ${MAX_TXN_PARTS} compares and operations, this one ${compare.length + ops.length}`);
  return { compare: compare.map((c, i) => parseCompare(c, `compare[${i}]`)), ops: ops.map((o, i) => parseOperation(o, `ops[${i}]`)) };
}

function parseCompare(value: unknown, where: string): Compare {
  if (!isRecord(value)) throw new InvalidRequestError(`${where} must be an object`);
  const key = checkKey(value.key, `${where}.key`);
  const targets = (['value', 'revision', 'version', 'exists'] as const).filter((target) => value[target] !== undefined);
  if (targets.length !== 1) throw new InvalidRequestError(`${where} must name exactly one of "value", "revision", "version", "exists"`);
  const target = targets[0]!;
  refuseUnknownFields(value, ['key', target, ...(target === 'exists' ? [] : ['op'])], where);
  const op = value.op ?? '==';
  if (!COMPARE_OPS.includes(op as CompareOp)) throw new InvalidRequestError(`${where}.op must be one of ${COMPARE_OPS.join(' ')}`);
  switch (target) {
    case 'value':
      if (op !== '==' && op !== '!=') throw new InvalidRequestError(`${where}: a value compares with == or != only`);
      return { key, target, op, value: checkValue(value.value, `${where}.value`) };
    case 'revision':
    case 'version': {
      const number = value[target];
      if (!Number.isSafeInteger(number) || (number as number) < 0) throw new InvalidRequestError(`${where}.${target} must be a whole number >= 0`);
      return { key, target, op: op as CompareOp, number: number as number };
    }
    case 'exists':
      if (typeof value.exists !== 'boolean') throw new InvalidRequestError(`${where}.exists must be true or false`);
      return { key, target, exists: value.exists };
  }
}

function parseOperation(value: unknown, where: string): Operation {
  if (!isRecord(value)) throw new InvalidRequestError(`${where} must be an object`);
  const key = checkKey(value.key, `${where}.key`);
  switch (value.op) {
    case 'get':
    case 'delete':
      refuseUnknownFields(value, ['op', 'key'], where);
      return { op: value.op, key };
    case 'put':
      refuseUnknownFields(value, ['op', 'key', 'value'], where);
      return { op: 'put', key, value: checkValue(value.value, `${where}.value`) };
    default:
      throw new InvalidRequestError(`${where}.op must be "get", "put" or "delete"`);
  }
}

/** A transaction in the JSON shape `parseTxn` reads (what a node forwards to another). */
export function txnToJson(txn: Txn): object {
  return {
    compare: txn.compare.map((compare) => {
      switch (compare.target) {
        case 'value':
          return { key: compare.key, value: compare.value, op: compare.op };
        case 'revision':
        case 'version':
          return { key: compare.key, [compare.target]: compare.number, op: compare.op };
        case 'exists':
          return { key: compare.key, exists: compare.exists };
      }
    }),
    ops: txn.ops,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownFields(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const unknown = Object.keys(value).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) throw new InvalidRequestError(`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${listFields(unknown)}`);
}

/** The fields most errors show: found by fuzzing, a body of 50,000 stray fields got an error naming all 50,000. */
const LISTED_FIELDS = 5;

/** Up to LISTED_FIELDS field names, each cut to 64 characters, and how many more there are. */
export function listFields(fields: readonly string[]): string {
  const shown = fields.slice(0, LISTED_FIELDS).map((field) => JSON.stringify(field.length > 64 ? `${field.slice(0, 64)}…` : field));
  return fields.length > LISTED_FIELDS ? `${shown.join(', ')} and ${fields.length - LISTED_FIELDS} more` : shown.join(', ');
}
