import type { AnyEventObject, AnyStateMachine } from 'xstate';
import type { Json } from '../node/index.ts';
import type { GlobalView, NodeView } from './global-view.ts';

/**
 * An abstraction of global states built node by node, like a TLA+ refinement mapping: `project`
 * gives a node's part of the abstract state (undefined when it has none) and `combine` puts the
 * parts together. Because a part depends on one node's local state only, the checker computes it
 * once per distinct local state and identifies abstract states by integers; properties stated
 * over an abstraction are evaluated once per distinct abstract state, not once per global state.
 */
export interface Abstraction<A extends Json = Json> {
  readonly project: (node: NodeView) => Json | undefined;
  readonly combine: (parts: Readonly<Record<string, Json>>) => A;
}

export const abstraction = <A extends Json>(project: Abstraction<A>['project'], combine: Abstraction<A>['combine']): Abstraction<A> => ({
  project,
  combine,
});

/** A predicate over global states, or over an abstraction of them. */
export type StatePredicate =
  | { readonly over: 'state'; readonly holds: (state: GlobalView) => boolean }
  | { readonly over: Abstraction<any>; readonly holds: (abstract: any) => boolean };

/** A state predicate that must hold in every reachable state. */
export type Invariant = { readonly kind: 'always'; readonly name: string } & StatePredicate;

/**
 * A state predicate that must hold in at least one reachable state. A model whose goals are never
 * reached fails: it guards against vacuous models in which nothing ever happens.
 */
export type Reachability = { readonly kind: 'sometimes'; readonly name: string } & StatePredicate;

/**
 * A state predicate that must hold in every quiescent state: one in which nothing can happen but
 * faults (crashes, losses, duplications) — no message can be delivered, no timer fire, no
 * spontaneous event or restart be taken, other than steps that change nothing. It generalises
 * TLC's deadlock check: "when nothing more can happen, every live RM has decided" is how a
 * non-blocking commit protocol is stated. States outside the boundary or beyond `--max-depth` are
 * not expanded, so they are never judged quiescent.
 */
export type Quiescence = { readonly kind: 'quiescent'; readonly name: string } & StatePredicate;

/**
 * Refinement of an abstract spec (TLA+'s `Spec => Abstract!Spec`): the abstraction maps each
 * global state to a context of the abstract machine (a flat machine: one state value), and every
 * step the checker explores must be a step of that machine — one of the `events` it can take — or
 * leave the abstract state unchanged (a stutter).
 */
export interface Refinement<A extends Json = Json> {
  readonly kind: 'refines';
  readonly name: string;
  readonly over: Abstraction<A>;
  readonly spec: AnyStateMachine;
  /** The abstract machine's input. */
  readonly specInput: unknown;
  readonly events: (abstract: A) => readonly AnyEventObject[];
}

/**
 * A history variable (Abadi and Lamport's, as raft.tla's `elections`): ghost state that records
 * what happened along a behaviour, so that properties can speak of the past — "no two leaders were
 * ever elected in one term" — where the current state has forgotten it. It is part of the global
 * state: two behaviours that reach the same nodes and network with different histories are
 * different states. `next` is applied after every step to the abstract state the step reached,
 * so it must leave the history unchanged when the abstract state adds nothing to it (a stutter).
 * Properties read it as `state.history`.
 */
export interface History<H extends Json = Json, A extends Json = Json> {
  readonly name: string;
  readonly over: Abstraction<A>;
  readonly initial: (abstract: A) => H;
  readonly next: (history: H, abstract: A) => H;
}

export const history = <H extends Json, A extends Json>(definition: History<H, A>): History<H, A> => definition;

/**
 * TLA+'s `<>P` as a temporal property of the model (Specifying Systems §8.1, §14.3): every fair
 * behaviour from the initial state reaches a state satisfying the predicate. The fairness is the
 * model's `fairness` declaration; a behaviour may stop (stutter forever) in a state where no fair
 * action is enabled. Checked on the whole state graph, cycles included: see src/checker/liveness.ts.
 */
export type Eventually = { readonly kind: 'eventually'; readonly name: string } & StatePredicate;

/**
 * TLA+'s `P ~> Q` (leads to, `[](P => <>Q)`): from every reachable state satisfying `p`, every
 * fair continuation reaches a state satisfying `q` (a state satisfying both already does).
 */
export interface LeadsTo {
  readonly kind: 'leadsTo';
  readonly name: string;
  readonly p: StatePredicate;
  readonly q: StatePredicate;
}

/** The properties judged on the state graph under the model's fairness, not state by state. */
export type Liveness = Eventually | LeadsTo;

export type Property = Invariant | Reachability | Quiescence | Refinement<any> | Liveness;

/** Whether a property is a liveness property (checked on the state graph after exploration). */
export const isLiveness = (property: Property): property is Liveness => property.kind === 'eventually' || property.kind === 'leadsTo';

/** `always(name, state => ...)`, or `always(name, abstraction, abstract => ...)`. */
export function always(name: string, holds: (state: GlobalView) => boolean): Invariant;
export function always<A extends Json>(name: string, over: Abstraction<A>, holds: (abstract: A) => boolean): Invariant;
export function always(name: string, ...rest: unknown[]): Invariant {
  return { kind: 'always', name, ...predicate(rest) };
}

/** `sometimes(name, state => ...)`, or `sometimes(name, abstraction, abstract => ...)`. */
export function sometimes(name: string, holds: (state: GlobalView) => boolean): Reachability;
export function sometimes<A extends Json>(name: string, over: Abstraction<A>, holds: (abstract: A) => boolean): Reachability;
export function sometimes(name: string, ...rest: unknown[]): Reachability {
  return { kind: 'sometimes', name, ...predicate(rest) };
}

/** `whenQuiescent(name, state => ...)`, or `whenQuiescent(name, abstraction, abstract => ...)`. */
export function whenQuiescent(name: string, holds: (state: GlobalView) => boolean): Quiescence;
export function whenQuiescent<A extends Json>(name: string, over: Abstraction<A>, holds: (abstract: A) => boolean): Quiescence;
export function whenQuiescent(name: string, ...rest: unknown[]): Quiescence {
  return { kind: 'quiescent', name, ...predicate(rest) };
}

/** `eventually(name, state => ...)`, or `eventually(name, abstraction, abstract => ...)`: `<>P`. */
export function eventually(name: string, holds: (state: GlobalView) => boolean): Eventually;
export function eventually<A extends Json>(name: string, over: Abstraction<A>, holds: (abstract: A) => boolean): Eventually;
export function eventually(name: string, ...rest: unknown[]): Eventually {
  return { kind: 'eventually', name, ...predicate(rest) };
}

/**
 * `leadsTo(name, p, q)`: `P ~> Q`. Each of `p` and `q` is a predicate on the state
 * (`state => ...`), or, with an abstraction first, two predicates on the abstract state:
 * `leadsTo(name, abstraction, abstract => p, abstract => q)`.
 */
export function leadsTo(name: string, p: (state: GlobalView) => boolean, q: (state: GlobalView) => boolean): LeadsTo;
export function leadsTo<A extends Json>(name: string, over: Abstraction<A>, p: (abstract: A) => boolean, q: (abstract: A) => boolean): LeadsTo;
export function leadsTo(name: string, ...rest: unknown[]): LeadsTo {
  if (rest.length === 2) return { kind: 'leadsTo', name, p: predicate([rest[0]]), q: predicate([rest[1]]) };
  return { kind: 'leadsTo', name, p: predicate([rest[0], rest[1]]), q: predicate([rest[0], rest[2]]) };
}

export const refines = <A extends Json>(refinement: Omit<Refinement<A>, 'kind'>): Refinement<A> => ({
  kind: 'refines',
  ...refinement,
});

function predicate(rest: unknown[]): StatePredicate {
  return rest.length === 1
    ? { over: 'state', holds: rest[0] as (state: GlobalView) => boolean }
    : { over: rest[0] as Abstraction, holds: rest[1] as (abstract: Json) => boolean };
}
