/**
 * Requests in flight per client: a client (a remote address) may have at most `limit` requests
 * being served at once. It bounds what one client can make a node hold — open requests, their
 * bodies, the proposals they wait on — so that one greedy or broken client cannot starve the rest;
 * the refused request is answered 429 Too Many Requests with Retry-After (RFC 6585 §4).
 */
export class InFlightLimit {
  private readonly counts = new Map<string, number>();

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`the limit of requests in flight per client must be a whole number >= 1, not ${limit}`);
  }

  /** A slot for one request of `client`: its release (idempotent), or undefined when the client has `limit` in flight. */
  enter(client: string): (() => void) | undefined {
    const count = this.counts.get(client) ?? 0;
    if (count >= this.limit) return undefined;
    this.counts.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(client) ?? 1) - 1;
      if (left === 0) this.counts.delete(client);
      else this.counts.set(client, left);
    };
  }

  /** Requests of `client` in flight. */
  inFlight(client: string): number {
    return this.counts.get(client) ?? 0;
  }
}
