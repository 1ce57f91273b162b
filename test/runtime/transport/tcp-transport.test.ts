import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/node/index.ts';
import { seededRandom } from '../../../src/runtime/random.ts';
import { encodeFrame } from '../../../src/runtime/transport/frames.ts';
import type { MessageValidator } from '../../../src/runtime/transport/message-validator.ts';
import { TcpTransport, type TcpTransportOptions } from '../../../src/runtime/transport/tcp-transport.ts';
import { recordingLogger, waitFor } from '../helpers.ts';

/** The test protocol: `Note` messages carrying a whole number `n`. */
const validateNote: MessageValidator = (message) => {
  const { type, n } = message as { type: unknown; n: unknown };
  if (type !== 'Note') return `unknown type ${JSON.stringify(type)}`;
  return Number.isInteger(n) ? true : '"n" must be a whole number';
};

const opened: TcpTransport[] = [];
const rawSockets: Socket[] = [];
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(opened.splice(0).map((transport) => transport.close()));
});

async function transportOf(id: string, peers: TcpTransportOptions['peers'], extra: Partial<TcpTransportOptions> = {}) {
  const logger = recordingLogger();
  const received: [string, Message][] = [];
  const transport = await TcpTransport.listen({
    id,
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

/** A raw connection to `port` that writes `bytes` and resolves when the other side closes it. */
function rawConnection(port: number, ...chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    rawSockets.push(socket);
    socket.on('error', () => {}); // a reset is one way of being closed
    socket.on('close', () => resolve());
    setTimeout(() => reject(new Error('the connection was not closed')), 5_000).unref();
  });
}

const hello = (from: string) => encodeFrame({ hello: from });
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
    const cases: [string, Buffer[], RegExp][] = [
      ['garbage bytes', [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], /a frame of \d+ bytes, above the limit of 1024/],
      ['a length above the limit', [hello('a'), lengthOnly(1025)], /a frame of 1025 bytes, above the limit of 1024/],
      ['invalid JSON', [hello('a'), frameOf(Buffer.from('{"type": "Note", '))], /not JSON/],
      ['bytes that are not UTF-8', [hello('a'), frameOf(Buffer.from([0xc3, 0x28]))], /not UTF-8/],
      ['a message failing validation', [hello('a'), encodeFrame({ type: 'Note', n: 'seven' })], /an invalid Note: "n" must be a whole number/],
      ['an unknown message type', [hello('a'), encodeFrame({ type: 'Drop tables' })], /unknown type "Drop tables"/],
      ['a reserved event type', [hello('a'), encodeFrame({ type: 'xstate.after.electionTimeout.raft.follower' })], /reserved type/],
      ['not an object', [hello('a'), encodeFrame([1, 2])], /not a JSON object/],
      ['no hello first', [encodeFrame({ type: 'Note', n: 1 })], /the first frame is not a hello/],
      ['a hello from a stranger', [hello('mallory')], /a hello from "mallory", which is not a peer/],
    ];
    for (const [what, chunks, reason] of cases) {
      const before = b.logger.records.length;
      await rawConnection(port, ...chunks);
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
