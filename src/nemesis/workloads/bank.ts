import { setTimeout as sleep } from 'node:timers/promises';
import { checkBank, describeBank, HistoryRecorder } from '../../history/index.ts';
import { KvClient } from '../../service/index.ts';
import { attempt } from './outcome.ts';
import { countOps, runWorkers, untilOk, type Workload, type WorkloadCheck, type WorkloadContext } from './workload.ts';

export interface BankOptions {
  /** Accounts, spread over the shards (so transfers between them are transactions across shards). */
  readonly accounts: number;
  /** Each account's opening balance. */
  readonly balance: number;
  /** The share of reads of every account (the rest: transfers). */
  readonly readRatio: number;
}

interface GetResult {
  readonly op: 'get';
  readonly key: string;
  readonly found: boolean;
  readonly value?: string;
}

/**
 * Jepsen's bank workload (`jepsen.tests.bank`): accounts on every shard, transfers between two
 * accounts, and reads of every account in one transaction. A transfer reads the two balances, then
 * commits one transaction that compares both (`value ==` what it read) and puts both new balances,
 * never overdrawing; a compare that no longer holds (another transfer came first) is a 409, so
 * it did not happen. Most transfers and every full read span shards: two-phase commit over the
 * Raft groups. Checked by the bank checker (src/history/bank.ts): every read of all accounts must
 * sum to the total, with no account missing or negative.
 *
 * Acknowledged writes lost are not counted here: a transfer that vanished, or applied on one shard
 * and not the other, shows as a wrong total in some later read of all accounts — the final one at
 * the latest.
 */
export class BankWorkload implements Workload {
  readonly name = 'bank';
  readonly recorder = new HistoryRecorder();
  readonly accounts: string[];
  private readonly processes = { next: 0 };

  constructor(
    private readonly context: WorkloadContext,
    private readonly options: BankOptions,
  ) {
    const shards = context.cluster.shardIds;
    this.accounts = Array.from({ length: options.accounts }, (_, i) => context.cluster.keyOn(shards[i % shards.length]!, `account-${i}-`));
  }

  get total(): number {
    return this.options.accounts * this.options.balance;
  }

  /** Opens every account with its balance in one transaction (only if none exists yet); retried until done. */
  async setup(): Promise<void> {
    const client = new KvClient(this.context.cluster.endpoint(this.context.cluster.nodeIds[0]!), { timeoutMs: 10_000 });
    const deadline = performance.now() + 60_000;
    for (;;) {
      const outcome = await attempt(() =>
        client.txn({ compare: this.accounts.map((key) => ({ key, exists: false })), ops: this.accounts.map((key) => ({ op: 'put', key, value: String(this.options.balance) })) }),
      );
      if (outcome.type === 'ok') return;
      // A 409 after an attempt whose outcome was unknown: the accounts exist already, opened by it.
      if (outcome.status === 409) {
        const read = await attempt(() => client.txn({ compare: [], ops: this.accounts.map((key) => ({ op: 'get', key })) }));
        if (read.type === 'ok' && balancesOf(read.body).every(([, balance]) => balance === this.options.balance)) return;
      }
      if (performance.now() > deadline) throw new Error(`bank: could not open the accounts: ${outcome.reason}`);
      await sleep(200);
    }
  }

  run(signal: AbortSignal): Promise<void> {
    const random = this.context.random;
    return runWorkers(this.context, this.processes, signal, async (worker) => {
      if (random() < this.options.readRatio) {
        const process = worker.process;
        this.recorder.invoke(process, 'read', null);
        const outcome = await worker.send((client) => client.txn({ compare: [], ops: this.accounts.map((key) => ({ op: 'get', key })) }));
        if (outcome.type === 'ok') this.recorder.ok(process, Object.fromEntries(balancesOf(outcome.body)));
        else this.recorder.complete(process, outcome.type);
        return;
      }
      const from = this.accounts[Math.floor(random() * this.accounts.length)]!;
      let to = this.accounts[Math.floor(random() * (this.accounts.length - 1))]!;
      if (to === from) to = this.accounts[this.accounts.length - 1]!;
      // The balances the transfer is computed from: a read of its own, not an operation of the history.
      const read = await worker.send((client) => client.txn({ compare: [], ops: [from, to].map((key) => ({ op: 'get', key })) }));
      if (read.type !== 'ok') return;
      const [[, fromBalance], [, toBalance]] = balancesOf(read.body) as [[string, unknown], [string, unknown]];
      if (typeof fromBalance !== 'number' || typeof toBalance !== 'number' || fromBalance <= 0) return;
      const amount = 1 + Math.floor(random() * Math.min(fromBalance, 5));
      const process = worker.process;
      this.recorder.invoke(process, 'transfer', { from, to, amount });
      const outcome = await worker.send((client) =>
        client.txn({
          compare: [
            { key: from, value: String(fromBalance) },
            { key: to, value: String(toBalance) },
          ],
          ops: [
            { op: 'put', key: from, value: String(fromBalance - amount) },
            { op: 'put', key: to, value: String(toBalance + amount) },
          ],
        }),
      );
      this.recorder.complete(process, outcome.type);
    });
  }

  async finalReads(): Promise<void> {
    await untilOk(async () => {
      const process = this.processes.next++;
      const node = this.context.cluster.nodeIds[Math.floor(this.context.random() * this.context.cluster.nodeIds.length)]!;
      this.recorder.invoke(process, 'read', null);
      const outcome = await attempt(() => new KvClient(this.context.cluster.endpoint(node), { timeoutMs: this.context.timeoutMs }).txn({ compare: [], ops: this.accounts.map((key) => ({ op: 'get', key })) }));
      if (outcome.type === 'ok') this.recorder.ok(process, Object.fromEntries(balancesOf(outcome.body)));
      else this.recorder.complete(process, outcome.type);
      return outcome.type === 'ok';
    });
  }

  check(): WorkloadCheck {
    const history = this.recorder.history;
    const result = checkBank(history, { total: this.total, accounts: this.accounts });
    return {
      workload: this.name,
      checker: 'bank (every read of all accounts sums to the total, none negative or missing)',
      valid: result.valid,
      anomalies: result.badReads.length,
      anomalyKinds: Object.keys(result.byKind),
      explanation: describeBank(result),
      lostWrites: null,
      lostDetail: 'not counted: a lost or half-applied transfer shows as a read with the wrong total',
      ops: countOps(history),
    };
  }
}

/** `[account, balance]` from a transaction's get results (a missing account is left out; a balance that is not a number stays as read). */
function balancesOf(body: unknown): [string, unknown][] {
  const results = ((body as { results?: unknown }).results ?? []) as GetResult[];
  return results.filter((result) => result.op === 'get' && result.found).map((result) => [result.key, /^-?\d+$/.test(result.value ?? '') ? Number(result.value) : result.value]);
}
