import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Message } from '../../node/index.ts';
import { type Logger, stderrLogger } from '../logger.ts';
import { decodeFrameBody, DEFAULT_MAX_FRAME_BYTES, encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, FrameError } from './frames.ts';
import { type MessageValidator, refusalOf } from './message-validator.ts';
import { DEFAULT_INBOUND_LIMITS, InboundConnections, type InboundLimits, type PendingSlot } from './inbound-limits.ts';
import { challengeFrame, checkSecret, HANDSHAKE_MAX_FRAME_BYTES, readHello, welcomeFrame } from './peer-handshake.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, type PeerAddress, PeerLink } from './peer-link.ts';
import { type PeerTls, peerServerOptions } from './peer-tls.ts';
import type { MessageHandler, Transport } from './transport.ts';

export interface TcpTransportOptions {
  /** This node's id, announced in the hello frame of every connection it dials. */
  readonly id: string;
  /**
   * The secret every node of the cluster shares (at least 16 characters): each connection opens
   * with a handshake in which both ends prove they hold it (peer-handshake.ts).
   */
  readonly secret: string;
  /** Where to listen; port 0 picks a free port (see `address`). */
  readonly listen: PeerAddress;
  /** Every peer by id, with its address; an address may come later through `setPeerAddress`. */
  readonly peers: Readonly<Record<string, PeerAddress | undefined>>;
  /** The protocol's message schema: every incoming frame must pass it. */
  readonly validate: MessageValidator;
  /** Frames above this many bytes (1 MiB by default) are refused, incoming or outgoing. */
  readonly maxFrameBytes?: number;
  /** Messages waiting per peer before the oldest are dropped (1024 by default). */
  readonly maxQueuedMessages?: number;
  readonly backoff?: BackoffPolicy;
  /** A connection whose handshake is not done within this long is closed (5 s by default). */
  readonly helloTimeoutMs?: number;
  /**
   * Mutual TLS on every link (peer-tls.ts): this node's certificate and key, and the CA that signs
   * every node's. Without it the links are plain TCP, authenticated by the handshake but readable
   * and alterable on the path.
   */
  readonly tls?: PeerTls;
  /** What one address or one peer may hold open on the listening port (inbound-limits.ts). */
  readonly inboundLimits?: Partial<InboundLimits>;
  /** Draws for backoff jitter. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

export interface TcpTransportStats {
  readonly messagesReceived: number;
  /**
   * Incoming connections closed for a bad frame, a hello that does not prove the secret, no hello,
   * a TLS handshake that failed or a certificate the CA did not sign.
   */
  readonly connectionsRefused: number;
  /** Incoming connections closed at once: their address had `pendingPerAddress` in the handshake already. */
  readonly refusedOverPendingLimit: number;
  /** Authenticated connections closed because their peer opened more than `perPeer` (the oldest go). */
  readonly closedOverPeerLimit: number;
  /** Outgoing connections closed because the peer failed the handshake (see `PeerLink`). */
  readonly handshakesRefused: number;
  /** Outgoing messages dropped: queue full (oldest first) or too large to frame. */
  readonly droppedQueueFull: number;
  readonly droppedOversized: number;
  readonly framesWritten: number;
}

/**
 * Nodes over TCP. Each node dials each peer and writes its messages on that connection (see
 * `PeerLink`: bounded queue, reconnect with backoff); it reads its peers' messages on the
 * connections they dial to it. With `tls`, every connection is first a mutual-TLS session
 * (peer-tls.ts): a dialer whose certificate the cluster's CA did not sign is closed before a byte
 * is read. A connection then starts with the handshake of peer-handshake.ts — a challenge from
 * this node, a hello from the dialer naming a peer and proving the cluster secret, a welcome
 * proving it back — and the handshake's frames are held to 1 KiB. From then on every frame is one
 * message, which must decode as UTF-8 JSON and pass the protocol's validator before the handler
 * sees it. A connection that breaks any rule — oversized frame, bytes that are not JSON, a message
 * the schema refuses, a hello from a stranger or one that does not prove the secret — is closed
 * with a logged reason; the node keeps running and its other connections are untouched. What an
 * address or a peer may hold open is bounded (inbound-limits.ts). Messages are therefore best
 * effort, as the protocols assume: lost while a link is down, never delivered to the handler
 * malformed or from anyone but an authenticated peer.
 */
export class TcpTransport implements Transport {
  private readonly logger: Logger;
  private readonly maxFrameBytes: number;
  private readonly helloTimeoutMs: number;
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private readonly connections: InboundConnections<Socket>;
  /** With TLS: the slot of each connection still in the TLS handshake, by its remote address and port. */
  private readonly slots = new Map<string, PendingSlot>();
  private handler: MessageHandler | undefined;
  private closed = false;
  private messagesReceived = 0;
  private connectionsRefused = 0;
  private refusedOverPendingLimit = 0;
  private closedOverPeerLimit = 0;
  private droppedOversized = 0;

  private constructor(
    private readonly options: TcpTransportOptions,
    private readonly server: Server,
  ) {
    this.logger = options.logger ?? stderrLogger(`${options.id}/tcp`);
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5_000;
    this.connections = new InboundConnections({ ...DEFAULT_INBOUND_LIMITS, ...options.inboundLimits });
    for (const [peer, address] of Object.entries(options.peers)) this.links.set(peer, this.newLink(peer, address));
    // Both servers announce every TCP connection first ('connection'; a TLS server before its
    // handshake): the limit on connections in the handshake is applied there.
    server.on('connection', (socket: Socket) => this.admit(socket));
    if (options.tls) {
      server.on('secureConnection', (socket: TLSSocket) => this.secured(socket));
      // A handshake that failed or timed out. With a listener here Node leaves the socket to us
      // (tls docs, 'tlsClientError'), so it is destroyed here.
      server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.refused(socket, 'unidentified', `TLS handshake failed: ${error.message}`);
        socket.destroy();
      });
    }
  }

  /** Starts listening; resolves once the port is bound. */
  static listen(options: TcpTransportOptions): Promise<TcpTransport> {
    if (options.id in options.peers) throw new Error(`TcpTransport ${options.id}: a node is not its own peer`);
    checkSecret(options.secret, `TcpTransport ${options.id}`);
    const server = options.tls ? createTlsServer(peerServerOptions(options.tls, options.helloTimeoutMs ?? 5_000)) : createServer();
    const transport = new TcpTransport(options, server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', reject);
        server.on('error', (error) => transport.logger.error('listener error', { error }));
        resolve(transport);
      });
    });
  }

  /** The address actually bound (the port chosen when asked for 0). */
  get address(): PeerAddress {
    const bound = this.server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  setPeerAddress(peer: string, address: PeerAddress): void {
    this.linkTo(peer).setAddress(address);
  }

  /** Whether `peer` is one of this transport's peers. */
  hasPeer(peer: string): boolean {
    return this.links.has(peer);
  }

  /**
   * A node that joined the cluster: from now on it may be sent to, and its connections (which
   * must still prove the secret) are taken. A peer already known gets the address instead.
   */
  addPeer(peer: string, address: PeerAddress): void {
    if (peer === this.options.id) throw new Error(`TcpTransport ${this.options.id}: a node is not its own peer`);
    const link = this.links.get(peer);
    if (link) link.setAddress(address);
    else if (!this.closed) this.links.set(peer, this.newLink(peer, address));
  }

  /** A node that left the cluster: its link is closed, its queued messages dropped, its connections no longer taken. */
  removePeer(peer: string): void {
    this.links.get(peer)?.close();
    this.links.delete(peer);
    for (const socket of this.connections.sockets(peer)) socket.destroy();
  }

  send(to: string, message: Message): void {
    if (this.closed) return;
    const frame = encodeFrame(message);
    if (frame.length - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      // The peer would refuse it and close the connection: refuse it here instead.
      this.droppedOversized++;
      this.logger.warn('message too large to send: dropped', { to, type: message.type, bytes: frame.length - FRAME_HEADER_BYTES, limit: this.maxFrameBytes });
      return;
    }
    this.linkTo(to).send(frame);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  stats(): TcpTransportStats {
    const links = [...this.links.values()];
    return {
      messagesReceived: this.messagesReceived,
      connectionsRefused: this.connectionsRefused,
      refusedOverPendingLimit: this.refusedOverPendingLimit,
      closedOverPeerLimit: this.closedOverPeerLimit,
      handshakesRefused: links.reduce((sum, link) => sum + link.counters.handshakesRefused, 0),
      droppedQueueFull: links.reduce((sum, link) => sum + link.counters.droppedQueueFull, 0),
      droppedOversized: this.droppedOversized,
      framesWritten: links.reduce((sum, link) => sum + link.counters.framesWritten, 0),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close();
    for (const socket of this.inbound) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private newLink(peer: string, address: PeerAddress | undefined): PeerLink {
    const { options } = this;
    return new PeerLink(options.id, peer, address, {
      secret: options.secret,
      handshakeTimeoutMs: this.helloTimeoutMs,
      maxQueued: options.maxQueuedMessages ?? 1024,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      random: options.random ?? Math.random,
      logger: this.logger,
      ...(options.tls ? { tls: options.tls } : {}),
    });
  }

  private linkTo(peer: string): PeerLink {
    const link = this.links.get(peer);
    if (!link) throw new Error(`TcpTransport ${this.options.id}: ${JSON.stringify(peer)} is not a peer`);
    return link;
  }

  /**
   * A TCP connection, before anything is read from it: counted against its address until it
   * authenticates, closed at once when the address has too many in the handshake already.
   */
  private admit(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? 'unknown';
    const admitted = this.connections.admit(address);
    if (admitted.slot === undefined) {
      this.refusedOverPendingLimit++;
      if (admitted.firstRefusal) {
        this.logger.warn('connections refused: too many from one address in the handshake', { remote: address, limit: this.connections.limits.pendingPerAddress });
      }
      socket.destroy();
      return;
    }
    const slot = admitted.slot;
    const key = `${address}:${socket.remotePort}`;
    socket.once('close', () => {
      slot.release();
      if (this.slots.get(key) === slot) this.slots.delete(key);
    });
    if (this.options.tls) this.slots.set(key, slot);
    else this.accept(socket, slot);
  }

  /** A TLS session is up: its peer's certificate must chain to the CA before anything else. */
  private secured(socket: TLSSocket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const slot = this.slots.get(key);
    this.slots.delete(key);
    if (!socket.authorized) {
      this.refused(socket, 'unidentified', `the peer's TLS certificate is not signed by the cluster's CA (${String(socket.authorizationError ?? 'no certificate')})`);
      socket.destroy();
      return;
    }
    if (slot === undefined || this.closed) {
      socket.destroy();
      return;
    }
    this.accept(socket, slot);
  }

  /** Counts and logs a refused incoming connection. */
  private refused(socket: Socket, peer: string, reason: string): void {
    this.connectionsRefused++;
    this.logger.warn('connection closed: bad input', { peer, remote: `${socket.remoteAddress}:${socket.remotePort}`, reason });
  }

  /** An incoming connection (inside TLS when configured): the handshake, then messages, each checked before the handler sees it. */
  private accept(socket: Socket, slot: PendingSlot): void {
    this.inbound.add(socket);
    // Until the dialer has proven the secret it may send no more than a handshake frame.
    const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
    const challenge = challengeFrame(this.options.id);
    let peer: string | undefined;
    let refused = false;
    const refuse = (reason: string) => {
      if (refused) return;
      refused = true;
      this.refused(socket, peer ?? 'unidentified', reason);
      socket.destroy();
    };
    const timeoutMs = this.helloTimeoutMs;
    const helloTimer = setTimeout(() => refuse(`no hello within ${timeoutMs} ms`), timeoutMs);
    socket.setNoDelay(true);
    socket.write(encodeFrame(challenge));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const body of decoder.push(chunk)) {
          if (refused) return;
          const value = decodeFrameBody(body);
          if (peer === undefined) {
            const hello = readHello(value, this.options.secret, this.options.id, challenge.challenge, (id) => this.links.has(id));
            peer = hello.hello;
            clearTimeout(helloTimer);
            slot.release();
            this.limitPeer(peer, socket);
            decoder.setLimit(this.maxFrameBytes);
            socket.write(encodeFrame(welcomeFrame(this.options.secret, this.options.id, hello, challenge.challenge)));
            continue;
          }
          const refusal = refusalOf(value, this.options.validate);
          if (refusal !== undefined) throw new FrameError(refusal);
          this.messagesReceived++;
          this.deliver(peer, value as Message);
        }
      } catch (error) {
        // Whatever went wrong, it stays with this connection: never an exception out of a socket handler.
        refuse(error instanceof FrameError ? error.message : `an error reading the connection: ${(error as Error).message}`);
      }
    });
    socket.on('error', (error) => {
      if (!refused) this.logger.info('incoming connection error', { peer: peer ?? 'unidentified', remote: `${socket.remoteAddress}:${socket.remotePort}`, error: error.message });
    });
    socket.on('close', () => {
      clearTimeout(helloTimer);
      slot.release();
      this.inbound.delete(socket);
      if (peer !== undefined) this.connections.closed(peer, socket);
    });
  }

  /** `peer` authenticated on `socket`: past `perPeer` connections, its oldest are closed (see inbound-limits.ts). */
  private limitPeer(peer: string, socket: Socket): void {
    for (const stale of this.connections.authenticated(peer, socket)) {
      this.closedOverPeerLimit++;
      this.logger.warn('connection closed: the peer holds more connections than the limit; closing its oldest', {
        peer,
        remote: `${stale.remoteAddress}:${stale.remotePort}`,
        limit: this.connections.limits.perPeer,
      });
      stale.destroy();
    }
  }

  private deliver(peer: string, message: Message): void {
    try {
      this.handler?.(peer, message);
    } catch (error) {
      // The handler's failure is not the connection's fault: log it and keep reading.
      this.logger.error('the message handler threw', { peer, type: message.type, error });
    }
  }
}
