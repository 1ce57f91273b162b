import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseClusterConfig } from '../../src/service/cluster-config.ts';
import { requestJson } from '../../src/service/http-json.ts';
import { KvClient } from '../../src/service/kv-client.ts';
import { type SecuredNode, startSecuredNode } from './secured-node.ts';

/**
 * The optional client token of the HTTP API: a node configured with `clientToken` serves only
 * requests that carry it, and a refused request changes nothing — not even a log entry.
 */
const TOKEN = 'a-client-token-of-this-test';
const BIN = join(import.meta.dirname, '../../bin/unanimous.js');
let secured: SecuredNode;

beforeAll(async () => {
  secured = await startSecuredNode({ clientToken: TOKEN });
}, 30_000);

afterAll(async () => {
  await secured?.stop();
}, 30_000);

/** A request with its response headers (KvClient keeps only status and body). */
function withHeaders(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${secured.endpoint}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const appliedIndex = () => secured.node.replica('s0')!.status().appliedIndex;

describe('the client token', () => {
  it('answers 401 with a clear error to every client route without the token, or with a wrong one, and changes nothing', async () => {
    // One request with the token first, so that the new leader's own first entry is applied.
    expect(await new KvClient(secured.endpoint, { token: TOKEN }).get('k')).toMatchObject({ status: 404 });
    const before = appliedIndex();
    const anonymous = new KvClient(secured.endpoint);
    const wrong = new KvClient(secured.endpoint, { token: 'not-the-client-token' });
    const missing = { status: 401, body: { error: 'this node requires a client token: send "authorization: Bearer <token>"' } };
    const refused = { status: 401, body: { error: 'the client token is wrong' } };
    expect(await anonymous.put('k', 'v')).toEqual(missing);
    expect(await wrong.put('k', 'v')).toEqual(refused);
    expect(await anonymous.get('k')).toEqual(missing);
    expect(await wrong.delete('k')).toEqual(refused);
    expect(await wrong.txn({ ops: [{ op: 'put', key: 'k', value: 'v' }] })).toEqual(refused);
    expect(await anonymous.status()).toEqual(missing);
    expect(await wrong.status(true)).toEqual(refused);
    expect(await requestJson(`${secured.endpoint}/debug/applied/s0`)).toEqual(missing);
    expect(await requestJson(`${secured.endpoint}/no/such/route`)).toEqual(missing);
    // Another scheme, or the token without one, is no token.
    expect(await requestJson(`${secured.endpoint}/kv/k`, { headers: { authorization: `Basic ${TOKEN}` } })).toEqual(missing);
    expect(await requestJson(`${secured.endpoint}/kv/k`, { headers: { authorization: TOKEN } })).toEqual(missing);
    // The challenge says what is expected (RFC 6750 §3).
    const challenged = await withHeaders('PUT', '/kv/k', { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' }, '{"value":"v"}');
    expect(challenged.status).toBe(401);
    expect(challenged.headers['www-authenticate']).toBe('Bearer realm="unanimous", error="invalid_token"');
    expect((await withHeaders('GET', '/kv/k')).headers['www-authenticate']).toBe('Bearer realm="unanimous"');
    // Nothing reached the shard: no entry was proposed, let alone applied.
    expect(appliedIndex()).toBe(before);
    expect(await new KvClient(secured.endpoint, { token: TOKEN }).get('k')).toMatchObject({ status: 404, body: { error: 'key not found' } });
  });

  it('serves a client with the token (the scheme in any case)', async () => {
    const client = new KvClient(secured.endpoint, { token: TOKEN });
    expect(await client.put('colour', 'blue')).toMatchObject({ status: 200, body: { key: 'colour', version: 1 } });
    expect(await client.get('colour')).toMatchObject({ status: 200, body: { value: 'blue' } });
    expect(await requestJson(`${secured.endpoint}/kv/colour`, { headers: { authorization: `bearer ${TOKEN}` } })).toMatchObject({ status: 200, body: { value: 'blue' } });
    expect(await client.status(true)).toMatchObject({ status: 200, body: { node: 'n1' } });
  });

  it('leaves commands between nodes to the cluster secret: the client token does not open them', async () => {
    const command = { commands: [{ shard: 's0', hops: 0, command: { kind: 'decide', id: 'probe', outcome: 'aborted' } }] };
    expect(await requestJson(`${secured.endpoint}/internal/commands`, { body: command, headers: { authorization: `Bearer ${TOKEN}` } })).toMatchObject({
      status: 403,
      body: { error: 'commands between nodes must carry the cluster secret (authorization: Bearer <clusterSecret>)' },
    });
    expect(await requestJson(`${secured.endpoint}/internal/commands`, { body: command, headers: { authorization: `Bearer ${secured.config.clusterSecret}` } })).toMatchObject({ status: 200 });
  });

  it('unanimous kv sends --token or UNANIMOUS_TOKEN', async () => {
    const env = { ...process.env, UNANIMOUS_TOKEN: '' };
    // Asynchronously: the node answering lives in this process.
    const kv = (args: string[], extraEnv: Record<string, string> = {}) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'kv', ...args, '--endpoint', secured.endpoint], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const without = await kv(['get', 'colour']);
    expect(without.status).toBe(1);
    expect(without.stderr).toContain('401');
    expect(without.stderr).toContain('requires a client token');
    const withFlag = await kv(['get', 'colour', '--token', TOKEN]);
    expect(withFlag.status, withFlag.stderr).toBe(0);
    expect(JSON.parse(withFlag.stdout)).toMatchObject({ value: 'blue' });
    expect((await kv(['get', 'colour'], { UNANIMOUS_TOKEN: TOKEN })).status).toBe(0);
  }, 60_000);

  it('must be a bearer token of 16 characters or more in the configuration', () => {
    const base = { self: 'n1', dataDir: '/tmp/x', clusterSecret: 'a-secret-of-16-chars', nodes: [{ id: 'n1', host: '127.0.0.1', raftPort: 7000, httpPort: 7001 }], shards: [{ id: 's0', replicas: ['n1'] }] };
    const refusal = 'clientToken must be a string of at least 16 characters from A-Z a-z 0-9 - . _ ~ + / (a bearer token, RFC 6750)';
    for (const clientToken of ['short', 'has a space in it, sixteen+', 42, 'quote"quote"quote"']) {
      expect(() => parseClusterConfig({ ...base, clientToken })).toThrow(new ConfigError(refusal));
    }
    expect(parseClusterConfig({ ...base, clientToken: TOKEN }).clientToken).toBe(TOKEN);
  });
});
