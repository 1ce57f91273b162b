import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHost, SqliteStore, TcpTransport } from 'unanimous/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { chainClient } from './client.ts';
import { validateChainMessage } from './messages.ts';
import { chainServer } from './server.ts';

// The same two machines the model checks, run for real: each node over TCP on 127.0.0.1 with the
// mutual HMAC handshake, each server on its own SQLite file.
const chain = ['s1', 's2', 's3'];
const everyone = [...chain, 'c1'];
const secret = 'chain-replication-example-secret';
const dir = mkdtempSync(join(tmpdir(), 'chain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listen = (id: string) =>
  TcpTransport.listen({
    id,
    secret,
    listen: { host: '127.0.0.1', port: 0 },
    peers: Object.fromEntries(everyone.filter((peer) => peer !== id).map((peer) => [peer, undefined])),
    validate: validateChainMessage,
  });

const host = (id: string, transport: TcpTransport) =>
  id === 'c1'
    ? new NodeHost({ machine: chainClient, id, peers: chain, config: { chain, writes: null, reads: null, resends: null }, store: new SqliteStore(join(dir, `${id}.db`)), transport, timers: { retryTimeout: 200 } })
    : new NodeHost({ machine: chainServer, id, peers: everyone.filter((peer) => peer !== id), config: { chain }, store: new SqliteStore(join(dir, `${id}.db`)), transport, timers: {} });

describe('chain replication on TCP and SQLite', () => {
  it('acknowledges writes at the tail, reads them there, and a restarted tail still holds them', async () => {
    const transports = new Map(await Promise.all(everyone.map(async (id) => [id, await listen(id)] as const)));
    const connect = () => {
      for (const [id, transport] of transports) for (const [peer, other] of transports) if (peer !== id) transport.setPeerAddress(peer, other.address);
    };
    connect();
    const hosts = new Map(everyone.map((id) => [id, host(id, transports.get(id)!)]));
    for (const h of hosts.values()) h.start();
    try {
      const client = hosts.get('c1')!;
      for (const value of ['a', 'b', 'c']) expect(await client.submit({ type: 'Write', value })).toEqual({ acknowledged: value });
      expect(await client.submit({ type: 'Read' })).toEqual({ history: ['a', 'b', 'c'] });

      // Stop the tail and bring it back on a new port from its SQLite file alone.
      await hosts.get('s3')!.stop();
      transports.set('s3', await listen('s3'));
      connect();
      hosts.set('s3', host('s3', transports.get('s3')!));
      hosts.get('s3')!.start();
      expect(await client.submit({ type: 'Read' })).toEqual({ history: ['a', 'b', 'c'] });
      expect(await client.submit({ type: 'Write', value: 'd' })).toEqual({ acknowledged: 'd' });
      expect(await client.submit({ type: 'Read' })).toEqual({ history: ['a', 'b', 'c', 'd'] });
    } finally {
      await Promise.all([...hosts.values()].map((h) => h.stop()));
    }
  });
});
