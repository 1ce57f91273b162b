import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/runtime/transport/frames.ts';
import { HashRing } from '../../src/service/hash-ring.ts';
import { requestJson } from '../../src/service/http-json.ts';
import { KvClient } from '../../src/service/kv-client.ts';
import { LocalCluster } from '../../src/service/local-cluster.ts';
import type { NodeStatus } from '../../src/service/served-node.ts';
import { createCertificateAuthority } from '../../src/service/throwaway-ca.ts';
import { rawPeerConnection } from '../runtime/peer-connection.ts';

/**
 * The service with TLS on every link: three node processes, each with a certificate from a
 * throwaway CA made under the data folder (as `unanimous serve --tls` does). Clients speak HTTPS
 * trusting that CA; nodes speak mutual TLS to each other's Raft ports and HTTPS to each other's
 * APIs (forwarded commands, status). Every process is stopped in afterAll.
 */
const dir = mkdtempSync(join(tmpdir(), 'unanimous-tls-'));
let cluster: LocalCluster;
const unexpectedExits: string[] = [];

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 3, shards: 2, dataDir: dir, tls: true, onUnexpectedExit: (node, how) => unexpectedExits.push(`${node} (${how})`) });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const logOf = (node: string) => readFileSync(join(dir, `${node}.log`), 'utf8');

describe('the key-value service over TLS', () => {
  it('writes the CA and each node its certificate and key (keys private to their owner), never the CA key', () => {
    expect(cluster.caFile).toBe(join(dir, 'tls', 'ca.pem'));
    for (const node of ['n1', 'n2', 'n3']) {
      expect(existsSync(join(dir, 'tls', `${node}.pem`))).toBe(true);
      expect(statSync(join(dir, 'tls', `${node}.key`)).mode & 0o777).toBe(0o600);
      expect(cluster.configs.get(node)!.tls).toEqual({ ca: join(dir, 'tls', 'ca.pem'), cert: join(dir, 'tls', `${node}.pem`), key: join(dir, 'tls', `${node}.key`) });
    }
    expect(readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8')).not.toContain('PRIVATE KEY');
    expect(cluster.endpoints.every((endpoint) => endpoint.startsWith('https://127.0.0.1:'))).toBe(true);
  });

  it('serves puts, gets and transactions across shards over HTTPS through every node', async () => {
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((node) => cluster.client(node, { timeoutMs: 20_000 })) as [KvClient, KvClient, KvClient];
    expect(await n1.put('secret-greeting', 'hello')).toMatchObject({ status: 200, body: { key: 'secret-greeting', version: 1 } });
    // Whichever node does not lead the key's shard forwards the command, over HTTPS.
    for (const client of [n1, n2, n3]) expect(await client.get('secret-greeting')).toMatchObject({ status: 200, body: { value: 'hello' } });
    const ring = new HashRing(['s0', 's1']);
    const keyOn = (shard: string) => Array.from({ length: 100 }, (_, i) => `tls-${i}`).find((key) => ring.shardOf(key) === shard)!;
    const cross = await n2.txn({ ops: [{ op: 'put', key: keyOn('s0'), value: 'a' }, { op: 'put', key: keyOn('s1'), value: 'b' }] });
    expect(cross).toMatchObject({ status: 200, body: { committed: true, shards: ['s0', 's1'] } });
    expect(await n3.get(keyOn('s1'))).toMatchObject({ status: 200, body: { value: 'b' } });
    // Each node reached the others' APIs over HTTPS to gather the status.
    const status = await cluster.status();
    expect(status.nodes.map((node) => [node.up, node.http.startsWith('https://')])).toEqual([
      [true, true],
      [true, true],
      [true, true],
    ]);
    expect(unexpectedExits).toEqual([]);
  }, 60_000);

  it('refuses a client that does not trust the cluster CA, and one that speaks plain HTTP', async () => {
    const otherCa = await createCertificateAuthority({ name: 'not the cluster CA' });
    const stranger = new KvClient(cluster.endpoint('n1'), { ca: otherCa.cert, timeoutMs: 5_000 });
    await expect(stranger.get('secret-greeting')).rejects.toThrow(/unable to verify the first certificate|self[- ]signed certificate/);
    // Without --ca, the system's roots do not know the throwaway CA either.
    await expect(new KvClient(cluster.endpoint('n1'), { timeoutMs: 5_000 }).get('secret-greeting')).rejects.toThrow(/self[- ]signed certificate|unable to verify/);
    await expect(requestJson(cluster.endpoint('n1').replace('https:', 'http:') + '/status?local=1', { timeoutMs: 5_000 })).rejects.toThrow();
  }, 30_000);

  it("does not let a peer whose certificate another CA signed join, even with the cluster secret: its connection is closed and nothing it sends is delivered", async () => {
    const otherCa = await createCertificateAuthority({ name: 'an intruder CA' });
    const intruder = await otherCa.issue({ commonName: 'n1', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const config = cluster.configs.get('n2')!;
    const n2 = config.nodes.find((node) => node.id === 'n2')!;
    const termOf = async () => ((await cluster.client('n2').status(true)).body as NodeStatus).replicas.find((r) => r.shard === 's0')!.term;
    const before = await termOf();
    const forged = { type: 'AppendEntries', shard: 's0', term: before + 1000, leaderId: 'n1', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 };
    const hello = await rawPeerConnection(
      { port: n2.raftPort, tls: { ca: cluster.ca!, cert: intruder.cert, key: intruder.key } },
      { as: 'n1', to: 'n2', secret: config.clusterSecret },
      [encodeFrame(forged)],
    );
    // Closed before the challenge: the intruder never got to send its hello.
    expect(hello).toBeUndefined();
    await sleep(200);
    expect(await termOf()).toBeLessThan(before + 1000);
    expect(logOf('n2')).toContain("the peer's TLS certificate is not signed by the cluster's CA");
    expect(await cluster.client('n2').put('after-intruder', 'ok')).toMatchObject({ status: 200 });
  }, 30_000);
});
