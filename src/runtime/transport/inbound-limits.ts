/**
 * What one node lets others hold open on its peer port.
 *
 * - `pendingPerAddress`: connections from one IP address that have not finished the handshake
 *   (TLS and the cluster-secret hello). Past it, a new connection from that address is closed at
 *   once, before any TLS work: anyone who can reach the port can open connections, and each costs
 *   a socket, a timer and, with TLS, a handshake. A local cluster's nodes all dial from 127.0.0.1,
 *   so the default leaves room for every peer of the largest `unanimous serve` (64 nodes)
 *   reconnecting at once.
 * - `perPeer`: authenticated connections one peer id holds at once. A peer dials one connection at
 *   a time (PeerLink); more mean connections it gave up on that this side has not seen close
 *   (half-open after a partition: the listener never writes after the welcome, so it would not
 *   notice), or a misbehaving peer. Past the limit the OLDEST is closed, not the new one: the
 *   newest is the one the real peer uses, and refusing it would lock the peer out until the stale
 *   ones time out, which half-open TCP connections never do by themselves.
 */
export interface InboundLimits {
  readonly pendingPerAddress: number;
  readonly perPeer: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = { pendingPerAddress: 64, perPeer: 4 };

/** A connection counted against its address until it authenticates or closes (whichever first). */
export interface PendingSlot {
  readonly address: string;
  release(): void;
}

/** The counts behind `InboundLimits`; the transport closes and logs what it says to. */
export class InboundConnections<C> {
  private readonly pending = new Map<string, number>();
  /** Addresses over the pending limit whose refusal was logged: one line per burst, not per connection. */
  private readonly refusing = new Set<string>();
  private readonly byPeer = new Map<string, C[]>();

  constructor(readonly limits: InboundLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`inbound limits: ${name} must be a whole number >= 1, not ${value}`);
    }
  }

  /**
   * A new connection from `address`: its slot, or `undefined` when the address already has
   * `pendingPerAddress` connections in the handshake (with `firstRefusal` true the first time in
   * a burst, so that the caller logs once).
   */
  admit(address: string): { readonly slot: PendingSlot } | { readonly slot: undefined; readonly firstRefusal: boolean } {
    const count = this.pending.get(address) ?? 0;
    if (count >= this.limits.pendingPerAddress) {
      const firstRefusal = !this.refusing.has(address);
      this.refusing.add(address);
      return { slot: undefined, firstRefusal };
    }
    this.pending.set(address, count + 1);
    let released = false;
    return {
      slot: {
        address,
        release: () => {
          if (released) return;
          released = true;
          const left = (this.pending.get(address) ?? 1) - 1;
          if (left === 0) this.pending.delete(address);
          else this.pending.set(address, left);
          this.refusing.delete(address);
        },
      },
    };
  }

  /** Connections from `address` still in the handshake. */
  pendingFrom(address: string): number {
    return this.pending.get(address) ?? 0;
  }

  /** `peer` authenticated on `connection`: the connections to close, its oldest beyond `perPeer`. */
  authenticated(peer: string, connection: C): C[] {
    const held = this.byPeer.get(peer) ?? [];
    held.push(connection);
    this.byPeer.set(peer, held);
    return held.length > this.limits.perPeer ? held.splice(0, held.length - this.limits.perPeer) : [];
  }

  /** The authenticated connections `peer` holds now. */
  sockets(peer: string): readonly C[] {
    return [...(this.byPeer.get(peer) ?? [])];
  }

  /** An authenticated connection of `peer` closed. */
  closed(peer: string, connection: C): void {
    const held = this.byPeer.get(peer);
    if (!held) return;
    const at = held.indexOf(connection);
    if (at >= 0) held.splice(at, 1);
    if (held.length === 0) this.byPeer.delete(peer);
  }

  /** Authenticated connections `peer` holds. */
  heldBy(peer: string): number {
    return this.byPeer.get(peer)?.length ?? 0;
  }
}
