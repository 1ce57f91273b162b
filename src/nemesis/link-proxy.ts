import { type AddressInfo, createServer, connect, type Server, type Socket } from 'node:net';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameError } from '../runtime/index.ts';

/** Where a proxy forwards to: the Raft port of the link's far end. */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * How a partitioned link behaves:
 * - `refuse`: every connection through it is cut now and new ones are closed as they arrive, as
 *   when a firewall answers with a reset — the dialer notices at once and retries with backoff;
 * - `blackhole`: connections stay up but no frame passes either way, as when packets vanish — the
 *   dialer notices nothing (a new connection's handshake times out), and the connection it keeps
 *   carries frames again once healed.
 */
export type PartitionMode = 'refuse' | 'blackhole';

/** What a link does to the frames on it now; `heal` puts every field back to its default. */
export interface LinkFaults {
  readonly partition: PartitionMode | null;
  /** Each frame is held this long (plus up to `jitterMs`), order kept: TCP never reorders. */
  readonly delayMs: number;
  readonly jitterMs: number;
  /** The chance that a message frame is dropped. */
  readonly lossRate: number;
  /** The chance that, after a message frame, a frame from the last few is sent again. */
  readonly duplicateRate: number;
}

export const HEALTHY: LinkFaults = { partition: null, delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 };

export interface LinkProxyStats {
  connections: number;
  connectionsRefused: number;
  connectionsCut: number;
  framesForwarded: number;
  framesDropped: number;
  framesBlackholed: number;
  framesDuplicated: number;
  framesDelayed: number;
}

/** Past frames kept per connection for `duplicate` to re-send one of. */
const REPLAY_WINDOW = 8;
/** Above the service's Raft frame limit (64 MiB, kv-node.ts): a larger length is not a frame. */
const MAX_FRAME_BYTES = 96 * 1024 * 1024;

/**
 * A fault-injecting TCP proxy for ONE directed link A→B of the service: node A dials it instead of
 * B's Raft port (`ClusterConfig.dialAddresses`), and it forwards to B. On that connection A sends
 * its messages to B (B answers on its own connection to A, through the proxy of link B→A), so the
 * proxy of A→B decides what B hears from A. Jepsen injects such faults with iptables and tc
 * netem on real hosts; on one machine a proxy in the path keeps the real sockets, the real
 * handshake and the real framing of the transport in play.
 *
 * The proxy is frame-aware: it cuts each direction's bytes at the transport's 4-byte length
 * prefixes (frames.ts) and acts on whole frames, never on arbitrary bytes. That is what makes
 * its faults the ones the protocols are built to survive:
 * - **loss** drops whole message frames — a lost message. (Dropping arbitrary TCP chunks instead
 *   would cut a frame in two and desynchronise the length prefixes: the receiver then reads a
 *   length from the middle of the stream. From inside a JSON body that length is above the
 *   limit (its first byte is printable, ≥ 0x20: ≥ 512 MiB) and the connection closes with a logged
 *   reason; but when the cut lands inside a length prefix the length read can be below the limit,
 *   and the receiver waits for bytes that never come — the listener never writes after the
 *   handshake and keeps no read deadline, so that link would stay wedged. That is the transport's
 *   robustness to corruption, a fuzzing matter, not message loss.)
 * - **duplicate** re-sends a past message frame of the same connection: a duplicated and
 *   reordered message, which Raft must ignore or answer harmlessly.
 * - **delay** holds frames, keeping their order.
 * The handshake's frames (the dialer's first frame, the hello; everything the listener sends —
 * the challenge and the welcome) are never dropped or duplicated: losing one only stalls the link
 * until the handshake's 5 s timeout, and a duplicated hello is refused as a bad message. Partitions
 * stop them too, and delays hold them.
 *
 * Draws come from the seeded `random`; which frame a draw falls on depends on the timing of the
 * run, so a seed fixes the faults' parameters, not every frame's fate.
 */
export class LinkProxy {
  readonly stats: LinkProxyStats = { connections: 0, connectionsRefused: 0, connectionsCut: 0, framesForwarded: 0, framesDropped: 0, framesBlackholed: 0, framesDuplicated: 0, framesDelayed: 0 };
  private faults: LinkFaults = HEALTHY;
  private readonly pipes = new Set<Pipe>();
  private closed = false;

  private constructor(
    readonly from: string,
    readonly to: string,
    readonly target: ProxyTarget,
    private readonly server: Server,
    readonly random: () => number,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on 127.0.0.1 (`port` 0: a free port, see `address`). */
  static async start(options: { readonly from: string; readonly to: string; readonly target: ProxyTarget; readonly random: () => number; readonly port?: number }): Promise<LinkProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new LinkProxy(options.from, options.to, options.target, server, options.random);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get name(): string {
    return `${this.from}→${this.to}`;
  }

  get address(): ProxyTarget {
    const bound = this.server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  get current(): LinkFaults {
    return this.faults;
  }

  /** Partitions the link; `refuse` cuts its connections now. */
  partition(mode: PartitionMode): void {
    this.faults = { ...this.faults, partition: mode };
    if (mode === 'refuse') this.cut();
  }

  /** Sets the delay, loss and duplication of the link (each field given replaces the current one). */
  set(faults: Partial<Omit<LinkFaults, 'partition'>>): void {
    for (const [name, value] of Object.entries(faults)) {
      if (typeof value !== 'number' || !(value >= 0) || ((name === 'lossRate' || name === 'duplicateRate') && value > 1)) throw new Error(`link ${this.name}: ${name} must be a number >= 0${name.endsWith('Rate') ? ' and <= 1' : ''}, not ${value}`);
    }
    this.faults = { ...this.faults, ...faults };
  }

  /** Back to a healthy link. Frames still held by a delay go out when due. */
  heal(): void {
    this.faults = HEALTHY;
  }

  /** Cuts every connection through the link now (the dialer reconnects); in flight frames are lost. */
  cut(): void {
    for (const pipe of [...this.pipes]) {
      this.stats.connectionsCut++;
      pipe.destroy();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pipe of [...this.pipes]) pipe.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.closed || this.faults.partition === 'refuse') {
      this.stats.connectionsRefused++;
      client.destroy();
      return;
    }
    this.stats.connections++;
    const upstream = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const pipe = new Pipe(this, client, upstream);
    this.pipes.add(pipe);
    pipe.onClose = () => this.pipes.delete(pipe);
  }
}

/** One proxied connection: the dialer's socket, the socket to the target, a frame stream each way. */
class Pipe {
  onClose: () => void = () => {};
  private destroyed = false;

  constructor(
    proxy: LinkProxy,
    private readonly client: Socket,
    private readonly upstream: Socket,
  ) {
    const forward = new Direction(proxy, upstream, true);
    const backward = new Direction(proxy, client, false);
    const wire = (socket: Socket, direction: Direction) => {
      const decoder = new FrameDecoder(MAX_FRAME_BYTES);
      socket.on('data', (chunk: Buffer) => {
        let bodies: Buffer[];
        try {
          bodies = decoder.push(chunk);
        } catch (error) {
          if (!(error instanceof FrameError)) throw error;
          this.destroy();
          return;
        }
        for (const body of bodies) direction.frame(body);
      });
      socket.on('error', () => this.destroy());
      socket.on('close', () => this.destroy());
    };
    wire(client, forward);
    wire(upstream, backward);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.client.destroy();
    this.upstream.destroy();
    this.onClose();
  }
}

/** The frames of one direction of a connection, faulted and then written to `out` in order. */
class Direction {
  private index = 0;
  private readonly recent: Buffer[] = [];
  private readonly held: { readonly frame: Buffer; readonly at: number }[] = [];
  private lastRelease = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proxy: LinkProxy,
    private readonly out: Socket,
    /** Dialer → listener: after the first frame (the hello), every frame is a protocol message. */
    private readonly forward: boolean,
  ) {}

  frame(body: Buffer): void {
    const faults = this.proxy.current;
    const stats = this.proxy.stats;
    const message = this.forward && this.index++ > 0;
    if (faults.partition !== null) {
      stats.framesBlackholed++;
      return;
    }
    if (message && faults.lossRate > 0 && this.proxy.random() < faults.lossRate) {
      stats.framesDropped++;
      return;
    }
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, FRAME_HEADER_BYTES);
    this.release(frame, faults);
    if (!message) return;
    this.recent.push(frame);
    if (this.recent.length > REPLAY_WINDOW) this.recent.shift();
    if (faults.duplicateRate > 0 && this.proxy.random() < faults.duplicateRate) {
      stats.framesDuplicated++;
      this.release(this.recent[Math.floor(this.proxy.random() * this.recent.length)]!, faults);
    }
  }

  /** Writes the frame now, or holds it for the delay, never before a frame that came earlier. */
  private release(frame: Buffer, faults: LinkFaults): void {
    const wait = faults.delayMs + (faults.jitterMs > 0 ? this.proxy.random() * faults.jitterMs : 0);
    if (wait <= 0 && this.held.length === 0) {
      this.write(frame);
      return;
    }
    this.proxy.stats.framesDelayed++;
    const at = Math.max(performance.now() + wait, this.lastRelease);
    this.lastRelease = at;
    this.held.push({ frame, at });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.held.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = performance.now();
        while (this.held.length > 0 && this.held[0]!.at <= now + 1) this.write(this.held.shift()!.frame);
        this.schedule();
      },
      Math.max(0, this.held[0]!.at - performance.now()),
    );
    // Held frames never keep a process alive that is otherwise done.
    this.timer.unref();
  }

  private write(frame: Buffer): void {
    if (this.out.destroyed) return;
    this.proxy.stats.framesForwarded++;
    this.out.write(frame);
  }
}
