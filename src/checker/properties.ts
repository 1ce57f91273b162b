import type { AnyEventObject, AnyStateMachine } from 'xstate';
import type { Json } from '../node/index.ts';
import type { GlobalView, NodeView } from './model.ts';

/** A state predicate that must hold in every reachable state. */
export interface Invariant {
  readonly kind: 'always';
  readonly name: string;
  readonly holds: (state: GlobalView) => boolean;
}

/**
 * A state predicate that must hold in at least one reachable state. A model whose goals are never
 * reached fails: it guards against vacuous models in which nothing ever happens.
 */
export interface Reachability {
  readonly kind: 'sometimes';
  readonly name: string;
  readonly holds: (state: GlobalView) => boolean;
}

/**
 * Refinement of an abstract spec (TLA+'s `Spec => Abstract!Spec`): a refinement mapping takes each
 * global state to a state of the abstract machine, and every step the checker explores must map to
 * a step of the abstract machine or leave the abstract state unchanged (a stutter).
 *
 * The mapping is built per node, so it is computed once per distinct local state: `project` gives
 * a node's part of the abstract state (undefined when the node has none), and `abstraction` puts
 * the parts together into the abstract machine's context. The abstract machine is flat (one state
 * value) and its steps are the `events` it can take from a context.
 */
export interface Refinement<A extends Json = Json> {
  readonly kind: 'refines';
  readonly name: string;
  readonly spec: AnyStateMachine;
  /** The abstract machine's input. */
  readonly specInput: unknown;
  readonly project: (node: NodeView) => Json | undefined;
  readonly abstraction: (parts: Readonly<Record<string, Json>>) => A;
  readonly events: (abstract: A) => readonly AnyEventObject[];
}

export type Property = Invariant | Reachability | Refinement<any>;

export const always = (name: string, holds: (state: GlobalView) => boolean): Invariant => ({ kind: 'always', name, holds });

export const sometimes = (name: string, holds: (state: GlobalView) => boolean): Reachability => ({
  kind: 'sometimes',
  name,
  holds,
});

export const refines = <A extends Json>(refinement: Omit<Refinement<A>, 'kind'>): Refinement<A> => ({
  kind: 'refines',
  ...refinement,
});
