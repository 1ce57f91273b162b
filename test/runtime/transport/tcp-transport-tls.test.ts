import type { Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/node/index.ts';
import { seededRandom } from '../../../src/runtime/random.ts';
import { encodeFrame } from '../../../src/runtime/transport/frames.ts';
import type { MessageValidator } from '../../../src/runtime/transport/message-validator.ts';
import type { PeerTls } from '../../../src/runtime/transport/peer-tls.ts';
import { TcpTransport, type TcpTransportOptions } from '../../../src/runtime/transport/tcp-transport.ts';
import { createCertificateAuthority } from '../../../src/service/throwaway-ca.ts';
import { recordingLogger, waitFor } from '../helpers.ts';
import { rawPeerConnection } from '../peer-connection.ts';

/**
 * The peer transport over mutual TLS: two CAs made for the test, the cluster's and a stranger's.
 * Every node has a certificate from the cluster's CA naming 127.0.0.1; the intruder has one from
 * the other CA, and also the cluster secret, so that what stops it is TLS alone.
 */
const SECRET = 'the-cluster-secret-of-this-test';
const validateNote: MessageValidator = (message) => ((message as { type?: unknown }).type === 'Note' && Number.isInteger((message as { n?: unknown }).n) ? true : 'not a Note');

const LOCAL = { commonName: 'node', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
let cluster: PeerTls;
let clusterOther: PeerTls;
let foreign: PeerTls;
let misnamed: PeerTls;

beforeAll(async () => {
  const ca = await createCertificateAuthority({ name: 'cluster CA' });
  const otherCa = await createCertificateAuthority({ name: 'another CA' });
  cluster = { ca: ca.cert, ...(await ca.issue(LOCAL)) };
  clusterOther = { ca: ca.cert, ...(await ca.issue(LOCAL)) };
  // Trusts the cluster's CA, but its own certificate comes from the other.
  foreign = { ca: ca.cert, ...(await otherCa.issue(LOCAL)) };
  // The cluster's CA, but naming a host that is not the one dialled.
  misnamed = { ca: ca.cert, ...(await ca.issue({ commonName: 'elsewhere', dnsNames: ['node-b.example'], ipAddresses: ['10.9.9.9'] })) };
}, 30_000);

const opened: TcpTransport[] = [];
const rawSockets: Socket[] = [];
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(opened.splice(0).map((transport) => transport.close()));
});

async function transportOf(id: string, peers: TcpTransportOptions['peers'], tls: PeerTls | undefined, extra: Partial<TcpTransportOptions> = {}) {
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
    ...(tls ? { tls } : {}),
    ...extra,
  });
  transport.onMessage((from, message) => received.push([from, message]));
  opened.push(transport);
  return { transport, received, logger };
}

const reasons = (logger: ReturnType<typeof recordingLogger>) => logger.records.filter((r) => r.message === 'connection closed: bad input').map((r) => String(r.fields.reason));

describe('TcpTransport over mutual TLS', () => {
  it('delivers messages both ways between nodes whose certificates the cluster CA signed', async () => {
    const a = await transportOf('a', { b: undefined }, cluster);
    const b = await transportOf('b', { a: a.transport.address }, clusterOther);
    a.transport.setPeerAddress('b', b.transport.address);
    for (let n = 0; n < 20; n++) a.transport.send('b', { type: 'Note', n });
    b.transport.send('a', { type: 'Note', n: -1 });
    await waitFor('delivery', () => b.received.length === 20 && a.received.length === 1);
    expect(b.received.map(([from, m]) => [from, m.n])).toEqual(Array.from({ length: 20 }, (_, n) => ['a', n]));
    expect(a.received).toEqual([['b', { type: 'Note', n: -1 }]]);
    expect(a.transport.stats().connectionsRefused + b.transport.stats().connectionsRefused).toBe(0);
  });

  it('a peer with a certificate from another CA cannot join: its connection is closed, nothing it sends is delivered', async () => {
    const b = await transportOf('b', { a: undefined }, cluster);
    // The intruder knows the secret and claims to be a, but its certificate is not the cluster's.
    const intruder = await transportOf('a', { b: b.transport.address }, foreign);
    intruder.transport.send('b', { type: 'Note', n: 666 });
    await waitFor('the refusal', () => b.transport.stats().connectionsRefused >= 1);
    expect(reasons(b.logger)[0]).toMatch(/^the peer's TLS certificate is not signed by the cluster's CA \(/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.received).toEqual([]);
    expect(b.transport.stats().messagesReceived).toBe(0);
    expect(intruder.transport.stats().framesWritten).toBe(0);
  });

  it('does not talk to a listener whose certificate is from another CA, or names another host', async () => {
    for (const impostorTls of [foreign, misnamed]) {
      const impostor = await transportOf('b', { a: undefined }, impostorTls);
      const a = await transportOf('a', { b: impostor.transport.address }, cluster);
      a.transport.send('b', { type: 'Note', n: 1 });
      await waitFor('the refusal', () => a.transport.stats().handshakesRefused > 0);
      const reason = String(a.logger.records.find((r) => r.message.startsWith('peer refused'))?.fields.reason);
      expect(reason).toMatch(impostorTls === foreign ? /^TLS: unable to verify the first certificate/ : /^TLS: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list: 10\.9\.9\.9/);
      expect(a.transport.stats().framesWritten).toBe(0);
      expect(impostor.received).toEqual([]);
      await a.transport.close();
      await impostor.transport.close();
    }
  });

  it('still runs the cluster-secret handshake inside TLS: a valid certificate without the secret gets nowhere', async () => {
    const b = await transportOf('b', { a: undefined }, cluster);
    const { port } = b.transport.address;
    const tls = { ca: cluster.ca, cert: clusterOther.cert, key: clusterOther.key };
    await rawPeerConnection({ port, tls }, { as: 'a', to: 'b', secret: 'a-guessed-cluster-secret' }, [encodeFrame({ type: 'Note', n: 666 })], rawSockets);
    expect(reasons(b.logger)).toEqual(['a hello from "a" that does not prove the cluster secret (a wrong secret, or a replayed handshake)']);
    // With the secret too, the same certificate is a peer.
    void rawPeerConnection({ port, tls }, { as: 'a', to: 'b', secret: SECRET, expectWelcome: true }, [encodeFrame({ type: 'Note', n: 7 })], rawSockets);
    await waitFor('the message', () => b.received.length === 1);
    expect(b.received).toEqual([['a', { type: 'Note', n: 7 }]]);
  });

  it('refuses plain TCP and a TLS client without a certificate', async () => {
    const b = await transportOf('b', { a: undefined }, cluster);
    const { port } = b.transport.address;
    // A plain hello on the TLS port is not a TLS ClientHello.
    await rawPeerConnection({ port }, undefined, [encodeFrame({ hello: 'a' }), encodeFrame({ type: 'Note', n: 666 })], rawSockets);
    await rawPeerConnection({ port, tls: { ca: cluster.ca } }, undefined, [encodeFrame({ hello: 'a' })], rawSockets);
    await waitFor('both refusals', () => reasons(b.logger).length === 2);
    expect(reasons(b.logger)[0]).toMatch(/^TLS handshake failed: .*(wrong version number|http request|unknown protocol|packet length too long)/i);
    expect(reasons(b.logger)[1]).toMatch(/^the peer's TLS certificate is not signed by the cluster's CA|^TLS handshake failed: .*certificate/);
    expect(b.received).toEqual([]);
  });
});
