import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import { decodeFrameBody, FrameDecoder } from '../../src/runtime/transport/frames.ts';
import { encodeFrame } from '../../src/runtime/transport/frames.ts';
import { helloFrame, readChallenge, readWelcome, type Hello } from '../../src/runtime/transport/peer-handshake.ts';

/** Frames read off a raw socket, one at a time. */
export function frameReader(socket: Socket): () => Promise<unknown> {
  const decoder = new FrameDecoder();
  const frames: unknown[] = [];
  const waiting: ((value: unknown) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const body of decoder.push(chunk)) {
      const value = decodeFrameBody(body);
      const next = waiting.shift();
      if (next) next(value);
      else frames.push(value);
    }
  });
  return () => (frames.length > 0 ? Promise.resolve(frames.shift()) : new Promise((resolve) => waiting.push(resolve)));
}

/** How a raw connection opens: as node `as` to node `to`, proving `secret` (or replaying a recorded hello). */
export interface RawHandshake {
  readonly as: string;
  readonly to: string;
  readonly secret: string;
  /** Send this hello instead of answering the challenge (a replay). */
  readonly replay?: Hello;
  /** Wait for the listener's welcome and check it (only when the hello should pass). */
  readonly expectWelcome?: boolean;
}

/**
 * A raw connection to a node's peer port, as an attacker or a test would open one: optionally the
 * handshake, then `chunks` written as they are. Resolves with the hello it sent once the node
 * closes the connection; rejects if the node keeps it open for 5 s (`keepOpenMs` longer). With
 * `tls`, the connection is a TLS session with those options (certificate, CA) first.
 */
export function rawPeerConnection(
  address: { readonly host?: string; readonly port: number; readonly tls?: ConnectionOptions; readonly keepOpenMs?: number },
  handshake: RawHandshake | undefined,
  chunks: readonly Buffer[],
  opened: Socket[] = [],
): Promise<Hello | undefined> {
  return new Promise((resolve, reject) => {
    let hello: Hello | undefined;
    const target = { host: address.host ?? '127.0.0.1', port: address.port };
    const open = (onOpen: () => void) => (address.tls ? connectTls({ ...address.tls, ...target }, onOpen) : connect(target, onOpen));
    const socket = open(async () => {
      try {
        if (handshake) {
          const next = frameReader(socket);
          const challenge = readChallenge(await next(), handshake.to);
          hello = handshake.replay ?? helloFrame(handshake.secret, handshake.as, handshake.to, challenge);
          socket.write(encodeFrame(hello));
          if (handshake.expectWelcome) readWelcome(await next(), handshake.secret, handshake.as, handshake.to, hello, challenge);
        } else {
          socket.resume(); // read (and drop) the challenge, so that the close is seen
        }
        for (const chunk of chunks) socket.write(chunk);
      } catch (error) {
        reject(error as Error);
      }
    });
    opened.push(socket);
    socket.on('error', () => {}); // a reset is one way of being closed
    socket.on('close', () => resolve(hello));
    setTimeout(() => reject(new Error('the connection was not closed')), address.keepOpenMs ?? 5_000).unref();
  });
}
