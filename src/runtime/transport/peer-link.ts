import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Logger } from '../logger.ts';
import { decodeFrameBody, encodeFrame, FrameDecoder, FrameError } from './frames.ts';
import { HANDSHAKE_MAX_FRAME_BYTES, type Hello, helloFrame, readChallenge, readWelcome } from './peer-handshake.ts';
import { isTlsRefusal, type PeerTls, peerClientOptions } from './peer-tls.ts';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface BackoffPolicy {
  /** The first retry waits up to this long. */
  readonly initialMs: number;
  /** No retry waits longer than this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 2_000 };

export interface PeerLinkCounters {
  /** Messages dropped because the queue was full (the oldest go first). */
  droppedQueueFull: number;
  framesWritten: number;
  /** Connections that completed the handshake. */
  connects: number;
  /**
   * Connections closed because the peer did not complete the handshake or did not prove the
   * secret, or (with TLS) because its certificate did not verify or it refused this node's.
   */
  handshakesRefused: number;
}

export interface PeerLinkOptions {
  /** The cluster secret, which the handshake proves both ends hold (peer-handshake.ts). */
  readonly secret: string;
  /** A connection whose handshake is not done within this long is closed and retried. */
  readonly handshakeTimeoutMs: number;
  readonly maxQueued: number;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly logger: Logger;
  /** Mutual TLS (peer-tls.ts): the peer must present a certificate from the CA naming the host dialled. */
  readonly tls?: PeerTls;
}

/**
 * The outbound half of a connection to one peer: this node writes its messages to the peer over
 * a connection it dials itself, opened by the handshake of peer-handshake.ts (the peer's
 * challenge, this node's hello, the peer's welcome); the peer sends back over its own. Nothing is
 * written before the peer has proven the cluster secret. Messages wait in a bounded queue while
 * the link is down or the socket is full.
 *
 * When the queue is full the OLDEST message is dropped (and counted): consensus messages are
 * superseded by later ones (a newer heartbeat carries the newer commitIndex; a retry repeats a lost
 * request), so after a long outage the newest are the useful ones, and the protocols already
 * tolerate loss. Reconnecting uses exponential backoff with full jitter (a delay drawn from
 * [0, min(max, initial × 2^attempt)]), so that peers restarting together do not retry in lockstep.
 */
export class PeerLink {
  readonly counters: PeerLinkCounters = { droppedQueueFull: 0, framesWritten: 0, connects: 0, handshakesRefused: 0 };
  private readonly queue: Buffer[] = [];
  private socket: Socket | undefined;
  private open = false;
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly self: string,
    readonly peer: string,
    private address: PeerAddress | undefined,
    private readonly options: PeerLinkOptions,
  ) {}

  /** Queues a frame for the peer and writes what the socket will take. */
  send(frame: Buffer): void {
    if (this.closed) return;
    this.queue.push(frame);
    if (this.queue.length > this.options.maxQueued) {
      this.queue.shift();
      if (this.counters.droppedQueueFull++ === 0) this.options.logger.warn('send queue full: dropping the oldest messages', { peer: this.peer, limit: this.options.maxQueued });
    }
    this.pump();
  }

  /** A new address for the peer; an open connection to the old one is kept until it breaks. */
  setAddress(address: PeerAddress): void {
    this.address = address;
    if (!this.socket && !this.retry) this.pump();
  }

  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.socket?.destroy();
    this.queue.length = 0;
  }

  private pump(): void {
    if (this.closed) return;
    if (!this.open) {
      if (!this.socket && !this.retry && this.address) this.dial(this.address);
      return;
    }
    const socket = this.socket!;
    // Hand frames to the socket only while its buffer has room: the rest wait in the bounded queue.
    while (this.queue.length > 0 && !socket.writableNeedDrain) {
      socket.write(this.queue.shift()!);
      this.counters.framesWritten++;
    }
  }

  private dial(address: PeerAddress): void {
    // With TLS the challenge arrives only once the session is up, so the handshake below runs
    // inside it unchanged; without, on the bare connection.
    const socket = this.options.tls ? connectTls(peerClientOptions(this.options.tls, address.host, address.port)) : connect({ host: address.host, port: address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
    let challenge: string | undefined;
    let hello: Hello | undefined;
    const handshakeTimer = setTimeout(() => this.refuse(socket, `no handshake within ${this.options.handshakeTimeoutMs} ms`), this.options.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const body of decoder.push(chunk)) {
          if (this.open) throw new FrameError('the peer wrote after the handshake, which it never does');
          const value = decodeFrameBody(body);
          if (challenge === undefined) {
            challenge = readChallenge(value, this.peer);
            hello = helloFrame(this.options.secret, this.self, this.peer, challenge);
            socket.write(encodeFrame(hello));
            continue;
          }
          readWelcome(value, this.options.secret, this.self, this.peer, hello!, challenge);
          clearTimeout(handshakeTimer);
          this.opened();
        }
      } catch (error) {
        this.refuse(socket, error instanceof FrameError ? error.message : `an error reading the connection: ${(error as Error).message}`);
      }
    });
    socket.on('drain', () => this.pump());
    socket.on('error', (error) => {
      // TLS refusing the peer's certificate, or the peer refusing ours, is not an outage: say why.
      if (this.options.tls && isTlsRefusal(error)) {
        this.noteRefusal(`TLS: ${error.message}`);
        return;
      }
      // A peer that is down is routine: say so once per outage, not once per retry.
      if (this.lastError === undefined) this.options.logger.info('cannot reach peer; retrying with backoff', { peer: this.peer, error: error.message });
      this.lastError = error.message;
    });
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      this.socket = undefined;
      this.open = false;
      if (this.closed) return;
      this.lastError ??= 'connection closed';
      const ceiling = Math.min(this.options.backoff.maxMs, this.options.backoff.initialMs * 2 ** this.attempt);
      this.attempt = Math.min(this.attempt + 1, 30);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.pump();
      }, Math.floor(this.options.random() * ceiling));
    });
  }

  /** The handshake is done: the peer is who it says, and the queue may go out. */
  private opened(): void {
    this.open = true;
    this.attempt = 0;
    this.counters.connects++;
    if (this.lastError) this.options.logger.info('connected again', { peer: this.peer, after: this.lastError });
    this.lastError = undefined;
    this.pump();
  }

  /** Closes a connection whose peer broke the handshake; logged once per run of the same reason. */
  private refuse(socket: Socket, reason: string): void {
    if (socket.destroyed) return;
    this.noteRefusal(reason);
    socket.destroy();
  }

  private noteRefusal(reason: string): void {
    this.counters.handshakesRefused++;
    if (this.lastError !== reason) this.options.logger.warn('peer refused: handshake failed; retrying with backoff', { peer: this.peer, reason });
    this.lastError = reason;
  }
}
