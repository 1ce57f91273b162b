/**
 * Parallel breadth-first exploration on worker threads, with exactly the counts of one worker.
 *
 * The design follows from one fact about the checker's states: a global state is a vector of ids
 * that each run hands out in the order it meets local states, envelopes, timers and history
 * values (local-states.ts, envelopes.ts), so a state vector means nothing to another thread, and
 * sending states between threads (as hash-partitioned designs such as Stern & Dill's parallel
 * Murφ do) would mean translating every one through its JSON. Instead, no state ever moves:
 *
 * - Every thread tells states apart by content fingerprints (content-fingerprint.ts), 64-bit
 *   hashes of what the ids stand for, equal in every thread, kept in one fingerprint set that all
 *   workers probe and insert into lock-free (shared-fingerprint-set.ts), as TLC's workers share
 *   their FPSet.
 * - A new state belongs to the worker whose insert of its fingerprint won: that worker stores it,
 *   in its own numbering, checks the invariants on it, and expands it in the next level. Its parent
 *   is the state that worker was expanding, so every parent link stays inside one store, and a
 *   counterexample is rebuilt from it as with one worker (level-exploration.ts).
 * - Levels are synchronous: the coordinator (this file) starts a level on every worker and waits
 *   for all of them before the next, so the exploration stays in breadth-first level order — the
 *   first violation is found in the shallowest level that has one, and its trace is as short as
 *   with one worker — and the depth bound cuts at the same level.
 * - The first levels are too narrow to share out: every worker explores them alike, each with its
 *   own fingerprint set, which gives every worker the same store, numbered alike. The first level
 *   at least SHARED_LEVEL_WIDTH states per worker wide is then dealt out by index (worker i takes
 *   states i, i + n, i + 2n, ...), after worker 0 has put the fingerprints of those states in the
 *   shared set. From there each worker expands what it stored: a worker that runs slower wins
 *   fewer inserts, so it gets fewer states for the next level, which keeps the levels balanced.
 * - Counts are the same as with one worker because each distinct state is stored exactly once
 *   (one insert wins) and each stored state is expanded exactly once, by its owner: distinct is the
 *   sum of the stores (the levels explored alike counted once), generated the sum of the
 *   successors computed. Property checks run where the state is stored (invariants, goals,
 *   boundary) or expanded (refinement steps, quiescence), on the worker's own copy of the model's
 *   properties, history variable and abstractions; goals reached anywhere are merged.
 * - The shared set cannot grow while workers insert: a worker that finds it half full raises a
 *   flag, every worker pauses at its next check (every 64 states), and the coordinator copies the
 *   table into one twice as large and hands it out.
 *
 * A run is first tried on the calling thread, up to `parallelAfterStates` states: most models are
 * smaller than that, and would spend more on starting threads (each loads and builds the model)
 * than they gain. A larger one starts over on the workers.
 *
 * Its price, measured on two-phase/tla with 8 RMs: two workers take about 1.8 times the CPU time of
 * one (each thread loads the model and warms its own transition cache, content fingerprints cost
 * more than plain ones, the shared set's atomics, the run up to `parallelAfterStates` done twice),
 * so two workers only win on two cores that are otherwise idle; the CLI's default stays 1.
 *
 * What cannot run this way runs on one worker, the calling thread, and the result says why
 * (`oneWorkerBecause`): liveness properties, whose check needs the whole state graph recorded
 * with its edges' fairness labels in one place (explore.ts), and symmetry sets, whose
 * representative of a state is the least encoding in the thread's own numbering, so two threads
 * may pick different members of one class. Partial-order reduction (sleep-sets.ts) runs on one
 * worker only: a state's sleep set is the intersection over every edge to it found before it is
 * expanded, which on several workers would be edges found by other threads, in their numbering;
 * the workers explore without it, and the result says so. A model file that a worker thread cannot load
 * (worker threads load TypeScript through tsx's require hooks, see explore-worker-entry.js) runs
 * on one worker too.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { check, type CheckOptions, type CheckResult, type Progress, type Violation } from './explore.ts';
import { collisionProbability } from './fingerprint.ts';
import type { Model } from './model.ts';
import { ModelError } from './model-error.ts';
import { buildFromSource, type ModelSource } from './model-source.ts';
import { isLiveness } from './properties.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';
import { REDUCTION_TURNED_OFF, sleepSetsOffBecause } from './sleep-sets.ts';
import { CONTROL, CONTROL_WORDS, STATS_PER_WORKER, type FromWorker, type ToWorker, type WorkerSetup } from './worker-protocol.ts';

/** Why a run on several workers explores without partial-order reduction. */
const ON_WORKERS_WITHOUT_REDUCTION = 'parallel workers do not carry sleep sets (--workers 1 prunes with them)';
/** States per worker the first shared level must hold at least. */
const SHARED_LEVEL_WIDTH = 128;
/** States explored on the calling thread before workers are started (CheckOptions.parallelAfterStates). */
const PARALLEL_AFTER_STATES = 65_536;
/** Slots of the shared fingerprint set at first (8 bytes each); it doubles when half full. */
const INITIAL_SLOTS = 1 << 20;

/**
 * `check` on `options.workers` worker threads (default: the machine's cores,
 * `os.availableParallelism()`), with the same result: the same distinct and generated counts,
 * depth and verdict, and on a violation a counterexample as short. The workers build the model
 * themselves from `source` (a model holds functions, which cannot cross threads). With one
 * worker, or a model that needs one (see above), it is `check` on the calling thread. Workers are
 * terminated however the run ends.
 */
export async function checkParallel(source: ModelSource, options: CheckOptions = {}): Promise<CheckResult> {
  const started = performance.now();
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a whole number >= 1, not ${workers}`);
  const model = source.model ?? (await buildFromSource(source));
  const reason = workers > 1 ? whyOneWorker(model) : undefined;
  if (workers === 1 || reason !== undefined) return onOneWorker(model, options, reason);
  // Most models are small: explored on this thread first, up to a bound, they never pay for starting threads.
  const probeStates = options.parallelAfterStates ?? PARALLEL_AFTER_STATES;
  if (probeStates > 0) {
    const probe = check(model, { ...options, maxStates: Math.min(probeStates, options.maxStates ?? Infinity) });
    const cutByProbe = probe.limitHit === 'maxStates' && (options.maxStates === undefined || options.maxStates > probeStates);
    if (!cutByProbe) return { ...probe, workers: 1, oneWorkerBecause: `the run ended within the first ${probeStates.toLocaleString('en')} states, which one worker explores before any thread is started` };
  }
  const reductionOffBecause = options.partialOrderReduction === false ? REDUCTION_TURNED_OFF : (sleepSetsOffBecause(model) ?? ON_WORKERS_WITHOUT_REDUCTION);
  const outcome = await new Coordinator(source, workers, options, started, reductionOffBecause).run();
  if ('cannotLoad' in outcome) return onOneWorker(model, options, `the model file could not be loaded in a worker thread (${outcome.cannotLoad})`);
  return outcome;
}

/** Why the model must be explored on one worker, if it must. */
function whyOneWorker(model: Model): string | undefined {
  if (model.properties.some(isLiveness)) return 'liveness properties are checked on the state graph, which one worker records';
  if (model.symmetry?.length) return "symmetry sets: a state's representative depends on the numbering of states in the thread that computes it";
  return undefined;
}

function onOneWorker(model: Model, options: CheckOptions, reason: string | undefined): CheckResult {
  return { ...check(model, options), workers: 1, ...(reason !== undefined ? { oneWorkerBecause: reason } : {}) };
}

type WorkerOutcome = Extract<FromWorker, { type: 'prefix' | 'levelDone' }>;

/** Starts the workers, runs the levels, and merges what they found. */
class Coordinator {
  private readonly threads: Worker[] = [];
  private readonly inbox: { from: number; message: FromWorker }[] = [];
  private wake: (() => void) | undefined;
  private crashed: Error | undefined;
  private terminating = false;
  private table = SharedFingerprintSet.withSlots(INITIAL_SLOTS);
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly stats: Float64Array;
  /** Once the levels explored alike are done: their states and successors, and the width of the level shared out. */
  private prefix: { distinct: number; generated: number; unexpanded: number } | undefined;
  private depth = 0;

  constructor(
    private readonly source: ModelSource,
    private readonly workers: number,
    private readonly options: CheckOptions,
    private readonly started: number,
    private readonly reductionOffBecause: string,
  ) {
    this.stats = new Float64Array(new SharedArrayBuffer(workers * STATS_PER_WORKER * 8));
  }

  async run(): Promise<CheckResult | { cannotLoad: string }> {
    const { options } = this;
    const source = { file: this.source.file, parameters: this.source.parameters, symmetry: this.source.symmetry };
    for (let index = 0; index < this.workers; index++) {
      const setup: WorkerSetup = {
        source,
        index,
        workers: this.workers,
        limits: {
          ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
          ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
          ...(options.maxSeconds !== undefined ? { deadline: Date.now() - (performance.now() - this.started) + options.maxSeconds * 1000 } : {}),
        },
        sharedLevelWidth: SHARED_LEVEL_WIDTH * this.workers,
        control: this.control.buffer as SharedArrayBuffer,
        stats: this.stats.buffer as SharedArrayBuffer,
        table: this.table.buffer,
      };
      const thread = new Worker(new URL('./explore-worker-entry.js', import.meta.url), { workerData: setup });
      thread.on('message', (message: FromWorker) => this.deliver(index, message));
      thread.on('error', (error) => this.crash(error));
      thread.on('exit', (code) => {
        if (!this.terminating) this.crash(new Error(`internal error: worker ${index} exited (code ${code}) in the middle of the check`));
      });
      this.threads.push(thread);
    }
    const progress = options.onProgress ? setInterval(() => options.onProgress!(this.progress()), options.progressEveryMs ?? 2000) : undefined;
    progress?.unref();
    try {
      return await this.explore();
    } finally {
      if (progress) clearInterval(progress);
      this.terminating = true;
      await Promise.all(this.threads.map((thread) => thread.terminate()));
    }
  }

  private async explore(): Promise<CheckResult | { cannotLoad: string }> {
    const prefixes = await this.fromEvery('prefix');
    if ('cannotLoad' in prefixes) return prefixes;
    const first = prefixes[0] as Extract<FromWorker, { type: 'prefix' }>;
    const outOfTime = prefixes.find((outcome) => outcome.limitHit === 'maxSeconds');
    if (first.finished || outOfTime) {
      const ended = { ...first, ...(first.finished ? {} : { limitHit: 'maxSeconds' as const }) };
      return this.result([ended], first.depth, 1, 'the run ended before any level was wide enough to share out: every worker explored the same states');
    }
    this.prefix = { distinct: first.distinct, generated: first.generated, unexpanded: first.distinct - first.levelStart };
    Atomics.store(this.control, CONTROL.admitted, first.distinct);
    let outcomes: WorkerOutcome[] = prefixes;
    for (this.depth = first.depth; ; this.depth++) {
      // Grown between levels too, so that a level seldom has to pause for it.
      if (this.table.size * 8 > this.tableCapacity * 3) this.growTable();
      this.post({ type: 'level', depth: this.depth, first: this.depth === first.depth });
      const done = await this.fromEvery('levelDone');
      if ('cannotLoad' in done) throw new Error('internal error: a worker reported a load failure after loading');
      outcomes = done;
      const admitted = done.reduce((sum, outcome) => sum + (outcome.type === 'levelDone' ? outcome.admitted : 0), 0);
      if (done.some((outcome) => outcome.violation || outcome.limitHit) || admitted === 0) break;
    }
    return this.result(outcomes, this.depth, this.workers);
  }

  private get tableCapacity(): number {
    return (this.table.buffer.byteLength / 4 - 2) / 2;
  }

  /** The merged result; `outcomes` are the workers' last reports (one: the levels explored alike). */
  private result(outcomes: readonly WorkerOutcome[], depth: number, workers: number, oneWorkerBecause?: string): CheckResult {
    const base = outcomes.length === 1 ? { distinct: 0, generated: 0 } : this.prefix!;
    const distinct = base.distinct + outcomes.reduce((sum, outcome) => sum + outcome.distinct - base.distinct, 0);
    const generated = base.generated + outcomes.reduce((sum, outcome) => sum + outcome.generated - base.generated, 0);
    const goals = outcomes[0]!.goals.map((goal, i) => ({ name: goal.name, reached: outcomes.some((outcome) => outcome.goals[i]!.reached) }));
    // Found in one level: the shortest trace is as short as any with one worker.
    let violation: Violation | undefined = outcomes
      .map((outcome) => outcome.violation)
      .filter((found): found is Violation => found !== undefined)
      .sort((a, b) => a.trace!.steps.length - b.trace!.steps.length)[0];
    const limitHit = violation ? undefined : outcomes.find((outcome) => outcome.limitHit)?.limitHit;
    if (!violation && !limitHit) {
      const missed = goals.find((goal) => !goal.reached);
      if (missed) {
        violation = { property: missed.name, kind: 'sometimes', message: `${missed.name} is never reached: no reachable state satisfies it, so the model may be vacuous` };
      }
    }
    const seconds = (performance.now() - this.started) / 1000;
    return {
      verdict: violation ? 'violation' : limitHit ? 'incomplete' : 'ok',
      distinct,
      generated,
      depth: violation?.trace ? violation.trace.steps.length + 1 : depth + 1,
      seconds,
      statesPerSecond: distinct / Math.max(seconds, 1e-9),
      collisionProbability: collisionProbability(distinct),
      goals,
      ...(violation ? { violation } : {}),
      ...(limitHit ? { limitHit } : {}),
      partialOrderReduction: { applied: false, pruned: 0, offBecause: this.reductionOffBecause },
      workers,
      ...(oneWorkerBecause !== undefined ? { oneWorkerBecause } : {}),
    };
  }

  /**
   * Waits for a report of `type` from every worker, growing the table whenever every worker has
   * either paused for it or finished the level. A model error in a worker is thrown as a
   * ModelError, as `check` throws it; a model file a worker could not load ends the run early.
   */
  private async fromEvery<T extends WorkerOutcome['type']>(type: T): Promise<Extract<FromWorker, { type: T }>[] | { cannotLoad: string }> {
    const reports: Extract<FromWorker, { type: T }>[] = [];
    let reported = 0;
    let paused = 0;
    while (reported < this.workers) {
      const { from, message } = await this.next();
      if (message.type === 'error') {
        if (message.loading) return { cannotLoad: message.message };
        if (message.modelError) throw new ModelError(message.message);
        throw Object.assign(new Error(message.message), { stack: message.stack });
      }
      if (message.type === 'paused') paused++;
      else if (message.type === type) {
        reports[from] = message as Extract<FromWorker, { type: T }>;
        reported++;
      } else throw new Error(`internal error: worker ${from} reported ${message.type} while the coordinator waited for ${type}`);
      if (paused > 0 && paused + reported === this.workers) {
        this.growTable();
        paused = 0;
      }
    }
    return reports;
  }

  private growTable(): void {
    this.table = this.table.grownCopy(2);
    Atomics.store(this.control, CONTROL.grow, 0);
    this.post({ type: 'table', table: this.table.buffer });
  }

  private post(message: ToWorker): void {
    for (const thread of this.threads) thread.postMessage(message);
  }

  private deliver(from: number, message: FromWorker): void {
    this.inbox.push({ from, message });
    this.wake?.();
  }

  private crash(error: Error): void {
    this.crashed ??= error;
    Atomics.store(this.control, CONTROL.stop, 1);
    this.wake?.();
  }

  private async next(): Promise<{ from: number; message: FromWorker }> {
    for (;;) {
      // A report already sent counts before a crash noticed after it (an error report comes first).
      const message = this.inbox.shift();
      if (message) return message;
      if (this.crashed) throw this.crashed;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private progress(): Progress {
    const seconds = (performance.now() - this.started) / 1000;
    const { stats, prefix } = this;
    let distinct = stats[0]!;
    let generated = stats[1]!;
    if (prefix) {
      distinct = prefix.distinct;
      generated = prefix.generated;
      for (let w = 0; w < this.workers; w++) {
        distinct += stats[w * STATS_PER_WORKER]! - prefix.distinct;
        generated += stats[w * STATS_PER_WORKER + 1]! - prefix.generated;
      }
    }
    const expanded = this.expandedSoFar();
    return { distinct, generated, queued: Math.max(0, distinct - expanded), depth: this.depth + 1, seconds, statesPerSecond: distinct / Math.max(seconds, 1e-9) };
  }

  /** States expanded by all workers (the levels explored alike counted once). */
  private expandedSoFar(): number {
    const { stats, prefix } = this;
    if (!prefix) return stats[2]!;
    let expanded = prefix.distinct - prefix.unexpanded;
    for (let w = 0; w < this.workers; w++) expanded += stats[w * STATS_PER_WORKER + 2]! - (prefix.distinct - prefix.unexpanded);
    return expanded;
  }
}
