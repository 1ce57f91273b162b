import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SERVICE_LIMITS, parseClusterConfig } from '../../src/service/cluster-config.ts';
import { MAX_BODY_BYTES } from '../../src/service/http-api.ts';
import { KvClient } from '../../src/service/kv-client.ts';
import { waitFor } from '../runtime/helpers.ts';
import { type SecuredNode, startSecuredNode } from './secured-node.ts';

/**
 * The limits a node puts on its clients and peers, each with the answer a client gets past it:
 * requests in flight per client (429 with Retry-After), the size of a request body (413, the rest
 * of the body unread), and connections in the handshake per address on the Raft port.
 */
let secured: SecuredNode;
const sockets: Socket[] = [];

beforeAll(async () => {
  secured = await startSecuredNode({ limits: { maxInFlightPerClient: 2, maxHandshakesPerAddress: 1 } });
}, 30_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await secured?.stop();
}, 30_000);

/**
 * A raw connection to `port` that writes `head` and keeps the connection open; `received()` is
 * what came back so far and `closed()` whether the server closed it.
 */
function rawOpen(port: number, head: string | Buffer): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let received = '';
    let closed = false;
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(head);
      resolve({ socket, received: () => received, closed: () => closed });
    });
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.once('error', reject);
  });
}

describe('limits', () => {
  it('answers 429 with Retry-After to a client past maxInFlightPerClient, and serves it again once its requests finish', async () => {
    const client = new KvClient(secured.endpoint, { timeoutMs: 10_000 });
    const body = '{"value":"held"}';
    // Two PUTs whose bodies have not all arrived: both are in flight, waiting for the rest.
    const held = await Promise.all(['a', 'b'].map((key) => rawOpen(secured.httpPort, `PUT /kv/held-${key} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await rawOpen(secured.httpPort, 'GET /kv/held-a HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor('the refusal', () => refused.received().includes('\r\n\r\n{'));
    const [head, json] = refused.received().split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
    expect(head.toLowerCase()).toContain('retry-after: 1\r\n');
    expect(JSON.parse(json)).toEqual({ error: 'too many requests in flight from 127.0.0.1: at most 2 at once; retry after 1 s', limit: 2 });
    expect(await client.get('held-a')).toMatchObject({ status: 429 });
    // The bodies arrive: both PUTs are served, and the client is served again.
    for (const { socket } of held) socket.write(body.slice(5));
    await waitFor('both PUTs answered', () => held.every(({ received }) => received().startsWith('HTTP/1.1 200')));
    for (const { socket } of held) socket.destroy();
    // The slots are released when the responses close, which the client may see a moment before.
    const deadline = Date.now() + 5_000;
    while ((await client.get('held-a')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the client was not served again');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await client.get('held-b')).toMatchObject({ status: 200, body: { value: 'held' } });
  }, 30_000);

  it(`answers 413 to a body over ${MAX_BODY_BYTES} bytes without reading the rest, and keeps serving`, async () => {
    // A content-length of 100 MiB and a few bytes of it: the answer comes, and the connection closes, at once.
    const declared = await rawOpen(secured.httpPort, `PUT /kv/big HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n{"value":"`);
    await waitFor('the 413 and the close', () => declared.closed(), 5_000);
    expect(declared.received()).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(declared.received()).toContain(`"error":"the body is ${100 * 1024 * 1024} bytes; the limit is ${MAX_BODY_BYTES}`);
    // Chunked, with no length to go by: refused once past the limit, the rest never sent.
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const chunked = await rawOpen(secured.httpPort, 'PUT /kv/big HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    for (let i = 0; i < 5 && !chunked.closed(); i++) chunked.socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    await waitFor('the 413 and the close', () => chunked.closed(), 5_000);
    expect(chunked.received()).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(chunked.received()).toContain(`the limit`);
    expect(await new KvClient(secured.endpoint).put('after-big', 'ok')).toMatchObject({ status: 200 });
    expect(await new KvClient(secured.endpoint).get('big')).toMatchObject({ status: 404 });
  }, 30_000);

  it('closes at once a second connection in the handshake from one address on the Raft port (maxHandshakesPerAddress: 1)', async () => {
    const raftPort = secured.config.nodes[0]!.raftPort;
    const first = await rawOpen(raftPort, '');
    const second = await rawOpen(raftPort, '');
    await waitFor('the second closed', () => second.closed());
    expect(first.closed()).toBe(false);
  });

  it('are configured per node, each a whole number from 1, with documented defaults', () => {
    const base = { self: 'n1', dataDir: '/tmp/x', clusterSecret: 'a-secret-of-16-chars', nodes: [{ id: 'n1', host: '127.0.0.1', raftPort: 7000, httpPort: 7001 }], shards: [{ id: 's0', replicas: ['n1'] }] };
    expect(DEFAULT_SERVICE_LIMITS).toEqual({ maxInFlightPerClient: 1024, maxConnectionsPerPeer: 4, maxHandshakesPerAddress: 64 });
    expect(parseClusterConfig({ ...base, limits: { maxInFlightPerClient: 8 } }).limits).toEqual({ maxInFlightPerClient: 8 });
    expect(() => parseClusterConfig({ ...base, limits: { maxInFlightPerClient: 0 } })).toThrow(new ConfigError('limits.maxInFlightPerClient must be a whole number from 1 to 1000000, not 0'));
    expect(() => parseClusterConfig({ ...base, limits: { maxBodyBytes: 5 } })).toThrow(
      new ConfigError('limits: unknown field "maxBodyBytes"; the limits are maxInFlightPerClient, maxConnectionsPerPeer, maxHandshakesPerAddress'),
    );
  });
});
