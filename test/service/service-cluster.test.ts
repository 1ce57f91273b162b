import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashRing } from '../../src/service/hash-ring.ts';
import { requestJson } from '../../src/service/http-json.ts';
import { KvClient } from '../../src/service/kv-client.ts';
import { LocalCluster } from '../../src/service/local-cluster.ts';
import { MAX_VALUE_BYTES } from '../../src/service/txn.ts';

/**
 * The key-value service for real: three node processes (`node bin/unanimous.js node`) on
 * 127.0.0.1, three shards, each a Raft group with a replica on every node, data in a temp folder.
 * Every process is stopped in afterAll, and each node also stops when the test process goes away
 * (its standard input is a pipe from here).
 */
const dir = mkdtempSync(join(tmpdir(), 'unanimous-service-'));
let cluster: LocalCluster;
const unexpectedExits: string[] = [];

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 3, shards: 3, dataDir: dir, onUnexpectedExit: (node, how) => unexpectedExits.push(`${node} (${how})`) });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const client = (node: string) => new KvClient(cluster.endpoint(node), { timeoutMs: 20_000 });

/** A raw request, for bodies that are not JSON. */
function raw(node: string, method: string, path: string, body?: string | Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.endpoint(node)}${path}`, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` keys (named by `prefix`) that live on `shard`. */
function keysOn(ring: HashRing, shard: string, prefix: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (ring.shardOf(`${prefix}${i}`) === shard) keys.push(`${prefix}${i}`);
  return keys;
}

describe('the key-value service on a local cluster of node processes', () => {
  it('puts, gets, deletes and runs transactions through any node (non-leaders forward to the leader)', async () => {
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map(client) as [KvClient, KvClient, KvClient];
    expect(await n1.put('greeting', 'hello')).toMatchObject({ status: 200, body: { key: 'greeting', version: 1 } });
    // Every node answers for every key: whichever does not lead the key's shard forwards.
    for (const node of [n1, n2, n3]) expect(await node.get('greeting')).toMatchObject({ status: 200, body: { key: 'greeting', value: 'hello', version: 1 } });
    const second = await n2.put('greeting', 'hi');
    expect(second).toMatchObject({ status: 200, body: { version: 2 } });
    const revision = (second.body as { revision: number }).revision;

    // A transaction whose compare fails aborts with its reason and changes nothing.
    const aborted = await n3.txn({ compare: [{ key: 'greeting', revision: revision - 1 }], ops: [{ op: 'put', key: 'greeting', value: 'lost' }] });
    expect(aborted).toEqual({ status: 409, body: { committed: false, reason: `compare failed: "greeting" has revision ${revision}, expected == ${revision - 1}`, shard: expect.any(String) } });
    const committed = await n3.txn({ compare: [{ key: 'greeting', value: 'hi' }], ops: [{ op: 'put', key: 'greeting', value: 'hey' }, { op: 'get', key: 'greeting' }] });
    expect(committed).toMatchObject({ status: 200, body: { committed: true, results: [{ op: 'put', version: 3 }, { op: 'get', found: true, value: 'hey', version: 3 }] } });

    expect(await n1.delete('greeting')).toMatchObject({ status: 200, body: { key: 'greeting', deleted: true } });
    expect(await n2.get('greeting')).toMatchObject({ status: 404, body: { error: 'key not found', key: 'greeting' } });
    expect(await n3.delete('greeting')).toMatchObject({ status: 200, body: { deleted: false } });

    // Keys on two shards: refused, not half done.
    const ring = new HashRing(['s0', 's1', 's2']);
    const [a] = keysOn(ring, 's0', 'x', 1);
    const [b] = keysOn(ring, 's1', 'x', 1);
    const cross = await n1.txn({ ops: [{ op: 'put', key: a, value: '1' }, { op: 'put', key: b, value: '1' }] });
    expect(cross.status).toBe(501);
    expect((cross.body as { error: string }).error).toContain('cross-shard transactions');
    expect(await n1.get(a!)).toMatchObject({ status: 404 });

    const status = await cluster.status();
    expect(status.nodes.map((node) => node.up)).toEqual([true, true, true]);
    for (const shard of status.shards) {
      expect(shard.leader).not.toBeNull();
      expect(shard.members.map((member) => member.node).sort()).toEqual(['n1', 'n2', 'n3']);
    }
  }, 60_000);

  it('answers bad requests with a 4xx and a message saying what is wrong', async () => {
    expect(await raw('n1', 'POST', '/txn', '{"ops": [')).toMatchObject({ status: 400, body: { error: expect.stringContaining('the body is not JSON') } });
    expect(await raw('n1', 'POST', '/txn', '')).toMatchObject({ status: 400, body: { error: 'the body is empty; send JSON' } });
    expect(await raw('n2', 'PUT', '/kv/a', '{"val": "x"}')).toMatchObject({ status: 400, body: { error: 'PUT /kv/<key> takes a JSON object {"value": "<string>"}' } });
    expect(await raw('n2', 'PUT', '/kv/a', '{"value": 7}')).toMatchObject({ status: 400, body: { error: 'value must be a string' } });
    expect(await raw('n3', 'PUT', '/kv/a', JSON.stringify({ value: 'x'.repeat(MAX_VALUE_BYTES + 1) }))).toMatchObject({
      status: 413,
      body: { error: `value is ${MAX_VALUE_BYTES + 1} bytes; the limit is ${MAX_VALUE_BYTES}` },
    });
    expect(await raw('n3', 'POST', '/txn', Buffer.alloc(2 * 1024 * 1024, 'x'))).toMatchObject({ status: 413, body: { error: expect.stringContaining('the limit is 1048576') } });
    expect(await raw('n1', 'PUT', `/kv/${'k'.repeat(1025)}`, '{"value": "x"}')).toMatchObject({ status: 413, body: { error: 'the key is 1025 bytes; the limit is 1024' } });
    expect(await raw('n1', 'GET', '/kv/%E0%A4%A')).toMatchObject({ status: 400, body: { error: expect.stringContaining('not valid percent-encoding') } });
    expect(await raw('n1', 'GET', '/kv/')).toMatchObject({ status: 400, body: { error: 'the key must not be empty' } });
    expect(await raw('n1', 'GET', '/kv/never-written')).toMatchObject({ status: 404, body: { error: 'key not found', key: 'never-written' } });
    expect(await raw('n1', 'GET', '/nothing/here')).toMatchObject({ status: 404, body: { error: expect.stringContaining('no route GET /nothing/here') } });
    expect(await raw('n1', 'PATCH', '/kv/a', '{}')).toMatchObject({ status: 405, body: { error: 'PATCH is not allowed on /kv/a; use GET, PUT, DELETE' } });
    expect(await raw('n1', 'GET', '/txn')).toMatchObject({ status: 405 });
    expect(await raw('n2', 'GET', '/debug/applied/s9')).toMatchObject({ status: 404, body: { error: 'unknown shard "s9"; the shards are s0, s1, s2' } });
    expect(await raw('n2', 'POST', '/txn', '{"ops":[{"op":"put","key":"a"}]}')).toMatchObject({ status: 400, body: { error: 'ops[0].value must be a string' } });
    // The nodes serve on after all that.
    expect(await client('n1').put('after-bad-input', 'ok')).toMatchObject({ status: 200 });
  }, 60_000);

  it('loses no acknowledged write, keeps balances summed and replicas identical when a leader process is killed -9 and restarted', async () => {
    const ring = new HashRing(['s0', 's1', 's2']);
    const shards = ['s0', 's1', 's2'];
    const accounts = Object.fromEntries(shards.map((shard) => [shard, keysOn(ring, shard, `acct-${shard}-`, 4)]));
    const seed = client('n1');
    for (const shard of shards) {
      const created = await seed.txn({ ops: accounts[shard]!.map((key) => ({ op: 'put', key, value: '100' })) });
      expect(created.status).toBe(200);
    }

    const down = new Set<string>();
    const upNodes = () => cluster.nodeIds.filter((node) => !down.has(node));
    const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;
    const acknowledged = new Map<string, string>();
    let stop = false;
    const counts = { puts: 0, transfers: 0, aborted: 0, failed: 0 };

    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const key = `w${w}-${n}`;
        try {
          const response = await client(pick(upNodes())).put(key, `value-${w}-${n}`);
          if (response.status === 200) {
            acknowledged.set(key, `value-${w}-${n}`);
            counts.puts++;
          } else counts.failed++;
        } catch {
          counts.failed++; // a killed node: not acknowledged
          await sleep(20);
        }
      }
    };
    const transferrer = async () => {
      while (!stop) {
        const shard = pick(shards);
        const [from, to] = [...accounts[shard]!].sort(() => Math.random() - 0.5) as [string, string];
        try {
          const read = await client(pick(upNodes())).txn({ ops: [{ op: 'get', key: from }, { op: 'get', key: to }] });
          if (read.status !== 200) {
            counts.failed++;
            continue;
          }
          const [a, b] = (read.body as { results: { value: string; revision: number }[] }).results as [{ value: string; revision: number }, { value: string; revision: number }];
          const amount = 1 + Math.floor(Math.random() * 10);
          const moved = await client(pick(upNodes())).txn({
            compare: [{ key: from, revision: a.revision }, { key: to, revision: b.revision }],
            ops: [{ op: 'put', key: from, value: String(Number(a.value) - amount) }, { op: 'put', key: to, value: String(Number(b.value) + amount) }],
          });
          if (moved.status === 200) counts.transfers++;
          else if (moved.status === 409) counts.aborted++;
          else counts.failed++;
        } catch {
          counts.failed++;
          await sleep(20);
        }
      }
    };

    const load = [...Array.from({ length: 6 }, (_, w) => writer(w)), ...Array.from({ length: 3 }, () => transferrer())];
    try {
      await sleep(1_500);
      const victimShard = 's0';
      const victim = (await cluster.status()).shards.find((shard) => shard.id === victimShard)!.leader!;
      down.add(victim);
      await cluster.kill(victim, 'SIGKILL');
      const putsAtKill = counts.puts;
      await sleep(2_500);
      // The other two nodes elected a new leader of the victim's shard and kept committing.
      expect(counts.puts).toBeGreaterThan(putsAtKill);
      cluster.startNode(victim);
      await cluster.waitForNode(victim);
      down.delete(victim);
      await sleep(1_500);
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(unexpectedExits).toEqual([]);
    expect(counts.puts).toBeGreaterThan(50);
    expect(counts.transfers).toBeGreaterThan(5);

    // No acknowledged write is lost.
    const reader = client('n2');
    const keys = [...acknowledged.keys()];
    for (let i = 0; i < keys.length; i += 64) {
      const batch = keys.slice(i, i + 64);
      const answers = await Promise.all(batch.map((key) => reader.get(key)));
      for (const [j, answer] of answers.entries()) expect(answer, batch[j]).toMatchObject({ status: 200, body: { value: acknowledged.get(batch[j]!) } });
    }

    // Transfers within a shard are atomic: each shard's balances still sum to 400.
    for (const shard of shards) {
      const balances = await reader.txn({ ops: accounts[shard]!.map((key) => ({ op: 'get', key })) });
      const values = (balances.body as { results: { value: string }[] }).results.map((result) => Number(result.value));
      expect(values.reduce((sum, value) => sum + value, 0), shard).toBe(400);
    }

    // Every replica of every shard applied the same log, and holds the same data once all have caught up.
    for (const shard of shards) {
      let views: { appliedIndex: number; logDigest: string; stateDigest: string }[] = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        views = await Promise.all(cluster.nodeIds.map(async (node) => (await requestJson(`${cluster.endpoint(node)}/debug/applied/${shard}`)).body as (typeof views)[number]));
        if (new Set(views.map((view) => view.appliedIndex)).size === 1) break;
        if (Date.now() > deadline) throw new Error(`the replicas of ${shard} did not converge: ${JSON.stringify(views.map((view) => view.appliedIndex))}`);
        await sleep(200);
      }
      expect(new Set(views.map((view) => view.logDigest)).size, `${shard}'s applied logs`).toBe(1);
      expect(new Set(views.map((view) => view.stateDigest)).size, `${shard}'s data`).toBe(1);
      expect(views[0]!.appliedIndex).toBeGreaterThan(1);
    }
  }, 90_000);
});
