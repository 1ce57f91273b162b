/**
 * Jepsen's bank checker (`jepsen.tests.bank`): clients transfer money between accounts and read
 * every account at once; under snapshot isolation or anything stronger, every read sees a state in
 * which the transfers are all-or-nothing, so the balances sum to the constant total — and, when
 * transfers refuse to overdraw, none is negative.
 */
import { formatPair, formatProcess, formatTime, formatValue, pairOps, type History, type OpPair, type Process } from './history.ts';

/** Options of {@link checkBank}. */
export interface BankOptions {
  /** The sum every read must show. */
  readonly total: number;
  /**
   * The accounts every read must show, no more and no fewer (compared as strings, since a read's
   * value is an object). When absent, a read may show any accounts.
   */
  readonly accounts?: readonly (string | number)[];
  /** Whether balances may be negative; `false` by default (Jepsen's `:negative-balances?`). */
  readonly allowNegative?: boolean;
  /** The `f` of the reads; `read` by default. Other operations (transfers) are not examined. */
  readonly readF?: string;
}

/** What can be wrong with one read. */
export type BankErrorKind = 'wrong-total' | 'negative' | 'missing-account' | 'unexpected-account' | 'not-a-number';

/** A read that breaks the invariant, with everything needed to print it. */
export interface BadRead {
  /** The read operation. */
  readonly op: OpPair;
  readonly process: Process;
  /** The completion's index and time: when the read returned. */
  readonly index: number;
  readonly time: number;
  /** The balances read, account → balance. */
  readonly balances: Readonly<Record<string, unknown>>;
  /** The sum of the numeric balances read. */
  readonly sum: number;
  /** The total it should have been. */
  readonly expected: number;
  readonly kinds: readonly BankErrorKind[];
  readonly negative: readonly string[];
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  /** Accounts whose balance is not a finite number. */
  readonly notNumbers: readonly string[];
}

/** The result of {@link checkBank}; print it with {@link describeBank}. */
export interface BankResult {
  /** No bad read. */
  readonly valid: boolean;
  /** The `ok` reads examined. */
  readonly reads: number;
  /** Every bad read, in history order. */
  readonly badReads: readonly BadRead[];
  /** How many bad reads show each kind of error. */
  readonly byKind: Readonly<Partial<Record<BankErrorKind, number>>>;
  readonly total: number;
}

/**
 * Checks every `ok` read of a bank history: its value is the balances, an object
 * `{ account: balance }` (or an array of `[account, balance]` pairs), whose sum must be
 * `options.total`; each balance must be a finite number, non-negative unless `allowNegative`; and
 * when `accounts` is given, exactly those accounts must appear. `fail` and `info` reads are
 * ignored (their values are not results). Follows Jepsen's `bank/checker`; throws
 * `MalformedHistoryError` for a malformed history.
 */
export function checkBank(history: History, options: BankOptions): BankResult {
  const readF = options.readF ?? 'read';
  const expectedAccounts = options.accounts?.map(String);
  const badReads: BadRead[] = [];
  const byKind: Partial<Record<BankErrorKind, number>> = {};
  let reads = 0;
  for (const op of pairOps(history)) {
    if (op.type !== 'ok' || op.f !== readF) continue;
    reads++;
    const balances = balancesOf(op.value);
    const kinds = new Set<BankErrorKind>();
    const negative: string[] = [];
    const notNumbers: string[] = [];
    let sum = 0;
    for (const [account, balance] of Object.entries(balances)) {
      if (typeof balance !== 'number' || !Number.isFinite(balance)) {
        notNumbers.push(account);
        kinds.add('not-a-number');
        continue;
      }
      sum += balance;
      if (balance < 0 && !options.allowNegative) {
        negative.push(account);
        kinds.add('negative');
      }
    }
    const missing = expectedAccounts ? expectedAccounts.filter((a) => !Object.hasOwn(balances, a)) : [];
    const unexpected = expectedAccounts ? Object.keys(balances).filter((a) => !expectedAccounts.includes(a)) : [];
    if (missing.length > 0) kinds.add('missing-account');
    if (unexpected.length > 0) kinds.add('unexpected-account');
    if (sum !== options.total) kinds.add('wrong-total');
    if (kinds.size === 0) continue;
    for (const kind of kinds) byKind[kind] = (byKind[kind] ?? 0) + 1;
    badReads.push({
      op,
      process: op.process,
      index: op.end,
      time: op.completion!.time,
      balances,
      sum,
      expected: options.total,
      kinds: [...kinds],
      negative,
      missing,
      unexpected,
      notNumbers,
    });
  }
  return { valid: badReads.length === 0, reads, badReads, byKind, total: options.total };
}

function balancesOf(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const entry of value) {
      if (Array.isArray(entry) && entry.length === 2) out[String(entry[0])] = entry[1];
    }
    return out;
  }
  if (value !== null && typeof value === 'object') return value as Record<string, unknown>;
  return {};
}

/**
 * A result of {@link checkBank} as text: one line when valid; otherwise a summary by kind and
 * one line per bad read (up to `limit`, 20 by default) with its time, process, balances and sum.
 */
export function describeBank(result: BankResult, { limit = 20 }: { readonly limit?: number } = {}): string {
  if (result.valid) return `bank: valid — ${result.reads} reads, every one summing to ${result.total}`;
  const kinds = Object.entries(result.byKind)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const lines = [`bank: INVALID — ${result.badReads.length} of ${result.reads} reads are bad (${kinds}); the total is ${result.total}`];
  for (const bad of result.badReads.slice(0, limit)) {
    const problems: string[] = [];
    if (bad.kinds.includes('wrong-total')) problems.push(`sum ${bad.sum} ≠ ${bad.expected} (off by ${bad.sum - bad.expected})`);
    if (bad.negative.length > 0) problems.push(`negative: ${bad.negative.join(', ')}`);
    if (bad.missing.length > 0) problems.push(`missing: ${bad.missing.join(', ')}`);
    if (bad.unexpected.length > 0) problems.push(`unexpected: ${bad.unexpected.join(', ')}`);
    if (bad.notNumbers.length > 0) problems.push(`not numbers: ${bad.notNumbers.join(', ')}`);
    lines.push(`  #${bad.index} at ${formatTime(bad.time)}, p${formatProcess(bad.process)}: ${problems.join('; ')} — read ${formatValue(bad.balances)}`);
  }
  if (result.badReads.length > limit) lines.push(`  … and ${result.badReads.length - limit} more`);
  return lines.join('\n');
}

/** The read of a bad read as text, for a runner's own reports. */
export function formatBadRead(bad: BadRead): string {
  return `${formatPair(bad.op)}: sum ${bad.sum}, expected ${bad.expected} (${bad.kinds.join(', ')})`;
}
