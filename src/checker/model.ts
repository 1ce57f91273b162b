import type { AnyEventObject } from 'xstate';
import type { NodeMachine } from '../node/index.ts';
import type { Fairness } from './fairness.ts';
import type { GlobalView } from './global-view.ts';
import type { History, Property } from './properties.ts';

/**
 * How the network holds messages in flight.
 * - `set`: unordered and never consumed; any message sent may be delivered any number of times,
 *   or never (the message set of Lamport's TLA+ specs, used to reproduce their state counts).
 * - `multiset`: unordered; delivering a message consumes that copy.
 * - `fifo`: ordered per (sender, receiver) channel; only a channel's head can be delivered.
 */
export type NetworkSemantics = 'set' | 'multiset' | 'fifo';

/** One node of a model: a protocol machine and the input it boots with. */
export interface NodeDefinition {
  readonly id: string;
  readonly machine: NodeMachine;
  readonly peers: readonly string[];
  readonly config: unknown;
  /** Events the node may take at any moment on its own (an RM deciding to abort). */
  readonly spontaneous?: readonly AnyEventObject[];
  /**
   * The named delays whose timers the checker may fire; all by default. A model of a spec with no
   * timeouts (Paxos.tla's proposers act spontaneously instead) lists none.
   */
  readonly timers?: readonly string[];
}

/** How many faults of each kind the checker may inject along one behaviour. */
export interface FaultBudgets {
  /** Messages lost in flight (not with `set`, which already lets any message go undelivered). */
  readonly loss?: number;
  /** Messages delivered twice (not with `set`, which already redelivers). */
  readonly duplication?: number;
  /** Node crashes. A crashed node restarts from its durable image whenever the checker chooses. */
  readonly crash?: number;
  /**
   * Whether a crashed node may restart (true by default). False models crash-stop failures: a
   * crashed node stays down.
   */
  readonly restart?: boolean;
  /**
   * A crash is a failover: the node restarts from its durable image in the same step, and no
   * state has it down. This is a consensus group's leader failing and a new leader taking over
   * (an `abstractReplica`, src/protocols/replicated-actor) under the group's own liveness
   * assumption — a majority up and eventually a stable leader — which a separate, never fair,
   * restart could not state. Still a fault: budgeted by `crash`, and never fair itself.
   */
  readonly failover?: boolean;
  /**
   * A perfect failure detector: when a node crashes, every node that lists it as a peer gets a
   * `PeerCrashed` message from it (see src/node/contract.ts), which the network delivers like any
   * other. Models of protocols that assume crash detection (3PC) use it instead of timeouts, which
   * in an asynchronous model may fire while the peer is merely slow.
   */
  readonly notifyCrashes?: boolean;
  /** The nodes that may crash; all by default. */
  readonly crashable?: readonly string[];
}

/** A complete, checkable model configuration. */
export interface Model {
  readonly nodes: readonly NodeDefinition[];
  readonly network: NetworkSemantics;
  readonly faults?: FaultBudgets;
  /**
   * Symmetry sets: nodes that run the same machine and are interchangeable (the RMs of a commit
   * protocol, the acceptors of Paxos). States equal up to a permutation within each set are
   * explored once (TLC's SYMMETRY); see src/checker/symmetry.ts for what renaming does.
   */
  readonly symmetry?: readonly (readonly string[])[];
  /** A history variable that properties may read (see `History`). */
  readonly history?: History<any, any>;
  /** The state constraint: states outside it are checked but neither stored nor expanded (TLC's CONSTRAINT). */
  readonly boundary?: (state: GlobalView) => boolean;
  readonly properties: readonly Property[];
  /**
   * Which action families are weakly or strongly fair, for the liveness properties (`eventually`,
   * `leadsTo`); see src/checker/fairness.ts. Without it no step is fair: every behaviour may stop
   * anywhere, and a liveness property holds only where the initial state already satisfies it.
   */
  readonly fairness?: Fairness;
}

export interface ParameterDefinition {
  readonly description: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export type Parameters = Readonly<Record<string, number>>;

/** What a model is recorded to give: asserted by the tests and shown by `unanimous check`. */
export interface ExpectedResult {
  readonly verdict: 'ok' | 'violation';
  readonly distinct?: number;
  /** For a model with symmetry sets: the distinct states when they are ignored (--no-symmetry). */
  readonly distinctWithoutSymmetry?: number;
  /** For a violation: the property that fails. */
  readonly property?: string;
}

/** The default export of a file in models/. */
export interface ModelFile {
  readonly description: string;
  /**
   * Too large to exhaust: meant for `unanimous simulate`. `unanimous check` with no model named
   * skips it; named, it is checked (give it --max-states).
   */
  readonly simulationOnly: boolean;
  readonly parameters: Readonly<Record<string, ParameterDefinition>>;
  build(parameters: Parameters): Model;
  expected(parameters: Parameters): ExpectedResult | undefined;
}

export function defineModel(file: {
  description: string;
  simulationOnly?: boolean;
  parameters?: Record<string, ParameterDefinition>;
  build: (parameters: Parameters) => Model;
  expected?: (parameters: Parameters) => ExpectedResult | undefined;
}): ModelFile {
  return {
    description: file.description,
    simulationOnly: file.simulationOnly ?? false,
    parameters: file.parameters ?? {},
    build: file.build,
    expected: file.expected ?? (() => undefined),
  };
}
