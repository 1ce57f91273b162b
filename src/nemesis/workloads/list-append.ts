import { checkListAppend, describeListAppend, type History, HistoryRecorder, pairOps, type MicroOp } from '../../history/index.ts';
import { KvClient } from '../../service/index.ts';
import { attempt } from './outcome.ts';
import { countOps, runWorkers, untilOk, type Workload, type WorkloadCheck, type WorkloadContext } from './workload.ts';

export interface ListAppendOptions {
  /** Lists in use at once, spread over the shards. */
  readonly keys: number;
  /** Appends a list takes before it is retired for a fresh one (Elle's key rotation; keeps values small). */
  readonly appendsPerKey: number;
  /** The most micro-operations in one transaction. */
  readonly maxOps: number;
}

interface Result {
  readonly op: 'get' | 'put' | 'delete';
  readonly key: string;
  readonly found?: boolean;
  readonly value?: string;
}

/**
 * Elle's list-append workload (Kingsbury & Alvaro, VLDB 2020): transactions of micro-operations
 * `[append k e]` and `[r k nil]` over a few lists, checked by Elle's inference of Adya's
 * dependency graph (src/history/list-append.ts: G0, G1a/b/c, G-single, G2, and the rest).
 *
 * The service has no append, so a list is a key whose value is the JSON of an array of numbers,
 * and a transaction is a read-modify-write: a first transaction reads the lists it touches (not
 * an operation of the history, just the client's view), then ONE transaction does the work
 * atomically — for every list it touches a compare that the list is still what was read
 * (`value ==` the JSON read, or `exists: false`), then its micro-operations in order: an append is
 * a put of the list with the element added, a read is a get (which sees the puts before it in the
 * same transaction). A compare that no longer holds is a 409: the transaction did not happen. The
 * reads recorded are what the service's gets answered, so what Elle checks is the service's word.
 * Lists on several shards make transactions across shards: two-phase commit over the Raft groups.
 *
 * Acknowledged writes lost: after recovery every list is read once more; an element an `ok`
 * transaction appended that this final read does not show is lost (lists only grow).
 */
export class ListAppendWorkload implements Workload {
  readonly name = 'list-append';
  readonly recorder = new HistoryRecorder();
  /** Every list ever used, retired ones too. */
  readonly allKeys: string[] = [];
  private readonly active: string[] = [];
  private readonly appends = new Map<string, number>();
  private readonly processes = { next: 0 };
  private nextElement = 1;
  private generation = 0;

  constructor(
    private readonly context: WorkloadContext,
    private readonly options: ListAppendOptions,
  ) {
    for (let i = 0; i < options.keys; i++) this.active.push(this.freshKey());
  }

  async setup(): Promise<void> {}

  /** A new list, on the shards in turn. */
  private freshKey(): string {
    const shards = this.context.cluster.shardIds;
    const key = this.context.cluster.keyOn(shards[this.generation % shards.length]!, `list-${this.generation}-`);
    this.generation++;
    this.allKeys.push(key);
    this.appends.set(key, 0);
    return key;
  }

  run(signal: AbortSignal): Promise<void> {
    const random = this.context.random;
    return runWorkers(this.context, this.processes, signal, async (worker) => {
      const count = 1 + Math.floor(random() * this.options.maxOps);
      const mops: MicroOp[] = [];
      for (let i = 0; i < count; i++) {
        const slot = Math.floor(random() * this.active.length);
        const key = this.active[slot]!;
        if (random() < 0.5) {
          mops.push(['append', key, this.nextElement++]);
          const appended = this.appends.get(key)! + 1;
          this.appends.set(key, appended);
          if (appended >= this.options.appendsPerKey) this.active[slot] = this.freshKey();
        } else mops.push(['r', key, null]);
      }
      const keys = [...new Set(mops.map((mop) => String(mop[1])))];
      // The client's view of the lists, which the transaction's compares then pin.
      const view = await worker.send((client) => client.txn({ compare: [], ops: keys.map((key) => ({ op: 'get', key })) }));
      if (view.type !== 'ok') return;
      const seen = new Map<string, string | undefined>();
      for (const result of ((view.body as { results?: Result[] }).results ?? []) as Result[]) seen.set(result.key, result.found ? result.value : undefined);
      const lists = new Map<string, number[]>();
      for (const key of keys) lists.set(key, parseList(seen.get(key)));
      const ops = mops.map((mop) => {
        if (mop[0] === 'r') return { op: 'get', key: mop[1] };
        const list = [...lists.get(mop[1] as string)!, mop[2] as number];
        lists.set(mop[1] as string, list);
        return { op: 'put', key: mop[1], value: JSON.stringify(list) };
      });
      const compare = keys.map((key) => (seen.get(key) === undefined ? { key, exists: false } : { key, value: seen.get(key)! }));
      const process = worker.process;
      this.recorder.invoke(process, 'txn', mops);
      const outcome = await worker.send((client) => client.txn({ compare, ops }));
      if (outcome.type !== 'ok') {
        this.recorder.complete(process, outcome.type);
        return;
      }
      const results = ((outcome.body as { results?: Result[] }).results ?? []) as Result[];
      this.recorder.ok(
        process,
        mops.map((mop, i): MicroOp => (mop[0] === 'r' ? ['r', mop[1], results[i]?.found ? parseList(results[i]!.value) : null] : mop)),
      );
    });
  }

  async finalReads(): Promise<void> {
    await Promise.all(
      this.allKeys.map((key) =>
        untilOk(async () => {
          const process = this.processes.next++;
          const node = this.context.cluster.nodeIds[Math.floor(this.context.random() * this.context.cluster.nodeIds.length)]!;
          this.recorder.invoke(process, 'txn', [['r', key, null]]);
          const outcome = await attempt(() => new KvClient(this.context.cluster.endpoint(node), { timeoutMs: this.context.timeoutMs }).txn({ compare: [], ops: [{ op: 'get', key }] }));
          if (outcome.type === 'ok') {
            const result = ((outcome.body as { results?: Result[] }).results ?? [])[0];
            this.recorder.ok(process, [['r', key, result?.found ? parseList(result.value) : null]]);
          } else this.recorder.complete(process, outcome.type);
          return outcome.type === 'ok';
        }),
      ),
    );
  }

  check(): WorkloadCheck {
    const history = this.recorder.history;
    const result = checkListAppend(history);
    const lost = lostAppends(history);
    const anomalies = Object.values(result.counts).reduce((sum, n) => sum + (n ?? 0), 0);
    return {
      workload: this.name,
      checker: 'Elle list-append (G0, G1a, G1b, G1c, G-single, G2, …)',
      valid: result.valid,
      anomalies,
      anomalyKinds: result.anomalyKinds,
      explanation: describeListAppend(result),
      lostWrites: lost.count,
      lostDetail: lost.detail,
      ops: countOps(history),
    };
  }
}

/** Elements appended by ok transactions that the last ok read of their list (by invocation: the final reads come last) does not show. */
export function lostAppends(history: History): { count: number; detail: string } {
  const pairs = pairOps<readonly MicroOp[]>(history);
  const final = new Map<string, Set<number>>();
  for (const pair of pairs) {
    if (pair.type !== 'ok') continue;
    for (const mop of pair.value) if (mop[0] === 'r') final.set(String(mop[1]), new Set((mop[2] ?? []) as number[]));
  }
  const lost: string[] = [];
  let count = 0;
  for (const pair of pairs) {
    if (pair.type !== 'ok') continue;
    for (const mop of pair.value) {
      if (mop[0] !== 'append') continue;
      const seen = final.get(String(mop[1]));
      if (seen !== undefined && !seen.has(mop[2] as number)) {
        count++;
        if (lost.length < 5) lost.push(`${mop[1]}: ${mop[2]} (acknowledged at #${pair.end})`);
      }
    }
  }
  const rule = 'elements appended by ok transactions missing from the final read of their list';
  return { count, detail: count === 0 ? `0 (${rule})` : `${count} (${rule}): ${lost.join('; ')}` };
}

/** A list as stored: the JSON of an array of numbers; a missing key is the empty list. */
function parseList(value: string | undefined): number[] {
  if (value === undefined) return [];
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed)) throw new Error(`a list holds ${value}, not a JSON array`);
  return parsed as number[];
}
