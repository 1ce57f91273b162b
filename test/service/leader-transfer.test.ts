import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/service/http-json.ts';
import { LocalCluster } from '../../src/service/local-cluster.ts';

/**
 * Leadership transfer in the service, on real node processes: four nodes and two shards, s0 on
 * n1, n2, n3 and s1 on n2, n3, n4 (`placeShards`), so that n4 holds no replica of s0. The default
 * placement policy moves each shard's leadership to the first of its replicas; an operator's
 * transfer moves it elsewhere, through any node, and bad requests change nothing.
 */
const BIN = fileURLToPath(new URL('../../bin/unanimous.js', import.meta.url));
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 4, shards: 2 });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster) rmSync(cluster.dataDir, { recursive: true, force: true });
}, 30_000);

const leaders = async () => Object.fromEntries((await cluster.status()).shards.map((shard) => [shard.id, shard.leader]));

async function until(what: string, holds: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await holds().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what} (leaders: ${JSON.stringify(await leaders().catch(() => null))})`);
    await sleep(100);
  }
}

const transfer = (via: string, shard: string, body: unknown) => requestJson(`${cluster.endpoint(via)}/admin/shards/${shard}/transfer`, { body, timeoutMs: 30_000 });

describe('leadership transfer in the service', () => {
  it('spreads the leaders: each shard comes to be led by the first of its replicas', async () => {
    await until('s0 led by n1 and s1 by n2', async () => JSON.stringify(await leaders()) === JSON.stringify({ s0: 'n1', s1: 'n2' }));
  }, 60_000);

  it('moves a leadership on request, through a node that holds no replica of the shard, and the placement moves it back', async () => {
    const moved = await transfer('n4', 's0', { to: 'n3' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ shard: 's0', from: 'n1', leader: 'n3' });
    expect((await leaders()).s0).toBe('n3');
    // Writes go on through the new leader.
    expect((await requestJson(`${cluster.endpoint('n2')}/kv/after-transfer`, { method: 'PUT', body: { value: 'x' } })).status).toBe(200);
    await until('s0 led by n1 again', async () => (await leaders()).s0 === 'n1');
  }, 60_000);

  it('refuses what cannot be done, with a clear error, and changes nothing', async () => {
    const before = await leaders();
    const cases: [string, string, unknown, number, string][] = [
      ['n1', 'nope', { to: 'n2' }, 404, 'unknown shard "nope"; the shards are s0, s1'],
      ['n1', 's0', { to: 'n9' }, 400, 'unknown node "n9"; the nodes are n1, n2, n3, n4'],
      ['n2', 's0', { to: 'n4' }, 400, 'n4 holds no replica of shard s0 (its replicas: n1, n2, n3), so it cannot lead it'],
      ['n1', 's0', {}, 400, 'takes a JSON object {"to": "<node id>"}'],
      ['n1', 's0', { to: 'n2', force: true }, 400, 'unknown field "force"'],
    ];
    for (const [via, shard, body, status, error] of cases) {
      const answer = await transfer(via, shard, body);
      expect([answer.status, (answer.body as { error: string }).error]).toEqual([status, expect.stringContaining(error)]);
    }
    expect((await requestJson(`${cluster.endpoint('n1')}/admin/shards/s0/transfer`)).status).toBe(405);
    expect(await leaders()).toEqual(before);
  }, 60_000);

  it('unanimous kv transfer moves it and prints the answer; a target already leading is success', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'kv', ...args, '--endpoint', cluster.endpoint('n3')], { encoding: 'utf8', timeout: 60_000 });
    const moved = run('transfer', 's1', 'n3');
    expect(moved.status, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ shard: 's1', leader: 'n3' });
    const again = run('transfer', 's1', 'n3');
    // The placement may have moved it back to n2 meanwhile; either way the answer names the leader.
    expect(again.status, again.stderr).toBe(0);
    expect(run('transfer', 's1').status).toBe(2);
  }, 60_000);
});
