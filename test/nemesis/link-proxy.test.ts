import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/node/index.ts';
import { LinkProxy } from '../../src/nemesis/link-proxy.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { TcpTransport } from '../../src/runtime/transport/tcp-transport.ts';
import { recordingLogger, waitFor } from '../runtime/helpers.ts';

/**
 * The fault-injecting proxy between two real TcpTransports (handshake, framing, validation all in
 * play): node a reaches b only through the proxy of a→b, b reaches a through b→a. What b hears
 * from a is what the proxy of a→b lets through.
 */
const SECRET = 'the-secret-of-the-link-proxy-test';
const isNote = (message: unknown) => ((message as { type?: unknown }).type === 'Note' && Number.isInteger((message as { n?: unknown }).n) ? true : 'not a Note');

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
});

async function pair() {
  const received: number[] = [];
  const transport = (id: string, peer: string) =>
    TcpTransport.listen({ id, secret: SECRET, listen: { host: '127.0.0.1', port: 0 }, peers: { [peer]: undefined }, validate: isNote, backoff: { initialMs: 10, maxMs: 100 }, random: seededRandom(1), logger: recordingLogger() });
  const a = await transport('a', 'b');
  const b = await transport('b', 'a');
  opened.push(a, b);
  b.onMessage((from, message) => {
    if (from === 'a') received.push((message as Message & { n: number }).n);
  });
  const ab = await LinkProxy.start({ from: 'a', to: 'b', target: b.address, random: seededRandom(7) });
  const ba = await LinkProxy.start({ from: 'b', to: 'a', target: a.address, random: seededRandom(8) });
  opened.push(ab, ba);
  a.setPeerAddress('b', ab.address);
  b.setPeerAddress('a', ba.address);
  let next = 0;
  const send = (count: number): number[] => {
    const sent = Array.from({ length: count }, () => next++);
    for (const n of sent) a.send('b', { type: 'Note', n });
    return sent;
  };
  // The link is up once a first message has gone through.
  const first = send(1);
  await waitFor('the link a→b to open', () => received.includes(first[0]!));
  received.length = 0;
  return { a, b, ab, received, send };
}

describe('the link proxy', () => {
  it('forwards every frame in order while healthy', async () => {
    const { ab, received, send } = await pair();
    const sent = send(50);
    await waitFor('every message', () => received.length === 50);
    expect(received).toEqual(sent);
    expect(ab.stats.framesForwarded).toBeGreaterThanOrEqual(50);
  });

  it('loss drops whole message frames, never the handshake; healed, the same connection carries on', async () => {
    const { ab, received, send } = await pair();
    ab.set({ lossRate: 1 });
    send(20);
    await sleep(300);
    expect(received).toEqual([]);
    expect(ab.stats.framesDropped).toBe(20);
    ab.heal();
    const after = send(5);
    await waitFor('messages after the heal', () => received.length === 5);
    expect(received).toEqual(after);
    // No reconnect was needed: framing was never broken.
    expect(ab.stats.connections).toBe(1);
  });

  it('duplicate re-sends past message frames: every frame arrives, and as many again from the recent ones', async () => {
    const { ab, received, send } = await pair();
    ab.set({ duplicateRate: 1 });
    const sent = send(30);
    await waitFor('originals and duplicates', () => received.length === 60);
    expect(ab.stats.framesDuplicated).toBe(30);
    // Each duplicate is a frame sent before on this connection (0, the one that opened it, included).
    expect(received.every((n) => n <= sent[sent.length - 1]!)).toBe(true);
    // The originals arrive, in their order.
    const firsts = received.filter((n, i) => sent.includes(n) && received.indexOf(n) === i);
    expect(firsts).toEqual(sent);
  });

  it('delay holds frames for the delay and keeps their order despite jitter', async () => {
    const { ab, received, send } = await pair();
    ab.set({ delayMs: 250, jitterMs: 100 });
    const started = performance.now();
    const sent = send(20);
    await waitFor('the delayed messages', () => received.length === 20, 5_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(245);
    expect(received).toEqual(sent);
    expect(ab.stats.framesDelayed).toBe(20);
  });

  it('a refusing partition cuts the connection and refuses new ones until healed', async () => {
    const { ab, received, send } = await pair();
    ab.partition('refuse');
    send(10);
    await waitFor('the dialer to be refused', () => ab.stats.connectionsRefused > 0);
    await sleep(200);
    expect(received).toEqual([]);
    expect(ab.stats.connectionsCut).toBe(1);
    ab.heal();
    const after = send(3);
    // The messages queued while the link was down go out once it reconnects, then the new ones.
    await waitFor('messages after the heal', () => after.every((n) => received.includes(n)));
    expect(ab.stats.connections).toBe(2);
  });

  it('a black hole keeps the connection but passes nothing; healed, the same connection carries on', async () => {
    const { ab, received, send } = await pair();
    ab.partition('blackhole');
    send(10);
    await sleep(300);
    expect(received).toEqual([]);
    expect(ab.stats.framesBlackholed).toBe(10);
    ab.heal();
    const after = send(3);
    await waitFor('messages after the heal', () => received.length === 3);
    expect(received).toEqual(after);
    expect(ab.stats.connections).toBe(1);
  });
});
