import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashRing } from '../../src/service/hash-ring.ts';
import { requestJson } from '../../src/service/http-json.ts';
import { KvClient } from '../../src/service/kv-client.ts';
import type { NodeStatus } from '../../src/service/served-node.ts';
import { LocalCluster } from '../../src/service/local-cluster.ts';
import { MAX_VALUE_BYTES } from '../../src/service/txn.ts';
import { encodeFrame } from '../../src/runtime/transport/frames.ts';
import { rawPeerConnection } from '../runtime/peer-connection.ts';

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

    // Keys on two shards: one transaction across them (2PC over the shards' Raft groups), all or nothing.
    const ring = new HashRing(['s0', 's1', 's2']);
    const [a] = keysOn(ring, 's0', 'x', 1) as [string];
    const [b] = keysOn(ring, 's1', 'x', 1) as [string];
    const cross = await n1.txn({ compare: [{ key: b, exists: false }], ops: [{ op: 'put', key: a, value: '1' }, { op: 'put', key: b, value: '2' }, { op: 'get', key: a }] });
    expect(cross).toMatchObject({
      status: 200,
      body: { committed: true, shards: ['s0', 's1'], results: [{ op: 'put', key: a, version: 1 }, { op: 'put', key: b, version: 1 }, { op: 'get', key: a, found: true, value: '1' }] },
    });
    const revisions = (cross.body as { revisions: Record<string, number> }).revisions;
    expect(Object.keys(revisions)).toEqual(['s0', 's1']);
    expect(await n2.get(b)).toMatchObject({ status: 200, body: { value: '2', revision: revisions.s1 } });
    // A failing compare on one shard aborts the whole: nothing changes on the other.
    const refused = await n3.txn({ compare: [{ key: b, value: 'nope' }], ops: [{ op: 'delete', key: a }, { op: 'put', key: b, value: '3' }] });
    expect(refused).toEqual({ status: 409, body: { committed: false, reason: `shard s1: compare failed: ${JSON.stringify(b)} has value "2", expected == "nope"`, shards: ['s0', 's1'] } });
    expect(await n3.get(a)).toMatchObject({ status: 200, body: { value: '1' } });

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
    // A log index in decimal digits only: Number() would read each of these as 0 or 1.
    for (const at of ['0x0', '', '1e0', '%201%20', '-0']) {
      expect(await raw('n2', 'GET', `/debug/applied/s0?at=${at}`)).toMatchObject({ status: 400, body: { error: expect.stringContaining('?at= takes a log index >= 0 in decimal digits') } });
    }
    expect(await raw('n2', 'GET', '/debug/applied/s0?at=0')).toMatchObject({ status: 200, body: { at: 0 } });
    expect(await raw('n2', 'POST', '/txn', '{"ops":[{"op":"put","key":"a"}]}')).toMatchObject({ status: 400, body: { error: 'ops[0].value must be a string' } });
    // The nodes serve on after all that.
    expect(await client('n1').put('after-bad-input', 'ok')).toMatchObject({ status: 200 });
  }, 60_000);

  it("refuses a stranger on a node's Raft port who claims a node's id: a forged AppendEntries of a higher term moves nothing", async () => {
    const status = (await requestJson(`${cluster.endpoint('n1')}/status`)).body as { nodes: { id: string; raft: string }[]; shards: { id: string; replicas: { node: string; term: number }[] }[] };
    const [host, port] = status.nodes.find((node) => node.id === 'n2')!.raft.split(':') as [string, string];
    const termOn = async (shard: string) => ((await requestJson(`${cluster.endpoint('n2')}/status?local=1`)).body as NodeStatus).replicas.find((r) => r.shard === shard)!.term;
    const before = await termOn('s0');
    const forged = { type: 'AppendEntries', shard: 's0', term: before + 1000, leaderId: 'n1', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 };
    // As anyone could before peer links were authenticated: a bare hello naming n1, then the message.
    await rawPeerConnection({ host, port: Number(port) }, undefined, [encodeFrame({ hello: 'n1' }), encodeFrame(forged)]);
    // And with a made-up proof.
    await rawPeerConnection({ host, port: Number(port) }, { as: 'n1', to: 'n2', secret: 'a-guessed-cluster-secret' }, [encodeFrame(forged)]);
    await sleep(200);
    expect(await termOn('s0')).toBeLessThan(before + 1000);
    expect(await client('n2').put('after-forgery', 'ok')).toMatchObject({ status: 200 });
  }, 30_000);

  it('resolves transactions whose coordinator died after prepare, or after deciding: aborted, or committed as the anchor logged', async () => {
    const ring = new HashRing(['s0', 's1', 's2']);
    const { clusterSecret } = JSON.parse(readFileSync(join(dir, 'n1.json'), 'utf8')) as { clusterSecret: string };
    const forward = (commands: object[], secret = clusterSecret) => requestJson(`${cluster.endpoint('n1')}/internal/commands`, { body: { commands }, headers: { authorization: `Bearer ${secret}` } });
    /** One command, answered as `{ status, body }` as the node answered it within the batch. */
    const command = async (shard: string, body: object, secret = clusterSecret) => {
      const response = await forward([{ shard, hops: 0, command: body }], secret);
      return response.status === 200 ? (response.body as { outcomes: { status: number; body: unknown }[] }).outcomes[0]! : response;
    };
    // Without the cluster secret, no client can forge a command between nodes.
    expect(await command('s0', { kind: 'decide', id: 'forged', outcome: 'committed' }, 'guessed-secret-xx')).toMatchObject({
      status: 403,
      body: { error: 'commands between nodes must carry the cluster secret (authorization: Bearer <clusterSecret>)' },
    });
    const [g1a, g2a] = keysOn(ring, 's0', 'ghost-a', 2) as [string, string];
    const [g1b, g2b] = keysOn(ring, 's1', 'ghost-b', 2) as [string, string];
    const part = (key: string) => ({ ops: [{ op: 'put', key, value: 'ghost' }] });
    // ghost-1: a coordinator that prepared both parts and died before deciding.
    expect(await command('s0', { kind: 'prepare', id: 'ghost-1', anchor: 's0', part: part(g1a) })).toMatchObject({ status: 200, body: { result: { vote: 'prepared' } } });
    expect(await command('s1', { kind: 'prepare', id: 'ghost-1', anchor: 's0', part: part(g1b) })).toMatchObject({ status: 200, body: { result: { vote: 'prepared' } } });
    // ghost-2: one that prepared s1's part, logged the commit with s0's part at the anchor, and died.
    await command('s1', { kind: 'prepare', id: 'ghost-2', anchor: 's0', part: part(g2b) });
    expect(await command('s0', { kind: 'decide', id: 'ghost-2', outcome: 'committed', part: part(g2a) })).toMatchObject({ status: 200, body: { result: { outcome: 'committed', result: { committed: true } } } });

    // Meanwhile the prepared parts hold their locks: readers and writers are refused with the holder.
    expect(await client('n2').get(g1b)).toMatchObject({ status: 409, body: { error: `conflict: ${JSON.stringify(g1b)} is locked by transaction ghost-1, prepared across shards; retry` } });
    expect(await client('n2').get(g2a)).toMatchObject({ status: 200, body: { value: 'ghost' } });

    // Each shard's leader finds its part in doubt and asks the anchor: ghost-1 aborts, ghost-2 commits.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answers = await Promise.all([g1a, g1b, g2b].map((key) => client('n3').get(key)));
      if (answers.map((answer) => answer.status).join() === '404,404,200') break;
      if (Date.now() > deadline) throw new Error(`not resolved: ${JSON.stringify(answers)}`);
      await sleep(250);
    }
    expect(await client('n1').get(g2b)).toMatchObject({ status: 200, body: { value: 'ghost' } });
    // A late repeat of ghost-1's prepare is refused: the shard remembers the abort.
    expect(await command('s1', { kind: 'prepare', id: 'ghost-1', anchor: 's0', part: part(g1b) })).toMatchObject({ status: 200, body: { result: { vote: 'refused' } } });
    // Malformed commands between nodes are refused like any bad request; an unknown shard, per command.
    expect(await command('s0', { kind: 'decide', id: 'x', outcome: 'perhaps' })).toMatchObject({ status: 400, body: { error: 'commands[0].command: "outcome" must be "committed" or "aborted"' } });
    expect(await forward([{ shard: 's0', command: {} }])).toMatchObject({ status: 400, body: { error: 'commands[0].hops must be a whole number >= 0' } });
    expect(await command('s9', { kind: 'decide', id: 'x', outcome: 'aborted' })).toMatchObject({ status: 404, body: { error: expect.stringContaining('unknown shard "s9"') } });
  }, 60_000);

  it('keeps balances summed across shards, loses no acknowledged write and keeps replicas identical when a leader and then a coordinator are killed -9 mid-run', async () => {
    const ring = new HashRing(['s0', 's1', 's2']);
    const shards = ['s0', 's1', 's2'];
    const accounts = shards.flatMap((shard) => keysOn(ring, shard, `acct-${shard}-`, 8));
    const total = 100 * accounts.length;
    const seed = client('n1');
    // One transaction across the three shards opens every account.
    expect(await seed.txn({ ops: accounts.map((key) => ({ op: 'put', key, value: '100' })) })).toMatchObject({ status: 200, body: { committed: true } });

    const down = new Set<string>();
    const upNodes = () => cluster.nodeIds.filter((node) => !down.has(node));
    const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;
    /** The node the transfers go to while it is up: the coordinator of their transactions across shards. */
    let coordinator = 'n1';
    const via = () => (down.has(coordinator) ? pick(upNodes()) : coordinator);
    const acknowledged = new Map<string, string>();
    const sums: number[] = [];
    let stop = false;
    const counts = { puts: 0, transfers: 0, crossShard: 0, aborted: 0, failed: 0 };

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
        const [from, to] = [...accounts].sort(() => Math.random() - 0.5) as [string, string];
        try {
          const read = await client(via()).txn({ ops: [{ op: 'get', key: from }, { op: 'get', key: to }] });
          if (read.status !== 200) {
            counts.failed++;
            continue;
          }
          const [a, b] = (read.body as { results: { value: string; version: number }[] }).results as [{ value: string; version: number }, { value: string; version: number }];
          const amount = 1 + Math.floor(Math.random() * 10);
          const moved = await client(via()).txn({
            compare: [{ key: from, version: a.version }, { key: to, version: b.version }],
            ops: [{ op: 'put', key: from, value: String(Number(a.value) - amount) }, { op: 'put', key: to, value: String(Number(b.value) + amount) }],
          });
          if (moved.status === 200) {
            counts.transfers++;
            if (ring.shardOf(from) !== ring.shardOf(to)) counts.crossShard++;
          } else if (moved.status === 409) counts.aborted++;
          else counts.failed++;
        } catch {
          counts.failed++;
          await sleep(20);
        }
      }
    };
    /** Reads every balance in one transaction across the shards: a consistent cut, so the sum is always the total. */
    const auditor = async () => {
      while (!stop) {
        let audited = false;
        try {
          const read = await client(pick(upNodes())).txn({ ops: accounts.map((key) => ({ op: 'get', key })) });
          if (read.status === 200) sums.push((read.body as { results: { value: string }[] }).results.reduce((sum, result) => sum + Number(result.value), 0));
          audited = read.status === 200;
        } catch {
          // a killed node
        }
        // Refused (a transfer held a lock) or failed: try again soon.
        await sleep(audited ? 100 : 10);
      }
    };

    const killAndRestart = async (victim: string) => {
      down.add(victim);
      await cluster.kill(victim, 'SIGKILL');
      const before = { puts: counts.puts, transfers: counts.transfers };
      // The other two nodes elect new leaders where needed and keep committing: wait for a put
      // (within 3 s unloaded; up to 30 s on a machine busy with other work), not a fixed time.
      const deadline = Date.now() + 30_000;
      while (counts.puts <= before.puts && Date.now() < deadline) await sleep(100);
      expect(counts.puts, `puts after killing ${victim}`).toBeGreaterThan(before.puts);
      cluster.startNode(victim);
      await cluster.waitForNode(victim);
      down.delete(victim);
      // Transfers went on too (those touching accounts a dead coordinator left locked wait for the
      // resolver, which takes RESOLVE_AFTER_MS): again a wait for one, bounded.
      const resumed = Date.now() + 30_000;
      while (counts.transfers <= before.transfers && Date.now() < resumed) await sleep(100);
      expect(counts.transfers, `transfers after killing ${victim}`).toBeGreaterThan(before.transfers);
    };

    const load = [...Array.from({ length: 4 }, (_, w) => writer(w)), ...Array.from({ length: 6 }, () => transferrer()), auditor()];
    try {
      await sleep(1_500);
      const leader = (await cluster.status()).shards.find((shard) => shard.id === 's0')!.leader!;
      coordinator = cluster.nodeIds.find((node) => node !== leader)!;
      await killAndRestart(leader);
      // Kill the node coordinating the transfers while it has transactions in flight.
      await killAndRestart(coordinator);
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(unexpectedExits).toEqual([]);
    expect(counts.puts).toBeGreaterThan(50);
    expect(counts.crossShard).toBeGreaterThan(10);
    expect(sums.length).toBeGreaterThan(2);
    expect(new Set(sums)).toEqual(new Set([total]));

    // Every part prepared by the killed coordinator is resolved by its shard's leader.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const prepared = (await cluster.status()).shards.flatMap((shard) => shard.members.map((member) => member.prepared));
      if (prepared.every((count) => count === 0)) break;
      if (Date.now() > deadline) throw new Error(`prepared parts left unresolved: ${JSON.stringify(prepared)}`);
      await sleep(500);
    }

    // No acknowledged write is lost.
    const reader = client('n2');
    const keys = [...acknowledged.keys()];
    for (let i = 0; i < keys.length; i += 64) {
      const batch = keys.slice(i, i + 64);
      const answers = await Promise.all(batch.map((key) => reader.get(key)));
      for (const [j, answer] of answers.entries()) expect(answer, batch[j]).toMatchObject({ status: 200, body: { value: acknowledged.get(batch[j]!) } });
    }

    // Transfers across shards are atomic: the balances still sum to the total.
    const balances = await reader.txn({ ops: accounts.map((key) => ({ op: 'get', key })) });
    expect((balances.body as { results: { value: string }[] }).results.reduce((sum, result) => sum + Number(result.value), 0)).toBe(total);

    // Every replica of every shard applied the same log, and holds the same state once all have caught up.
    for (const shard of shards) {
      let views: { appliedIndex: number; logDigest: string; stateDigest: string }[] = [];
      const converged = Date.now() + 30_000;
      for (;;) {
        views = await Promise.all(cluster.nodeIds.map(async (node) => (await requestJson(`${cluster.endpoint(node)}/debug/applied/${shard}`)).body as (typeof views)[number]));
        if (new Set(views.map((view) => view.appliedIndex)).size === 1) break;
        if (Date.now() > converged) throw new Error(`the replicas of ${shard} did not converge: ${JSON.stringify(views.map((view) => view.appliedIndex))}`);
        await sleep(200);
      }
      expect(new Set(views.map((view) => view.logDigest)).size, `${shard}'s applied logs`).toBe(1);
      expect(new Set(views.map((view) => view.stateDigest)).size, `${shard}'s data`).toBe(1);
      expect(views[0]!.appliedIndex).toBeGreaterThan(1);
    }
    const resolved = await Promise.all(cluster.nodeIds.map(async (node) => ((await client(node).status(true)).body as NodeStatus).inDoubtResolved));
    console.log(`cluster test: ${JSON.stringify(counts)}, ${sums.length} audits, in-doubt parts resolved per node since it last started: ${JSON.stringify(resolved)}`);
  }, 120_000);
});
