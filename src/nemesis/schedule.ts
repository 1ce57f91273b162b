import { setTimeout as sleep } from 'node:timers/promises';
import { randomBetween, seededRandom } from '../runtime/index.ts';
import { KvClient } from '../service/index.ts';
import { type NemesisCluster, SLOW_DISK_MS } from './cluster.ts';
import type { PartitionMode } from './link-proxy.ts';

/** The faults the nemesis injects; `unanimous nemesis --faults` takes a comma-separated subset. */
export const FAULT_KINDS = ['kill', 'pause', 'partition', 'loss', 'delay', 'duplicate', 'slow-fsync'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One fault as injected: what, on whom, from when to when (seconds since the run began). */
export interface FaultRecord {
  readonly kind: FaultKind;
  readonly description: string;
  readonly targets: readonly string[];
  readonly start: number;
  end?: number;
}

export interface ScheduleOptions {
  /** How long faults go on, in seconds: fault and heal periods alternate until then. */
  readonly seconds: number;
  readonly seed: number;
  readonly faults: readonly FaultKind[];
  /** How long one fault lasts, ms (drawn from [min, max]); a pause must outlast the election timeout. */
  readonly faultMs?: readonly [number, number];
  /** How long the cluster is left healthy between faults, ms. */
  readonly healMs?: readonly [number, number];
  /** Each injection and heal, as a line with its time. */
  readonly log?: (line: string) => void;
  /** How long recovery may take before it is reported as failed. */
  readonly recoveryTimeoutMs?: number;
}

export interface ScheduleResult {
  readonly faults: readonly FaultRecord[];
  readonly byKind: Readonly<Record<FaultKind, number>>;
  /**
   * From the moment everything was healed after the last fault until every shard had a leader
   * and a write to a key of each shard had succeeded; null if that did not happen in time.
   */
  readonly recoveryMs: number | null;
  /** From the same moment until every replica of every shard had applied what its leader had committed at recovery. */
  readonly caughtUpMs: number | null;
  readonly recoveryError?: string;
}

/**
 * A seeded nemesis schedule, as Jepsen's `nemesis/compose` with a generator of alternating
 * `:start`/`:stop` operations: fault periods and heal periods alternate for `seconds`. The kinds
 * come in rounds, each round every enabled kind once in a seeded order (so that a short run still
 * injects every kind), and each fault's target and strength are drawn from the same seeded stream:
 *
 * - **kill**: kill -9 of one node — the leader of a shard half of the time, else any node; every node
 *   coordinates the transactions across shards its clients send it, so this also kills
 *   coordinators in the middle of two-phase commit. Restarted when the period ends.
 * - **pause**: SIGSTOP of one node (a leader half of the time) for the period, longer than the
 *   election timeout, then SIGCONT: a stopped-the-world process that wakes believing it still leads.
 * - **partition** of the Raft links, refused or black-holed: the leader of a shard isolated;
 *   a minority cut from a majority; or a bridge (two sides that cannot talk, one node reaching
 *   both, Jepsen's `partition-majorities-ring` for three nodes).
 * - **loss** / **delay** / **duplicate** on every link: frames dropped with a chance of 5–30 %;
 *   held 20–400 ms (plus jitter, order kept); re-sent from the last few with a chance of 5–30 %.
 * - **slow-fsync**: one node's disk (a leader half of the time) made slow for the period — every
 *   commit of its SQLite file blocks the process SLOW_DISK_MS first (src/service/slow-disk.ts),
 *   so its persists, and with them its votes and acknowledgements, lag.
 */
export class NemesisSchedule {
  private readonly random: () => number;
  private readonly records: FaultRecord[] = [];
  private round: FaultKind[] = [];
  /** The heal of the fault the run ended on. */
  private pendingHeal: (() => Promise<void>) | undefined;
  private startedAt = 0;
  private readonly faultMs: readonly [number, number];
  private readonly healMs: readonly [number, number];

  constructor(
    private readonly cluster: NemesisCluster,
    private readonly options: ScheduleOptions,
  ) {
    this.random = seededRandom(options.seed ^ 0x5eed);
    this.faultMs = options.faultMs ?? [4_000, 8_000];
    this.healMs = options.healMs ?? [3_000, 6_000];
    for (const kind of options.faults) if (!FAULT_KINDS.includes(kind)) throw new Error(`no fault kind ${JSON.stringify(kind)}; the kinds are ${FAULT_KINDS.join(', ')}`);
  }

  /** Seconds since the schedule began. */
  elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** The fault periods: returns when `seconds` have passed, with the last fault healed. */
  async runFaults(): Promise<void> {
    this.startedAt = performance.now();
    const end = this.startedAt + this.options.seconds * 1000;
    if (this.options.faults.length === 0) {
      await sleep(Math.max(0, end - performance.now()));
      return;
    }
    while (performance.now() < end) {
      const began = performance.now();
      const left = end - began;
      const kind = this.nextKind();
      let duration = randomBetween(this.random, this.faultMs[0], this.faultMs[1]);
      // No room for another heal and fault after this one: it lasts to the end, and the run ends
      // on it, so that the recovery measured is from a fault, not from a quiet spell.
      const last = left - duration - this.healMs[1] < this.faultMs[0];
      if (last) duration = left;
      const heal = await this.inject(kind);
      await sleep(Math.max(0, began + duration - performance.now()));
      if (last) {
        this.pendingHeal = heal;
        return;
      }
      await heal();
      const rest = Math.min(randomBetween(this.random, this.healMs[0], this.healMs[1]), end - performance.now());
      if (rest > 0) await sleep(rest);
    }
  }

  /**
   * Heals everything (restarts what is down, resumes what is paused, heals every link), then
   * measures the recovery: until every shard has a leader and a write to each succeeds.
   */
  async healAndMeasure(): Promise<ScheduleResult> {
    await this.pendingHeal?.();
    this.pendingHeal = undefined;
    for (const node of this.cluster.nodeIds) {
      if (this.cluster.isPaused(node)) this.cluster.resume(node);
      if (!this.cluster.isRunning(node)) this.cluster.startNode(node);
    }
    this.cluster.healNetwork();
    this.note('healed everything; measuring recovery');
    const healed = performance.now();
    const deadline = healed + (this.options.recoveryTimeoutMs ?? 120_000);
    const clients = this.cluster.nodeIds.map((node) => new KvClient(this.cluster.endpoint(node), { timeoutMs: 5_000 }));
    let recoveryMs: number | null = null;
    let caughtUpMs: number | null = null;
    let recoveryError: string | undefined;
    try {
      const problems = new Map<string, string>();
      await Promise.all(
        this.cluster.shardIds.map(async (shard, s) => {
          const key = this.cluster.keyOn(shard, `nemesis-recovery-${shard}-`);
          for (let attempt = 0; ; attempt++) {
            const client = clients[(s + attempt) % clients.length]!;
            try {
              const response = await client.put(key, `recovered ${attempt}`);
              if (response.status === 200) return;
              problems.set(shard, `${response.status} ${JSON.stringify(response.body)}`);
            } catch (error) {
              problems.set(shard, (error as Error).message);
            }
            if (performance.now() > deadline) throw new Error(`shard ${shard} took no write within ${this.options.recoveryTimeoutMs ?? 120_000} ms: ${problems.get(shard)}`);
            await sleep(50);
          }
        }),
      );
      for (;;) {
        const leaders = await this.cluster.leaders().catch(() => undefined);
        if (leaders && Object.values(leaders).every((leader) => leader !== null)) break;
        if (performance.now() > deadline) throw new Error(`not every shard has a leader: ${JSON.stringify(leaders)}`);
        await sleep(50);
      }
      recoveryMs = performance.now() - healed;
      this.note(`recovered in ${(recoveryMs / 1000).toFixed(2)} s`);
      // Then every replica, restarted ones too, up to what its leader had committed by then.
      const target = Object.fromEntries((await this.cluster.status()).shards.map((shard) => [shard.id, shard.commitIndex]));
      for (;;) {
        const status = await this.cluster.status().catch(() => undefined);
        const behind = status?.shards.flatMap((shard) =>
          shard.replicas.filter((node) => !shard.members.some((member) => member.node === node && member.appliedIndex >= target[shard.id]!)).map((node) => `${node}/${shard.id}`),
        );
        if (behind !== undefined && behind.length === 0) break;
        if (performance.now() > deadline) throw new Error(`replicas not caught up: ${behind?.join(', ') ?? 'no status'}`);
        await sleep(100);
      }
      caughtUpMs = performance.now() - healed;
      this.note(`every replica caught up in ${(caughtUpMs / 1000).toFixed(2)} s`);
    } catch (error) {
      recoveryError = (error as Error).message;
      this.note(`did not recover: ${recoveryError}`);
    }
    const byKind = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, this.records.filter((record) => record.kind === kind).length])) as Record<FaultKind, number>;
    return { faults: this.records, byKind, recoveryMs, caughtUpMs, ...(recoveryError !== undefined ? { recoveryError } : {}) };
  }

  /** The next kind: rounds of every enabled kind, each round in a seeded order (Fisher–Yates). */
  private nextKind(): FaultKind {
    if (this.round.length === 0) {
      this.round = [...this.options.faults];
      for (let i = this.round.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [this.round[i], this.round[j]] = [this.round[j]!, this.round[i]!];
      }
    }
    return this.round.shift()!;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A node to hit: the leader of a random shard half of the time (if the status shows one), else a random node. */
  private async victim(): Promise<{ readonly node: string; readonly why: string }> {
    const live = this.cluster.live;
    const wantLeader = this.random() < 0.5;
    const shard = this.pick(this.cluster.shardIds);
    const fallback = this.pick(live.length > 0 ? live : this.cluster.nodeIds);
    if (wantLeader) {
      const leaders = await this.cluster.leaders().catch(() => undefined);
      const leader = leaders?.[shard];
      if (leader) return { node: leader, why: `leader of ${shard}` };
    }
    return { node: fallback, why: 'a random node' };
  }

  private record(kind: FaultKind, description: string, targets: readonly string[]): FaultRecord {
    const record: FaultRecord = { kind, description, targets, start: this.elapsed() };
    this.records.push(record);
    this.note(`${kind}: ${description}`);
    return record;
  }

  private note(line: string): void {
    this.options.log?.(`[${this.elapsed().toFixed(1).padStart(6)} s] ${line}`);
  }

  /** Injects one fault; returns what heals it. */
  private async inject(kind: FaultKind): Promise<() => Promise<void>> {
    const cluster = this.cluster;
    const done = (record: FaultRecord, heal: () => void | Promise<void>, what: string) => async () => {
      await heal();
      record.end = this.elapsed();
      this.note(`heal ${kind}: ${what}`);
    };
    switch (kind) {
      case 'kill': {
        const { node, why } = await this.victim();
        const record = this.record(kind, `kill -9 ${node} (${why})`, [node]);
        await cluster.kill(node);
        return done(record, () => (cluster.isRunning(node) ? undefined : cluster.startNode(node)), `restart ${node}`);
      }
      case 'pause': {
        const { node, why } = await this.victim();
        const record = this.record(kind, `SIGSTOP ${node} (${why})`, [node]);
        cluster.pause(node);
        return done(record, () => cluster.resume(node), `SIGCONT ${node}`);
      }
      case 'partition': {
        const mode: PartitionMode = this.random() < 0.5 ? 'refuse' : 'blackhole';
        const nodes = cluster.nodeIds;
        const shapes = nodes.length >= 3 ? (['isolate-leader', 'majority-minority', 'bridge'] as const) : (['isolate-leader', 'majority-minority'] as const);
        const shape = this.pick(shapes);
        let pairs: (readonly [string, string])[];
        let description: string;
        if (shape === 'isolate-leader') {
          const shard = this.pick(cluster.shardIds);
          const leaders = await cluster.leaders().catch(() => undefined);
          const leader = leaders?.[shard] ?? this.pick(nodes);
          pairs = nodes.filter((node) => node !== leader).map((node) => [leader, node] as const);
          description = `isolate ${leader} (leader of ${leaders?.[shard] ? shard : 'no shard known: a random node'})`;
        } else if (shape === 'majority-minority') {
          const order = this.shuffled(nodes);
          const minority = order.slice(0, Math.max(1, Math.floor((nodes.length - 1) / 2)));
          const majority = order.slice(minority.length);
          pairs = minority.flatMap((a) => majority.map((b) => [a, b] as const));
          description = `minority ${minority.join(',')} | majority ${majority.join(',')}`;
        } else {
          const [bridge, ...rest] = this.shuffled(nodes);
          const left = rest.slice(0, Math.ceil(rest.length / 2));
          const right = rest.slice(left.length);
          pairs = left.flatMap((a) => right.map((b) => [a, b] as const));
          description = `bridge: ${left.join(',')} | ${right.join(',')}, ${bridge} reaching both`;
        }
        const record = this.record(kind, `${description} (${mode})`, [...new Set(pairs.flat())]);
        cluster.partition(pairs, mode);
        return done(record, () => cluster.healNetwork(), 'every link healthy');
      }
      case 'loss': {
        const lossRate = Math.round((0.05 + 0.25 * this.random()) * 100) / 100;
        const record = this.record(kind, `drop ${Math.round(lossRate * 100)} % of the message frames on every link`, cluster.nodeIds);
        cluster.setLinks({ lossRate });
        return done(record, () => cluster.healNetwork(), 'every link healthy');
      }
      case 'delay': {
        const delayMs = randomBetween(this.random, 20, 400);
        const jitterMs = Math.floor(delayMs / 2);
        const record = this.record(kind, `delay every frame ${delayMs}–${delayMs + jitterMs} ms on every link`, cluster.nodeIds);
        cluster.setLinks({ delayMs, jitterMs });
        return done(record, () => cluster.healNetwork(), 'every link healthy');
      }
      case 'slow-fsync': {
        const { node, why } = await this.victim();
        const record = this.record(kind, `slow disk on ${node} (${why}): each commit waits ${SLOW_DISK_MS} ms`, [node]);
        cluster.slowDisk(node);
        return done(record, () => cluster.fastDisk(node), `${node}'s disk at full speed`);
      }
      case 'duplicate': {
        const duplicateRate = Math.round((0.05 + 0.25 * this.random()) * 100) / 100;
        const record = this.record(kind, `re-send a recent frame after ${Math.round(duplicateRate * 100)} % of the message frames on every link`, cluster.nodeIds);
        cluster.setLinks({ duplicateRate });
        return done(record, () => cluster.healNetwork(), 'every link healthy');
      }
    }
  }
}
