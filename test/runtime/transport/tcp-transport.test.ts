import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/node/index.ts';
import { seededRandom } from '../../../src/runtime/random.ts';
import { encodeFrame } from '../../../src/runtime/transport/frames.ts';
import type { Hello } from '../../../src/runtime/transport/peer-handshake.ts';
import type { MessageValidator } from '../../../src/runtime/transport/message-validator.ts';
import { TcpTransport, type TcpTransportOptions } from '../../../src/runtime/transport/tcp-transport.ts';
import { recordingLogger, waitFor } from '../helpers.ts';
import { frameReader, rawPeerConnection } from '../peer-connection.ts';

/** The test protocol: `Note` messages carrying a whole number `n`. */
const validateNote: MessageValidator = (message) => {
  const { type, n } = message as { type: unknown; n: unknown };
  if (type !== 'Note') return `unknown type ${JSON.stringify(type)}`;
  return Number.isInteger(n) ? true : '"n" must be a whole number';
};

const SECRET = 'the-cluster-secret-of-this-test';

const opened: TcpTransport[] = [];
const rawSockets: Socket[] = [];
const rawServers: Server[] = [];
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  for (const server of rawServers.splice(0)) server.close();
  await Promise.all(opened.splice(0).map((transport) => transport.close()));
});

async function transportOf(id: string, peers: TcpTransportOptions['peers'], extra: Partial<TcpTransportOptions> = {}) {
  const logger = recordingLogger();
  const received: [string, Message][] = [];
  const transport = await TcpTransport.listen({
    id,
    secret: SECRET,
    listen: { host: '127.0.0.1', port: 0 },
    peers,
    validate: validateNote,
    backoff: { initialMs: 10, maxMs: 100 },
    random: seededRandom(1),
    logger,
    ...extra,
  });
  transport.onMessage((from, message) => received.push([from, message]));
  opened.push(transport);
  return { transport, received, logger };
}

/** Two transports, a and b, that know each other's addresses. */
async function pair(extra: Partial<TcpTransportOptions> = {}) {
  const a = await transportOf('a', { b: undefined }, extra);
  const b = await transportOf('b', { a: a.transport.address }, extra);
  a.transport.setPeerAddress('b', b.transport.address);
  return { a, b };
}

/** A raw connection to `port` that writes `chunks` with no handshake; resolves when it is closed. */
const rawConnection = (port: number, ...chunks: Buffer[]) => rawPeerConnection({ port }, undefined, chunks, rawSockets).then(() => undefined);

/** A raw connection that first does the handshake as node `as` to `to` (a wrong secret fails it). */
const rawSession = (port: number, handshake: { readonly as: string; readonly to: string; readonly secret?: string; readonly replay?: Hello }, chunks: readonly Buffer[]) =>
  rawPeerConnection({ port }, { secret: SECRET, expectWelcome: handshake.secret === undefined && handshake.replay === undefined, ...handshake }, chunks, rawSockets);

/** A connection authenticated as peer `a` of node `b`, which then writes `chunks`. */
const asPeerA = (port: number, ...chunks: Buffer[]) => rawSession(port, { as: 'a', to: 'b' }, chunks);

/** The hello of a connection before authentication existed: a bare claim to be a node. */
const bareHello = (from: string) => encodeFrame({ hello: from });
const lengthOnly = (length: number) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header;
};
const frameOf = (body: Buffer) => Buffer.concat([lengthOnly(body.length), body]);

describe('TcpTransport', () => {
  it('delivers messages both ways, in order, naming the sender by its hello', async () => {
    const { a, b } = await pair();
    for (let n = 0; n < 100; n++) a.transport.send('b', { type: 'Note', n });
    b.transport.send('a', { type: 'Note', n: -1 });
    await waitFor('delivery', () => b.received.length === 100 && a.received.length === 1);
    expect(b.received.map(([from, m]) => [from, m.n])).toEqual(Array.from({ length: 100 }, (_, n) => ['a', n]));
    expect(a.received).toEqual([['b', { type: 'Note', n: -1 }]]);
  });

  it('queues while a peer is down, dropping the oldest beyond the bound, and reconnects with backoff when it is back', async () => {
    const a = await transportOf('a', { b: undefined }, { maxQueuedMessages: 10 });
    // b's port, with nobody listening on it yet.
    const probe = await transportOf('b', { a: a.transport.address });
    const port = probe.transport.address.port;
    await probe.transport.close();
    a.transport.setPeerAddress('b', { host: '127.0.0.1', port });
    for (let n = 0; n < 25; n++) a.transport.send('b', { type: 'Note', n });
    await new Promise((resolve) => setTimeout(resolve, 150)); // a few refused attempts
    expect(a.transport.stats().droppedQueueFull).toBe(15);
    const b = await transportOf('b', { a: a.transport.address }, { listen: { host: '127.0.0.1', port } });
    await waitFor('the queued messages', () => b.received.length === 10);
    expect(b.received.map(([, m]) => m.n)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(a.logger.records.some((r) => r.message.includes('send queue full'))).toBe(true);
  });

  it('closes a connection that sends a malformed, oversized or invalid frame, logs why, and keeps serving its peers', async () => {
    const { a, b } = await pair({ maxFrameBytes: 1024 });
    const port = b.transport.address.port;
    // Authenticated as a, then a bad frame; or bad bytes before any handshake.
    const cases: [string, boolean, Buffer[], RegExp][] = [
      ['garbage bytes', false, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], /a frame of \d+ bytes, above the limit of 1024/],
      ['a length above the limit', true, [lengthOnly(1025)], /a frame of 1025 bytes, above the limit of 1024/],
      ['a large frame before the handshake', false, [lengthOnly(1025)], /a frame of 1025 bytes, above the limit of 1024/],
      ['invalid JSON', true, [frameOf(Buffer.from('{"type": "Note", '))], /not JSON/],
      ['bytes that are not UTF-8', true, [frameOf(Buffer.from([0xc3, 0x28]))], /not UTF-8/],
      ['a message failing validation', true, [encodeFrame({ type: 'Note', n: 'seven' })], /an invalid Note: "n" must be a whole number/],
      ['an unknown message type', true, [encodeFrame({ type: 'Drop tables' })], /unknown type "Drop tables"/],
      ['a reserved event type', true, [encodeFrame({ type: 'xstate.after.electionTimeout.raft.follower' })], /reserved type/],
      ['not an object', true, [encodeFrame([1, 2])], /not a JSON object/],
      ['no hello first', false, [encodeFrame({ type: 'Note', n: 1 })], /the first frame is not a hello/],
      ['a hello from a stranger', false, [bareHello('mallory')], /a hello from "mallory", which is not a peer/],
    ];
    for (const [what, authenticated, chunks, reason] of cases) {
      const before = b.logger.records.length;
      await (authenticated ? asPeerA(port, ...chunks) : rawConnection(port, ...chunks));
      const logged = b.logger.records.slice(before);
      expect(logged.map((r) => r.message), what).toEqual(['connection closed: bad input']);
      expect(String(logged[0]!.fields.reason), what).toMatch(reason);
    }
    expect(b.transport.stats().connectionsRefused).toBe(cases.length);
    // Nothing malformed reached the handler, and the real peer still gets through.
    expect(b.received).toEqual([]);
    a.transport.send('b', { type: 'Note', n: 42 });
    await waitFor('a message after the bad ones', () => b.received.length === 1);
    expect(b.received).toEqual([['a', { type: 'Note', n: 42 }]]);
  });

  describe('authentication: both ends prove the cluster secret, which never crosses the wire', () => {
    it("refuses a stranger who claims a peer's id: its messages never reach the handler", async () => {
      const { a, b } = await pair();
      const port = b.transport.address.port;
      await rawConnection(port, bareHello('a'), encodeFrame({ type: 'Note', n: 666 }));
      await rawConnection(port, encodeFrame({ hello: 'a', nonce: '00'.repeat(32), proof: '11'.repeat(32) }), encodeFrame({ type: 'Note', n: 667 }));
      expect(b.logger.records.map((r) => r.fields.reason)).toEqual([
        'a hello from "a" without a nonce and a proof of the cluster secret',
        'a hello from "a" that does not prove the cluster secret (a wrong secret, or a replayed handshake)',
      ]);
      expect(b.received).toEqual([]);
      // The real a still gets through.
      a.transport.send('b', { type: 'Note', n: 1 });
      await waitFor('the real peer', () => b.received.length === 1);
      expect(b.received).toEqual([['a', { type: 'Note', n: 1 }]]);
    });

    it('refuses a hello made with a wrong secret', async () => {
      const { b } = await pair();
      await rawSession(b.transport.address.port, { as: 'a', to: 'b', secret: 'not-the-cluster-secret' }, [encodeFrame({ type: 'Note', n: 666 })]);
      expect(b.logger.records.map((r) => r.fields.reason)).toEqual(['a hello from "a" that does not prove the cluster secret (a wrong secret, or a replayed handshake)']);
      expect(b.received).toEqual([]);
    });

    it('refuses a replayed handshake: a recorded hello proves nothing on a new connection', async () => {
      const { b } = await pair();
      const port = b.transport.address.port;
      const recorded = await rawSession(port, { as: 'a', to: 'b' }, [encodeFrame({ type: 'Note', n: 1 }), lengthOnly(1 << 30)]);
      expect(b.received).toEqual([['a', { type: 'Note', n: 1 }]]);
      await rawSession(port, { as: 'a', to: 'b', replay: recorded! }, [encodeFrame({ type: 'Note', n: 666 })]);
      expect(b.logger.records.map((r) => r.fields.reason)).toEqual([
        expect.stringMatching(/above the limit/),
        'a hello from "a" that does not prove the cluster secret (a wrong secret, or a replayed handshake)',
      ]);
      expect(b.received).toEqual([['a', { type: 'Note', n: 1 }]]);
    });

    it('nodes with different secrets exchange nothing, and say why', async () => {
      const a = await transportOf('a', { b: undefined });
      const b = await transportOf('b', { a: a.transport.address }, { secret: 'another-cluster-secret' });
      a.transport.setPeerAddress('b', b.transport.address);
      a.transport.send('b', { type: 'Note', n: 1 });
      b.transport.send('a', { type: 'Note', n: 2 });
      await waitFor('both refusals', () => a.transport.stats().connectionsRefused > 0 && b.transport.stats().connectionsRefused > 0);
      expect(a.received).toEqual([]);
      expect(b.received).toEqual([]);
      expect(a.transport.stats().framesWritten + b.transport.stats().framesWritten).toBe(0);
    });

    it('sends nothing to a listener at the peer address that cannot prove the secret', async () => {
      // An impostor at b's address: it challenges as b, answers any hello with a made-up welcome,
      // and records every byte a writes after that.
      const after: Buffer[] = [];
      const impostor = createServer((socket) => {
        rawSockets.push(socket);
        socket.on('error', () => {});
        const next = frameReader(socket);
        socket.write(encodeFrame({ challenge: 'ab'.repeat(32), node: 'b' }));
        void next().then(() => {
          socket.write(encodeFrame({ welcome: 'cd'.repeat(32) }));
          socket.on('data', (chunk: Buffer) => after.push(chunk));
        });
      });
      rawServers.push(impostor);
      await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
      const a = await transportOf('a', { b: { host: '127.0.0.1', port: (impostor.address() as { port: number }).port } });
      a.transport.send('b', { type: 'Note', n: 1 });
      await waitFor('the refusal', () => a.transport.stats().handshakesRefused > 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(Buffer.concat(after).length).toBe(0);
      expect(a.transport.stats().framesWritten).toBe(0);
      expect(a.logger.records.find((r) => r.message.startsWith('peer refused'))?.fields.reason).toBe('"b" does not prove the cluster secret (a wrong secret on one side, or not the real node)');
    });

    it('a transport without a proper secret does not start', async () => {
      await expect(transportOf('a', {}, { secret: 'short' })).rejects.toThrow('TcpTransport a: the cluster secret must be a string of at least 16 characters');
    });
  });

  it('closes a connection that says nothing, after the hello timeout', async () => {
    const { b } = await pair({ helloTimeoutMs: 50 });
    await rawConnection(b.transport.address.port);
    expect(b.logger.records.map((r) => r.fields.reason)).toEqual(['no hello within 50 ms']);
  });

  it('does not send a message above the frame limit, and refuses a non-peer destination', async () => {
    const { a, b } = await pair({ maxFrameBytes: 64 });
    a.transport.send('b', { type: 'Note', n: 1, padding: 'x'.repeat(100) } as Message);
    a.transport.send('b', { type: 'Note', n: 2 });
    await waitFor('the small message', () => b.received.length === 1);
    expect(b.received[0]![1]).toEqual({ type: 'Note', n: 2 });
    expect(a.transport.stats().droppedOversized).toBe(1);
    expect(() => a.transport.send('c', { type: 'Note', n: 3 })).toThrow('TcpTransport a: "c" is not a peer');
  });
});
