import { parentPort, workerData } from 'node:worker_threads';
import { LevelExploration, OwnFingerprints, type LevelLimits } from './level-exploration.ts';
import type { Model } from './model.ts';
import { ModelError } from './model-error.ts';
import { buildFromSource, type ModelSource } from './model-source.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';
import { CONTROL, STATS_PER_WORKER, type FromWorker, type ToWorker, type WorkerSetup } from './worker-protocol.ts';

/**
 * A worker thread of a parallel check (parallel-explore.ts explains the design): it builds the
 * model from its file, explores the first levels alike with every other worker, then expands
 * the levels' states it owns as the coordinator says, inserting into the shared fingerprint set.
 */
const setup = workerData as WorkerSetup;
const port = parentPort!;
const control = new Int32Array(setup.control);
const stats = new Float64Array(setup.stats);
const post = (message: FromWorker) => port.postMessage(message);

let exploration: LevelExploration;
let table = new SharedFingerprintSet(setup.table);
/** The states the current level expands: from `cursor` below `levelEnd`, by `stride`. */
let cursor = 0;
let levelEnd = 0;
let stride = 1;
/** The states this worker stored when the level began: those it stores during the level come after. */
let storedBefore = 0;
/** Whether the worker paused for the coordinator to grow the table. */
let paused = false;

function publishStats(): void {
  const at = setup.index * STATS_PER_WORKER;
  stats[at] = exploration.store.count;
  stats[at + 1] = exploration.generated;
  stats[at + 2] = exploration.expanded;
}

function fail(error: unknown, loading: boolean): void {
  Atomics.store(control, CONTROL.stop, 1);
  post({ type: 'error', loading, modelError: error instanceof ModelError, message: (error as Error)?.message ?? String(error), stack: (error as Error)?.stack });
}

async function start(): Promise<void> {
  let model;
  try {
    model = await buildFromSource(setup.source as ModelSource);
  } catch (error) {
    fail(error, true);
    return;
  }
  try {
    explorePrefix(model);
  } catch (error) {
    fail(error, false);
  }
}

/**
 * The levels every worker explores alike, with its own fingerprint set, until a level is wide
 * enough to share out (or the run ends first): every worker then holds the same stores, numbered
 * alike, so the coordinator can deal the last level's states out by index.
 */
function explorePrefix(model: Model): void {
  const limits: LevelLimits = setup.limits;
  exploration = new LevelExploration(model, limits, new OwnFingerprints());
  exploration.admitInitial();
  let levelStart = 0;
  let depth = 0;
  let finished = exploration.stopped;
  while (!finished) {
    levelEnd = exploration.store.count;
    if (levelEnd - levelStart >= setup.sharedLevelWidth) break;
    exploration.atDepthBound = depth + 1 >= (limits.maxDepth ?? Infinity);
    exploration.expand(levelStart, levelEnd, 1, () => false);
    publishStats();
    if (exploration.stopped || exploration.store.count === levelEnd) {
      finished = true;
      break;
    }
    levelStart = levelEnd;
    depth++;
  }
  if (!finished && setup.index === 0) {
    for (let i = 0; i < exploration.store.count; i++) table.insert(...exploration.fingerprintOf(i));
  }
  cursor = levelStart + setup.index;
  stride = setup.workers;
  publishStats();
  post({
    type: 'prefix',
    finished,
    depth,
    levelStart,
    distinct: exploration.store.count,
    generated: exploration.generated,
    goals: exploration.properties.goalResults(),
    ...(exploration.violation ? { violation: exploration.violation } : {}),
    ...(exploration.limitHit ? { limitHit: exploration.limitHit } : {}),
  });
  exploration.seen = table;
  exploration.admissionTicket = () => Atomics.add(control, CONTROL.admitted, 1);
}

/** Whether to break off the level: another worker stopped the run, or the table must grow first. */
function shouldPause(): boolean {
  publishStats();
  if (Atomics.load(control, CONTROL.stop) !== 0) return true;
  if (table.needsToGrow) Atomics.store(control, CONTROL.grow, 1);
  return Atomics.load(control, CONTROL.grow) !== 0;
}

function runLevel(): void {
  cursor = exploration.expand(cursor, levelEnd, stride, shouldPause);
  publishStats();
  if (exploration.stopped) Atomics.store(control, CONTROL.stop, 1);
  if (!exploration.stopped && cursor < levelEnd && Atomics.load(control, CONTROL.stop) === 0) {
    paused = true;
    post({ type: 'paused' });
    return;
  }
  post({
    type: 'levelDone',
    admitted: exploration.store.count - storedBefore,
    distinct: exploration.store.count,
    generated: exploration.generated,
    goals: exploration.properties.goalResults(),
    ...(exploration.violation ? { violation: exploration.violation } : {}),
    ...(exploration.limitHit ? { limitHit: exploration.limitHit } : {}),
  });
}

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'table') {
      table = new SharedFingerprintSet(message.table);
      exploration.seen = table;
      if (paused) {
        paused = false;
        runLevel();
      }
      return;
    }
    // A level: the first shares out the last level explored alike; the next ones expand what each stored.
    if (!message.first) {
      cursor = levelEnd;
      levelEnd = exploration.store.count;
      stride = 1;
    }
    storedBefore = exploration.store.count;
    exploration.atDepthBound = message.depth + 1 >= (setup.limits.maxDepth ?? Infinity);
    runLevel();
  } catch (error) {
    fail(error, false);
  }
});

void start();
