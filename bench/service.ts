/**
 * The key-value service under closed-loop load: N requests in flight (each of N workers sends its
 * next request when the last is answered), 100-byte values, keys drawn uniformly from 100k.
 * Single-key puts, linearizable gets, and 2-key transactions whose keys live on two different shards
 * (two puts, committed by 2PC over the two shards' Raft groups); throughput and p50/p99 latency,
 * medians of several runs.
 *
 *   node --import tsx bench/service.ts                               # a fresh 3-node, 3-shard cluster in a temp folder
 *   node --import tsx bench/service.ts --inflight 1,256 --seconds 10 --runs 5 --ops put,get,txn
 *   node --import tsx bench/service.ts --route any                   # send to any node; followers forward
 *   node --import tsx bench/service.ts --etcd http://127.0.0.1:2379  # the same load on etcd's v3 JSON gateway
 *   node --import tsx bench/service.ts --versus --etcd URL,URL,URL   # both, taking turns run by run; the ratio of medians
 *
 * --route leader (the default) sends each request to the node leading its key's shard (from
 * /status and the hash ring, as a smart client would); --route any spreads requests over every node,
 * which forward what they do not lead; a transaction goes to the leader of its first shard, which
 * coordinates it. On etcd, a txn is the same two puts in one /v3/kv/txn (etcd has one log, so no
 * shards to cross). The load generator runs in this process, on the same cores as the nodes. Run
 * on demand, not in CI.
 */
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import { type ClusterStatus, HashRing, LocalCluster, requestJson } from '../src/service/index.ts';

const { values } = parseArgs({
  options: {
    inflight: { type: 'string', default: '1,16,64,256' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    keys: { type: 'string', default: '100000' },
    'value-bytes': { type: 'string', default: '100' },
    ops: { type: 'string', default: 'put,get,txn' },
    nodes: { type: 'string', default: '3' },
    shards: { type: 'string', default: '3' },
    route: { type: 'string', default: 'leader' },
    endpoints: { type: 'string' },
    etcd: { type: 'string' },
    versus: { type: 'boolean', default: false },
  },
});
const inflights = values.inflight.split(',').map(Number);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const keyCount = Number(values.keys);
const valueBytes = Number(values['value-bytes']);
type Op = 'put' | 'get' | 'txn';
const ops = values.ops.split(',') as Op[];
if (
  ![...inflights, seconds, runs, keyCount, valueBytes].every((n) => Number.isInteger(n) && n > 0) ||
  !ops.every((op) => op === 'put' || op === 'get' || op === 'txn') ||
  !['leader', 'any'].includes(values.route) ||
  (values.versus && values.etcd === undefined)
) {
  console.error('usage: bench/service.ts [--inflight 1,16,64,256] [--seconds S] [--runs R] [--keys K] [--value-bytes B] [--ops put,get,txn] [--route leader|any] [--endpoints URL,...] [--etcd URL,...] [--versus]');
  process.exit(2);
}

const value = 'v'.repeat(valueBytes);
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/**
 * Sends one request of `op` for `keys` (one key, or two on different shards for a txn); resolves
 * true if the answer was a success (a get of a missing key counts).
 */
type Target = (op: Op, keys: readonly string[]) => Promise<boolean>;

function unanimousTarget(endpoints: readonly string[], route: () => (key: string) => string): Target {
  let next = 0;
  return async (op, keys) => {
    const [key] = keys as [string];
    const endpoint = values.route === 'leader' ? route()(key) : endpoints[next++ % endpoints.length]!;
    if (op === 'txn') {
      const response = await requestJson(`${endpoint}/txn`, { body: { ops: keys.map((k) => ({ op: 'put', key: k, value })) }, agent });
      return response.status === 200;
    }
    const path = `${endpoint}/kv/${encodeURIComponent(key)}`;
    const response = op === 'put' ? await requestJson(path, { method: 'PUT', body: { value }, agent }) : await requestJson(path, { agent });
    return response.status === 200 || (op === 'get' && response.status === 404);
  };
}

/** etcd v3's JSON gateway: keys and values in base64; a range read is linearizable by default. */
function etcdTarget(endpoints: readonly string[]): Target {
  let next = 0;
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const encodedValue = b64(value);
  return async (op, keys) => {
    const endpoint = endpoints[next++ % endpoints.length]!;
    const [key] = keys as [string];
    const response =
      op === 'put'
        ? await requestJson(`${endpoint}/v3/kv/put`, { body: { key: b64(key), value: encodedValue }, agent })
        : op === 'get'
          ? await requestJson(`${endpoint}/v3/kv/range`, { body: { key: b64(key) }, agent })
          : await requestJson(`${endpoint}/v3/kv/txn`, { body: { success: keys.map((k) => ({ requestPut: { key: b64(k), value: encodedValue } })) }, agent });
    return response.status === 200;
  };
}

interface RunResult {
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/** Where keys are placed (a local cluster's shards are s0, s1, …): etcd gets the same kind of key pairs. */
const placement = new HashRing(Array.from({ length: Number(values.shards) }, (_, i) => `s${i}`));
const randomKey = () => `key-${Math.floor(Math.random() * keyCount)}`;

/** One key, or for a txn two keys on different shards. */
function keysFor(op: Op): string[] {
  const first = randomKey();
  if (op !== 'txn') return [first];
  for (;;) {
    const second = randomKey();
    if (placement.shardOf(second) !== placement.shardOf(first)) return [first, second].sort((a, b) => (placement.shardOf(a) < placement.shardOf(b) ? -1 : 1));
  }
}

async function closedLoop(target: Target, op: Op, inflight: number): Promise<RunResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const keys = keysFor(op);
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await target(op, keys);
      } catch {
        ok = false;
      }
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { throughput: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

let cluster: LocalCluster | undefined;

/** The service: a fresh local cluster, or the nodes at --endpoints. */
async function unanimous(): Promise<{ target: Target; label: string }> {
  let endpoints: string[];
  if (values.endpoints !== undefined) endpoints = values.endpoints.split(',');
  else {
    cluster = await LocalCluster.start({ nodes: Number(values.nodes), shards: Number(values.shards) });
    endpoints = cluster.endpoints;
    process.stderr.write(`cluster: ${endpoints.join(' ')} (data in ${cluster.dataDir})\n`);
  }
  // The leader of each key's shard, refreshed every second (leadership may move under load).
  let routeByKey: (key: string) => string = () => endpoints[0]!;
  const refresh = async () => {
    const status = (await requestJson(`${endpoints[0]}/status`, { agent })).body as ClusterStatus;
    const ring = new HashRing(status.shards.map((shard) => shard.id));
    const leaders = new Map(status.shards.map((shard) => [shard.id, status.nodes.find((node) => node.id === shard.leader)?.http ?? endpoints[0]!]));
    routeByKey = (key) => leaders.get(ring.shardOf(key))!;
    return status;
  };
  // Where the shards' leaders are matters on a small machine: leaders on one node load that
  // process most. The placement policy spreads them once each has led for its settle time
  // (leader-placement.ts), so measuring starts when no node leads more than its share, or after 30 s.
  const share = Math.ceil(Number(values.shards) / Number(values.nodes));
  const spread = (status: ClusterStatus) =>
    status.shards.every((shard) => shard.leader) && status.nodes.every((node) => status.shards.filter((shard) => shard.leader === node.id).length <= share);
  let first = await refresh();
  for (const deadline = Date.now() + 30_000; !spread(first) && Date.now() < deadline; first = await refresh()) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stderr.write(`leaders${spread(first) ? '' : ' (not spread after 30 s)'}: ${first.shards.map((shard) => `${shard.id}→${shard.leader}`).join(', ')}\n`);
  const refresher = setInterval(() => refresh().catch(() => {}), 1_000);
  refresher.unref();
  return { target: unanimousTarget(endpoints, () => routeByKey), label: `unanimous, ${values.nodes} nodes, ${values.shards} shards, route ${values.route}` };
}

// --etcd alone measures etcd; with --versus, the service and etcd take turns, run by run, so that
// both see the same moments of a busy machine and the ratio is measured side by side.
const systems: { target: Target; label: string }[] = [];
if (values.etcd === undefined || values.versus) systems.push(await unanimous());
if (values.etcd !== undefined) systems.push({ target: etcdTarget(values.etcd.split(',')), label: `etcd at ${values.etcd}` });

const summary = (results: readonly RunResult[]) => {
  const throughputs = results.map((r) => r.throughput);
  return {
    throughput: median(throughputs),
    text: `${median(throughputs).toFixed(0).padStart(13)}   ${`${Math.min(...throughputs).toFixed(0)}–${Math.max(...throughputs).toFixed(0)}`.padEnd(17)}  ${median(results.map((r) => r.p50)).toFixed(2).padStart(7)}  ${median(results.map((r) => r.p99)).toFixed(2).padStart(7)}   ${results.reduce((sum, r) => sum + r.errors, 0)}`,
  };
};

console.log(`${systems.map((system) => system.label).join(' versus ')}: ${seconds} s per run, ${runs} runs${systems.length > 1 ? ' each, taking turns' : ''}, ${valueBytes}-byte values, ${keyCount} keys; medians (range of throughput)`);
console.log(`${systems.length > 1 ? 'system     ' : ''}op    in flight    ops/s (median)   range              p50 ms   p99 ms   errors${systems.length > 1 ? '   ratio' : ''}`);
try {
  for (const op of ops) {
    for (const inflight of inflights) {
      const results: RunResult[][] = systems.map(() => []);
      for (let run = 0; run < runs; run++) for (const [i, system] of systems.entries()) results[i]!.push(await closedLoop(system.target, op, inflight));
      const summaries = results.map(summary);
      for (const [i, { text }] of summaries.entries()) {
        const name = systems.length > 1 ? (i === 0 ? 'unanimous  ' : 'etcd       ') : '';
        const ratio = systems.length > 1 && i === 0 ? `   ${(summaries[0]!.throughput / summaries[1]!.throughput).toFixed(2)}` : '';
        console.log(`${name}${op.padEnd(5)} ${String(inflight).padStart(9)}    ${text}${ratio}`);
      }
    }
  }
} finally {
  agent.destroy();
  await cluster?.stop();
  // The cluster's temp folder goes with it: a benchmark's data is not worth keeping.
  if (cluster) rmSync(cluster.dataDir, { recursive: true, force: true });
}
