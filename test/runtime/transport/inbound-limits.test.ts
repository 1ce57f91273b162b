import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/node/index.ts';
import { encodeFrame } from '../../../src/runtime/transport/frames.ts';
import { InboundConnections } from '../../../src/runtime/transport/inbound-limits.ts';
import { TcpTransport } from '../../../src/runtime/transport/tcp-transport.ts';
import { recordingLogger, waitFor } from '../helpers.ts';
import { rawPeerConnection } from '../peer-connection.ts';

const SECRET = 'the-cluster-secret-of-this-test';

const opened: TcpTransport[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(opened.splice(0).map((transport) => transport.close()));
});

async function listener(limits: { pendingPerAddress?: number; perPeer?: number }) {
  const logger = recordingLogger();
  const received: [string, Message][] = [];
  const transport = await TcpTransport.listen({
    id: 'b',
    secret: SECRET,
    listen: { host: '127.0.0.1', port: 0 },
    peers: { a: undefined },
    validate: (message) => ((message as { type?: unknown }).type === 'Note' ? true : 'not a Note'),
    inboundLimits: limits,
    logger,
  });
  transport.onMessage((from, message) => received.push([from, message]));
  opened.push(transport);
  return { transport, logger, received };
}

/** A TCP connection that says nothing; resolves once connected, with a flag set when it closes. */
function silent(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = connect({ host: '127.0.0.1', port }, () => resolve({ socket, closed: () => closed }));
    sockets.push(socket);
    socket.resume();
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.once('error', reject);
  });
}

describe('limits on what others hold open on a peer port', () => {
  it('closes at once a connection from an address that already has the limit in the handshake, logs once per burst, and admits again when one finishes', async () => {
    const b = await listener({ pendingPerAddress: 2 });
    const { port } = b.transport.address;
    const first = await silent(port);
    await silent(port);
    const third = await silent(port);
    const fourth = await silent(port);
    await waitFor('the refusals', () => third.closed() && fourth.closed());
    expect(b.transport.stats().refusedOverPendingLimit).toBe(2);
    expect(b.logger.records.filter((r) => r.message.startsWith('connections refused'))).toEqual([
      { level: 'warn', message: 'connections refused: too many from one address in the handshake', fields: { remote: '127.0.0.1', limit: 2 } },
    ]);
    expect(first.closed()).toBe(false);
    // One of the two in the handshake goes: a new one is admitted, and may authenticate.
    first.socket.destroy();
    await waitFor('the first to close', () => first.closed());
    await new Promise((resolve) => setTimeout(resolve, 20));
    void rawPeerConnection({ port }, { as: 'a', to: 'b', secret: SECRET, expectWelcome: true }, [encodeFrame({ type: 'Note', n: 1 })], sockets);
    await waitFor('the message', () => b.received.length === 1);
    // An authenticated connection no longer counts against its address.
    await silent(port);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(b.transport.stats().refusedOverPendingLimit).toBe(2);
  });

  it('lets a peer hold at most perPeer authenticated connections, closing its oldest past that', async () => {
    const b = await listener({ perPeer: 2 });
    const { port } = b.transport.address;
    const session = (n: number) => {
      let closed = false;
      void rawPeerConnection({ port, keepOpenMs: 60_000 }, { as: 'a', to: 'b', secret: SECRET, expectWelcome: true }, [encodeFrame({ type: 'Note', n })], sockets).then(() => (closed = true));
      return () => closed;
    };
    const first = session(1);
    await waitFor('the first message', () => b.received.length === 1);
    const second = session(2);
    await waitFor('the second message', () => b.received.length === 2);
    expect(b.transport.stats().closedOverPeerLimit).toBe(0);
    const third = session(3);
    await waitFor('the third message and the oldest closed', () => b.received.length === 3 && first());
    expect(second()).toBe(false);
    expect(third()).toBe(false);
    expect(b.transport.stats().closedOverPeerLimit).toBe(1);
    const logged = b.logger.records.filter((r) => r.message.startsWith('connection closed: the peer holds more connections'));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toMatchObject({ peer: 'a', limit: 2 });
    expect(b.received.map(([from, m]) => [from, m.n])).toEqual([
      ['a', 1],
      ['a', 2],
      ['a', 3],
    ]);
  });

  it('counts per address and per peer, and refuses limits below 1', () => {
    const limits = new InboundConnections<string>({ pendingPerAddress: 1, perPeer: 1 });
    const one = limits.admit('10.0.0.1');
    expect(one.slot).toBeDefined();
    expect(limits.admit('10.0.0.1')).toEqual({ slot: undefined, firstRefusal: true });
    expect(limits.admit('10.0.0.1')).toEqual({ slot: undefined, firstRefusal: false });
    expect(limits.admit('10.0.0.2').slot).toBeDefined();
    one.slot!.release();
    one.slot!.release(); // idempotent: a connection that authenticated and then closed counts once
    expect(limits.pendingFrom('10.0.0.1')).toBe(0);
    expect(limits.admit('10.0.0.1').slot).toBeDefined();
    expect(limits.authenticated('a', 'c1')).toEqual([]);
    expect(limits.authenticated('a', 'c2')).toEqual(['c1']);
    limits.closed('a', 'c2');
    expect(limits.heldBy('a')).toBe(0);
    expect(() => new InboundConnections({ pendingPerAddress: 0, perPeer: 1 })).toThrow('inbound limits: pendingPerAddress must be a whole number >= 1, not 0');
  });
});
