import { checkLinearizability, describeLinearizability, type History, HistoryRecorder, pairOps, register, type OpPair } from '../../history/index.ts';
import { KvClient } from '../../service/index.ts';
import { attempt } from './outcome.ts';
import { countOps, runWorkers, untilOk, type Workload, type WorkloadCheck, type WorkloadContext } from './workload.ts';

export interface RegisterOptions {
  /** Registers (keys), spread over the shards. */
  readonly keys: number;
  /** The share of reads (the rest: writes and compare-and-sets, half each). */
  readonly readRatio: number;
}

/**
 * Jepsen's register workload (`jepsen.tests.linearizable-register`) on a few keys, each an
 * independent register: reads (GET /kv/<key>), writes (PUT) of values never written before, and
 * compare-and-sets (POST /txn with a `value ==` compare and a put; a compare that fails is a 409,
 * so the cas did not happen: `fail`). Checked for linearizability key by key (Knossos's
 * `independent` checker; src/history/linearizability.ts, WGL search).
 *
 * History values are Knossos's `[key, value]` tuples: a read `[k, null]` completes as `[k, v]`
 * (`null`: the key is missing), a write is `[k, v]`, a cas `[k, [old, new]]`.
 *
 * Acknowledged writes lost. Once the cluster has recovered, every key is read one last time. An
 * acknowledged write or cas `w` of a key is lost when that final read returns a value written by
 * an operation that had completed before `w` began (or the key's initial emptiness): `w` certainly
 * came later, and no operation ever wrote the final value after it. Writes overwritten by later
 * ones are not lost; a lost write is always also a linearizability violation, but the count says
 * how many acknowledgements were broken.
 */
export class RegisterWorkload implements Workload {
  readonly name = 'register';
  readonly recorder = new HistoryRecorder();
  readonly keys: string[];
  private readonly processes = { next: 0 };
  private nextValue = 1;
  /** The values written to each key so far (attempted), for compare-and-sets to expect. */
  private readonly written = new Map<string, number[]>();

  constructor(
    private readonly context: WorkloadContext,
    private readonly options: RegisterOptions,
  ) {
    const shards = context.cluster.shardIds;
    this.keys = Array.from({ length: options.keys }, (_, i) => context.cluster.keyOn(shards[i % shards.length]!, `register-${i}-`));
  }

  async setup(): Promise<void> {}

  run(signal: AbortSignal): Promise<void> {
    const random = this.context.random;
    return runWorkers(this.context, this.processes, signal, async (worker) => {
      const key = this.keys[Math.floor(random() * this.keys.length)]!;
      const draw = random();
      if (draw < this.options.readRatio) {
        this.recorder.invoke(worker.process, 'read', [key, null]);
        const process = worker.process;
        const outcome = await worker.send((client) => client.get(key));
        if (outcome.type === 'ok') this.recorder.ok(process, [key, valueOf(outcome.status === 404 ? null : (outcome.body as { value?: unknown }).value)]);
        else this.recorder.complete(process, outcome.type);
        return;
      }
      const value = this.nextValue++;
      const earlier = this.written.get(key) ?? [];
      this.written.set(key, [...earlier.slice(-7), value]);
      if (draw < this.options.readRatio + (1 - this.options.readRatio) / 2 || earlier.length === 0) {
        this.recorder.invoke(worker.process, 'write', [key, value]);
        const process = worker.process;
        const outcome = await worker.send((client) => client.put(key, String(value)));
        this.recorder.complete(process, outcome.type);
        return;
      }
      // Expect one of the last values written: usually the current one, under contention not.
      const expected = earlier[earlier.length - 1 - Math.floor(random() * Math.min(3, earlier.length))]!;
      this.recorder.invoke(worker.process, 'cas', [key, [expected, value]]);
      const process = worker.process;
      const outcome = await worker.send((client) => client.txn({ compare: [{ key, value: String(expected) }], ops: [{ op: 'put', key, value: String(value) }] }));
      this.recorder.complete(process, outcome.type);
    });
  }

  async finalReads(): Promise<void> {
    await Promise.all(
      this.keys.map((key) =>
        untilOk(async () => {
          // A fresh process per attempt, on a node drawn at random.
          const process = this.processes.next++;
          const node = this.context.cluster.nodeIds[Math.floor(this.context.random() * this.context.cluster.nodeIds.length)]!;
          this.recorder.invoke(process, 'read', [key, null]);
          const outcome = await attempt(() => new KvClient(this.context.cluster.endpoint(node), { timeoutMs: this.context.timeoutMs }).get(key));
          if (outcome.type === 'ok') this.recorder.ok(process, [key, valueOf(outcome.status === 404 ? null : (outcome.body as { value?: unknown }).value)]);
          else this.recorder.complete(process, outcome.type);
          return outcome.type === 'ok';
        }),
      ),
    );
  }

  check(budgetMs: number): WorkloadCheck {
    const history = this.recorder.history;
    const result = checkLinearizability(history, register, { timeoutMs: budgetMs });
    const lost = lostRegisterWrites(history);
    const failures = result.valid === false ? result.failures.length : 0;
    return {
      workload: this.name,
      checker: 'linearizability (WGL, register model, key by key)',
      valid: result.valid,
      anomalies: failures,
      anomalyKinds: failures > 0 ? ['nonlinearizable'] : [],
      explanation: describeLinearizability(result),
      lostWrites: lost.count,
      lostDetail: lost.detail,
      ops: countOps(history),
    };
  }
}

/** A value read: the number written, null for a missing key (a value this workload never writes is kept as it is). */
function valueOf(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  return typeof value === 'string' && /^\d+$/.test(value) ? number : value;
}

/**
 * The acknowledged writes lost in a register history, as `RegisterWorkload` defines them, key by
 * key, from each key's last ok read (by invocation: the final reads come last).
 */
export function lostRegisterWrites(history: History): { count: number; detail: string } {
  const pairs = pairOps<[string, unknown]>(history);
  const byKey = new Map<string, OpPair<[string, unknown]>[]>();
  for (const pair of pairs) {
    const key = pair.invoke.value[0];
    (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(pair);
  }
  const lost: string[] = [];
  let count = 0;
  for (const [key, ops] of byKey) {
    const final = [...ops].reverse().find((op) => op.f === 'read' && op.type === 'ok');
    if (!final) continue;
    const value = final.value[1];
    const writes = ops.filter((op) => (op.f === 'write' || op.f === 'cas') && op.type === 'ok');
    const written = (op: OpPair<[string, unknown]>) => (op.f === 'cas' ? (op.value[1] as [unknown, unknown])[1] : op.value[1]);
    const writer = value === null ? undefined : ops.find((op) => (op.f === 'write' || op.f === 'cas') && written(op) === value);
    // The final value's writer ended at `since` (the key's start when it reads as missing).
    const since = value === null ? -1 : writer?.type === 'ok' || writer?.type === 'info' ? writer.end : undefined;
    if (since === undefined) continue;
    for (const write of writes) {
      if (write !== writer && write.start > since) {
        count++;
        if (lost.length < 5) lost.push(`${key}: ${write.f} of ${JSON.stringify(written(write))} acknowledged at #${write.end}, final read #${final.end} shows ${JSON.stringify(value)}`);
      }
    }
  }
  const rule = 'acknowledged writes and cas that began after the final value\'s writer had completed';
  return { count, detail: count === 0 ? `0 (${rule})` : `${count} (${rule}): ${lost.join('; ')}` };
}
