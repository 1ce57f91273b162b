import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAddress } from '../../src/service/cluster-config.ts';
import { requestJson } from '../../src/service/http-json.ts';
import { LocalCluster } from '../../src/service/local-cluster.ts';

/**
 * Membership changes of a running cluster, on real node processes: three nodes each holding a
 * replica of three shards; a fourth node is started and added, every replica of n1 is moved onto
 * it (`kv replica move`: add, then remove — the Raft machine's single-server changes), and n1
 * leaves the cluster, all while two writers keep putting. Every acknowledged put is then read
 * back, the new node's replicas hold what the others hold, and it restarts with them.
 */
const BIN = fileURLToPath(new URL('../../bin/unanimous.js', import.meta.url));
const run = promisify(execFile);
let cluster: LocalCluster;
let n4: NodeAddress;

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 3, shards: 3 });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster) rmSync(cluster.dataDir, { recursive: true, force: true });
}, 30_000);

/** `unanimous kv ...` against `via`, without blocking the writers: exit status and parsed output. */
async function kv(via: string, ...args: string[]): Promise<{ code: number; body: Record<string, unknown>; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'kv', ...args, '--endpoint', cluster.endpoint(via)], { timeout: 60_000 });
    return { code: 0, body: JSON.parse(stdout) as Record<string, unknown>, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, body: {}, stderr: failed.stderr };
  }
}

const post = (via: string, path: string, body: unknown) => requestJson(`${cluster.endpoint(via)}${path}`, { body, timeoutMs: 30_000 });
const errorOf = (response: { status: number; body: unknown }) => [response.status, (response.body as { error?: string }).error];

async function until(what: string, holds: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await holds().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

describe('membership changes of a running cluster', () => {
  it('adds a node, moves every replica of n1 onto it and removes n1 under load, losing no acknowledged write', async () => {
    const acknowledged = new Map<string, string>();
    let writing = true;
    let failed = 0;
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const key = `k${w}-${i}`;
        const via = ['n2', 'n3'][i % 2]!;
        const response = await requestJson(`${cluster.endpoint(via)}/kv/${key}`, { method: 'PUT', body: { value: `v${i}` }, timeoutMs: 20_000 }).catch(() => undefined);
        if (response?.status === 200) acknowledged.set(key, `v${i}`);
        else failed++;
      }
    };
    const writers = [writer(1), writer(2)];

    n4 = await cluster.addNode();
    const added = await kv('n2', 'member', 'add', 'n4', n4.host, String(n4.raftPort), String(n4.httpPort));
    expect(added.code, added.stderr).toBe(0);
    expect(added.body).toMatchObject({ node: { id: 'n4' }, added: true });
    // n1 holds replicas: it cannot leave yet.
    expect(errorOf(await requestJson(`${cluster.endpoint('n3')}/admin/members/n1`, { method: 'DELETE' }))).toEqual([409, expect.stringContaining('n1 still holds replicas of s0, s1, s2')]);

    for (const shard of ['s0', 's1', 's2']) {
      const moved = await kv('n3', 'replica', 'move', shard, 'n1', 'n4');
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.body).toMatchObject({ shard, moved: { from: 'n1', to: 'n4' }, members: ['n2', 'n3', 'n4'] });
    }
    const removed = await kv('n2', 'member', 'remove', 'n1');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.body).toEqual({ node: 'n1', removed: true });
    // Writes go on through the new node too.
    expect((await requestJson(`${cluster.endpoint('n4')}/kv/after-move`, { method: 'PUT', body: { value: 'x' } })).status).toBe(200);
    await sleep(1_000);
    writing = false;
    await Promise.all(writers);
    await cluster.kill('n1');

    expect(acknowledged.size).toBeGreaterThan(50);
    // A put may fail while a shard's leader steps down (its removal committed): failed, never lost.
    expect(failed).toBeLessThan(acknowledged.size);
    for (const [key, value] of acknowledged) {
      const read = await requestJson(`${cluster.endpoint('n4')}/kv/${key}`, { timeoutMs: 20_000 });
      expect([key, read.status, (read.body as { value?: string }).value]).toEqual([key, 200, value]);
    }

    const members = await kv('n4', 'member', 'list');
    expect(members.body).toMatchObject({ removed: ['n1'] });
    expect((members.body.nodes as { id: string }[]).map((node) => node.id)).toEqual(['n2', 'n3', 'n4']);
    expect((members.body.shards as { replicas: string[] }[]).map((shard) => shard.replicas)).toEqual([
      ['n2', 'n3', 'n4'],
      ['n2', 'n3', 'n4'],
      ['n2', 'n3', 'n4'],
    ]);
    // n4's replicas applied the same log as n2's.
    for (const shard of ['s0', 's1', 's2']) {
      await until(`${shard} on n4 caught up with n2`, async () => {
        const [a, b] = await Promise.all(['n2', 'n4'].map(async (node) => (await requestJson(`${cluster.endpoint(node)}/debug/applied/${shard}`)).body as { appliedIndex: number; dataDigest: string }));
        return a!.appliedIndex === b!.appliedIndex && a!.dataDigest === b!.dataDigest;
      });
    }
  }, 240_000);

  it('a node added later restarts with the replicas it was given', async () => {
    await cluster.kill('n4');
    cluster.startNode('n4');
    await cluster.waitForNode('n4');
    const status = (await requestJson(`${cluster.endpoint('n4')}/status?local=1`)).body as { replicas: { shard: string }[] };
    expect(status.replicas.map((replica) => replica.shard).sort()).toEqual(['s0', 's1', 's2']);
    expect((await requestJson(`${cluster.endpoint('n4')}/kv/after-move`, { timeoutMs: 20_000 })).body).toMatchObject({ value: 'x' });
  }, 90_000);

  it('refuses what cannot be done, with a clear error, and changes nothing', async () => {
    const before = (await requestJson(`${cluster.endpoint('n2')}/admin/members`)).body;
    const cases: [string, string, unknown, number, string][] = [
      ['n2', '/admin/shards/s9/replicas', { add: 'n2' }, 404, 'unknown shard "s9"'],
      ['n2', '/admin/shards/s0/replicas', { add: 'n9' }, 400, 'unknown node "n9"; the nodes are n2, n3, n4'],
      ['n2', '/admin/shards/s0/replicas', { add: 'n1' }, 400, 'unknown node "n1" (it was removed from the cluster)'],
      ['n3', '/admin/shards/s0/replicas', { add: 'n4' }, 409, 'n4 holds a replica of s0 already'],
      ['n3', '/admin/shards/s0/replicas', { remove: 'n1' }, 400, 'unknown node "n1"'],
      ['n2', '/admin/shards/s0/replicas', { add: 'n2', remove: 'n3' }, 400, 'takes {"add": "<node id>"} or {"remove": "<node id>"}'],
      ['n2', '/admin/shards/s0/transfer', { to: 'n1' }, 400, 'unknown node "n1"'],
      ['n2', '/admin/members', { id: 'n1', host: '127.0.0.1', raftPort: 1, httpPort: 2 }, 409, 'n1 was removed from the cluster'],
      ['n2', '/admin/members', { id: 'n5', host: n4.host, raftPort: n4.raftPort, httpPort: 9 }, 409, 'takes a port of n4'],
      ['n2', '/admin/members', { id: 'n5', host: '127.0.0.1', raftPort: 70000, httpPort: 9 }, 400, 'raftPort must be a port from 1 to 65535'],
      ['n2', '/admin/members', { id: 'n5', host: '127.0.0.1', raftPort: 8, httpPort: 9, zone: 'a' }, 400, 'unknown field "zone"'],
    ];
    for (const [via, path, body, status, error] of cases) expect([path, ...errorOf(await post(via, path, body))]).toEqual([path, status, expect.stringContaining(error)]);
    expect(errorOf(await requestJson(`${cluster.endpoint('n2')}/admin/members/n9`, { method: 'DELETE' }))).toEqual([400, expect.stringContaining('unknown node "n9"')]);
    // Between nodes only: without the cluster secret, nothing is started.
    expect((await post('n2', '/internal/replicas', { shard: 's0', members: ['n3'] })).status).toBe(403);

    // With n3 down, removing n2 from s0 would leave {n3, n4}, of which only n4 answers: no quorum.
    await cluster.kill('n3');
    await sleep(1_500);
    const lossy = await post('n4', '/admin/shards/s0/replicas', { remove: 'n2' });
    expect(errorOf(lossy)).toEqual([409, expect.stringContaining("the change would lose the shard's quorum")]);
    cluster.startNode('n3');
    await cluster.waitForLeaders();
    expect((await requestJson(`${cluster.endpoint('n2')}/admin/members`)).body).toEqual(before);
  }, 120_000);

  it('a replica removed while its node was down is dropped when the node restarts, and deposes no leader', async () => {
    await cluster.kill('n4');
    await sleep(1_500);
    const removed = await post('n2', '/admin/shards/s0/replicas', { remove: 'n4' });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    await until('s0 led with n4 removed', async () => ((await requestJson(`${cluster.endpoint('n2')}/admin/members`)).body as { shards: { id: string; replicas: string[] }[] }).shards[0]!.replicas.join() === 'n2,n3');
    const termOfS0 = async () => {
      const replicas = await Promise.all(['n2', 'n3'].map(async (node) => ((await requestJson(`${cluster.endpoint(node)}/status?local=1`)).body as { replicas: { shard: string; term: number }[] }).replicas.find((replica) => replica.shard === 's0')!.term));
      return Math.max(...replicas);
    };
    const term = await termOfS0();

    cluster.startNode('n4');
    await cluster.waitForNode('n4');
    await until('n4 holds no replica of s0', async () => {
      const status = (await requestJson(`${cluster.endpoint('n4')}/status?local=1`)).body as { replicas: { shard: string }[] };
      return status.replicas.map((replica) => replica.shard).sort().join() === 's1,s2';
    });
    // Longer than several election timeouts: a replica left running would have campaigned by now.
    await sleep(3_000);
    expect(await termOfS0()).toBe(term);
    expect((await requestJson(`${cluster.endpoint('n4')}/kv/after-move`, { timeoutMs: 20_000 })).body).toMatchObject({ value: 'x' });
  }, 120_000);
});
