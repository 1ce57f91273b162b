import type { Message } from '../../node/index.ts';
import { type Clock, systemClock } from '../clock.ts';
import { randomBetween, seededRandom } from '../random.ts';
import type { MessageHandler, Transport } from './transport.ts';

/** Faults the network injects at random, each message drawn independently. */
export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly dropProbability?: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  readonly duplicateProbability?: number;
  /** Delivery delay in ms, fixed or drawn uniformly per copy; different delays reorder messages. */
  readonly delayMs?: number | { readonly min: number; readonly max: number };
}

export interface MemoryNetworkOptions {
  /** Seeds every random fault: a run replays exactly from its seed (with a `ManualClock`). */
  readonly seed: number;
  /** Delays run on this clock; a `ManualClock` makes a whole cluster deterministic. */
  readonly clock?: Clock;
  readonly faults?: NetworkFaults;
}

/** Decides that a message in flight is lost: explicit fault injection for a test's scenario. */
export type DropRule = (from: string, to: string, message: Message) => boolean;

export interface NetworkStats {
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly duplicated: number;
}

/**
 * An in-process network for tests: every node gets an `endpoint`, and messages travel as JSON text
 * (so nothing is shared between sender and receiver, and a message that is not JSON fails at the
 * sender) after a delay on the network's clock. Faults are those the checker's networks allow —
 * loss, duplication, reordering through delays — plus partitions: a message crossing a partition
 * is lost, whether it was sent before the partition began or during it.
 */
export class MemoryNetwork {
  private readonly clock: Clock;
  private readonly random: () => number;
  private faults: NetworkFaults;
  private readonly endpoints = new Map<string, MemoryEndpoint>();
  /** Cut links, as "a\u0000b" with a < b: partitions are symmetric. */
  private readonly cut = new Set<string>();
  private readonly dropRules = new Set<DropRule>();
  private counts = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(options: MemoryNetworkOptions) {
    if (!Number.isInteger(options.seed)) throw new Error(`MemoryNetwork: the seed must be an integer, not ${options.seed}`);
    this.clock = options.clock ?? systemClock;
    this.random = seededRandom(options.seed);
    this.faults = checkFaults(options.faults ?? {});
  }

  /** The transport of node `id`. One open endpoint per id; after it is closed, a restarted node may take a new one. */
  endpoint(id: string): Transport {
    if (this.endpoints.has(id)) throw new Error(`MemoryNetwork: ${id} already has an open endpoint`);
    const endpoint = new MemoryEndpoint(id, this, () => this.endpoints.delete(id));
    this.endpoints.set(id, endpoint);
    return endpoint;
  }

  setFaults(faults: NetworkFaults): void {
    this.faults = checkFaults(faults);
  }

  /** Cuts every link between a node of `side` and a node of `other`, both ways. */
  partition(side: string | readonly string[], other: string | readonly string[]): void {
    for (const a of [side].flat()) for (const b of [other].flat()) if (a !== b) this.cut.add(linkOf(a, b));
  }

  /** Restores the links between `side` and `other`, or every link when called with no arguments. */
  heal(side?: string | readonly string[], other?: string | readonly string[]): void {
    if (side === undefined || other === undefined) this.cut.clear();
    else for (const a of [side].flat()) for (const b of [other].flat()) this.cut.delete(linkOf(a, b));
  }

  /** Loses every message the rule picks, until the returned function is called. */
  drop(rule: DropRule): () => void {
    this.dropRules.add(rule);
    return () => this.dropRules.delete(rule);
  }

  get stats(): NetworkStats {
    return { ...this.counts };
  }

  /** Called by an endpoint: decides the message's fate now, and delivers each copy after its delay. */
  transmit(from: string, to: string, message: Message): void {
    const text = JSON.stringify(message);
    this.counts.sent++;
    if (this.isCut(from, to) || [...this.dropRules].some((rule) => rule(from, to, message)) || this.draw(this.faults.dropProbability)) {
      this.counts.dropped++;
      return;
    }
    const copies = this.draw(this.faults.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      this.clock.setTimer(this.delay(), () => {
        const receiver = this.endpoints.get(to);
        // Partitioned meanwhile, or the receiver is down: the message is lost in the network.
        if (!receiver || this.isCut(from, to)) {
          this.counts.dropped++;
          return;
        }
        this.counts.delivered++;
        receiver.deliver(from, JSON.parse(text) as Message);
      });
    }
  }

  private isCut(a: string, b: string): boolean {
    return this.cut.has(linkOf(a, b));
  }

  private draw(probability: number | undefined): boolean {
    // Always draw, so that the sequence of draws does not depend on which faults are switched on.
    const value = this.random();
    return probability !== undefined && value < probability;
  }

  private delay(): number {
    const delay = this.faults.delayMs ?? 0;
    return typeof delay === 'number' ? delay : randomBetween(this.random, delay.min, delay.max);
  }
}

const linkOf = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

function checkFaults(faults: NetworkFaults): NetworkFaults {
  for (const name of ['dropProbability', 'duplicateProbability'] as const) {
    const p = faults[name];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`MemoryNetwork: ${name} must lie in [0, 1], not ${p}`);
  }
  const delay = faults.delayMs;
  if (delay !== undefined) {
    const [min, max] = typeof delay === 'number' ? [delay, delay] : [delay.min, delay.max];
    if (!(min >= 0 && max >= min)) throw new RangeError(`MemoryNetwork: delayMs must be >= 0 or { min, max } with 0 <= min <= max, not ${JSON.stringify(delay)}`);
  }
  return faults;
}

/** One node's side of a `MemoryNetwork`. */
class MemoryEndpoint implements Transport {
  private handler: MessageHandler | undefined;
  private closed = false;

  constructor(
    private readonly id: string,
    private readonly network: MemoryNetwork,
    private readonly detach: () => void,
  ) {}

  send(to: string, message: Message): void {
    if (!this.closed) this.network.transmit(this.id, to, message);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  deliver(from: string, message: Message): void {
    this.handler?.(from, message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.detach();
  }
}
