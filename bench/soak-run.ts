/**
 * A soak run of the key-value service (issue: a service that runs for months): closed-loop puts
 * against a fresh local cluster, sampling every node's resident memory and disk use and every
 * shard replica's log length as the history grows, then a kill -9 of one node and the time its
 * restart takes to serve again. bench/soak.ts prints it; test/service/soak.test.ts runs a short one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { type ClusterStatus, HashRing, LocalCluster, requestJson } from '../src/service/index.ts';

export interface SoakOptions {
  readonly puts: number;
  /** A sample every this many acknowledged puts. */
  readonly every: number;
  readonly inflight: number;
  readonly keys: number;
  readonly valueBytes: number;
  /** Nodes run from dist/ (`npm run build` first), as an installed package runs them: the restart then costs no transpiling. */
  readonly runBuilt?: boolean;
  readonly shards: number;
  readonly compaction?: { readonly every?: number; readonly bytes?: number };
}

export interface SoakSample {
  readonly puts: number;
  readonly seconds: number;
  /** Resident memory of each node process, MiB. */
  readonly rssMiB: Readonly<Record<string, number>>;
  /** Bytes under each node's data folder (its SQLite file and WAL), MiB. */
  readonly diskMiB: Readonly<Record<string, number>>;
  /** The longest Raft log suffix held by any replica (entries after its snapshot). */
  readonly longestLog: number;
  /** The highest snapshot index among the replicas: how far compaction has gone. */
  readonly snapshotIndex: number;
}

export interface SoakResult {
  readonly samples: readonly SoakSample[];
  readonly errors: number;
  readonly killed: string;
  /** From the restarted process's spawn to its first answer over HTTP. */
  readonly restartAnswersMs: number;
  /** From the spawn until a get through it of the last key written succeeds with the value written. */
  readonly restartServesMs: number;
  /** From the spawn until every one of its replicas has applied up to its shard's commitIndex at the kill. */
  readonly restartCaughtUpMs: number;
}

const mib = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return line === undefined ? NaN : mib(Number(line.split(/\s+/)[1]) * 1024);
}

function bytesUnder(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? bytesUnder(full) : statSync(full).size;
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSoak(options: SoakOptions, onSample: (sample: SoakSample) => void = () => {}): Promise<SoakResult> {
  const cluster = await LocalCluster.start({ nodes: 3, shards: options.shards, ...(options.compaction ? { compaction: options.compaction } : {}), ...(options.runBuilt ? { runBuilt: true } : {}) });
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  try {
    const value = 'v'.repeat(options.valueBytes);
    let leaders = new Map<string, string>();
    let ring: HashRing | undefined;
    const refresh = async (): Promise<ClusterStatus> => {
      const status = await cluster.status();
      ring = new HashRing(status.shards.map((shard) => shard.id));
      leaders = new Map(status.shards.map((shard) => [shard.id, status.nodes.find((node) => node.id === shard.leader)?.http ?? cluster.endpoints[0]!]));
      return status;
    };
    await refresh();
    const refresher = setInterval(() => refresh().catch(() => {}), 1_000);

    const samples: SoakSample[] = [];
    const started = performance.now();
    const sample = async (puts: number) => {
      const status = await cluster.status();
      const replicas = status.shards.flatMap((shard) => shard.members);
      const next: SoakSample = {
        puts,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        rssMiB: Object.fromEntries(cluster.nodeIds.map((id) => [id, rssOf(cluster.pid(id))])),
        diskMiB: Object.fromEntries(cluster.nodeIds.map((id) => [id, mib(bytesUnder(cluster.configs.get(id)!.dataDir))])),
        longestLog: Math.max(...replicas.map((replica) => replica.logLength)),
        snapshotIndex: Math.max(...replicas.map((replica) => replica.snapshotIndex)),
      };
      samples.push(next);
      onSample(next);
    };

    let issued = 0;
    let acknowledged = 0;
    let errors = 0;
    let nextSample = options.every;
    let lastWrite: { key: string; value: string } | undefined;
    let sampling: Promise<void> = Promise.resolve();
    const worker = async () => {
      while (issued < options.puts) {
        const n = issued++;
        const key = `key-${Math.floor(Math.random() * options.keys)}`;
        const written = `${n}-${value}`;
        try {
          const response = await requestJson(`${leaders.get(ring!.shardOf(key)) ?? cluster.endpoints[0]}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: { value: written }, agent });
          if (response.status !== 200) {
            errors++;
            continue;
          }
        } catch {
          errors++;
          continue;
        }
        acknowledged++;
        lastWrite = { key, value: written };
        if (acknowledged >= nextSample) {
          nextSample += options.every;
          const at = acknowledged;
          sampling = sampling.then(() => sample(at));
        }
      }
    };
    await Promise.all(Array.from({ length: options.inflight }, worker));
    await sampling;
    clearInterval(refresher);

    // The end: kill -9 a node (the one leading most shards, the hardest case) and restart it.
    const status = await refresh();
    const leading = (id: string) => status.shards.filter((shard) => shard.leader === id).length;
    const killed = [...cluster.nodeIds].sort((a, b) => leading(b) - leading(a))[0]!;
    const commitAtKill = new Map(status.shards.map((shard) => [shard.id, shard.commitIndex]));
    await cluster.kill(killed);
    const spawned = performance.now();
    cluster.startNode(killed);
    const elapsed = () => Math.round(performance.now() - spawned);
    let restartAnswersMs = NaN;
    let restartServesMs = NaN;
    let restartCaughtUpMs = NaN;
    const deadline = spawned + 60_000;
    const endpoint = cluster.endpoint(killed);
    while (performance.now() < deadline && Number.isNaN(restartCaughtUpMs)) {
      try {
        const local = await requestJson(`${endpoint}/status?local=1`, { timeoutMs: 1_000, agent });
        if (local.status === 200) {
          if (Number.isNaN(restartAnswersMs)) restartAnswersMs = elapsed();
          if (Number.isNaN(restartServesMs) && lastWrite !== undefined) {
            const read = await requestJson(`${endpoint}/kv/${encodeURIComponent(lastWrite.key)}`, { timeoutMs: 2_000, agent });
            if (read.status === 200 && (read.body as { value?: string }).value !== undefined) restartServesMs = elapsed();
          }
          const replicas = (local.body as { replicas: readonly { shard: string; appliedIndex: number }[] }).replicas;
          if (replicas.every((replica) => replica.appliedIndex >= (commitAtKill.get(replica.shard) ?? 0))) restartCaughtUpMs = elapsed();
        }
      } catch {
        // Not up yet.
      }
      if (Number.isNaN(restartCaughtUpMs)) await sleep(20);
    }
    return { samples, errors, killed, restartAnswersMs, restartServesMs, restartCaughtUpMs };
  } finally {
    agent.destroy();
    await cluster.stop();
  }
}
