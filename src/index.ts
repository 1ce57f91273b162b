/**
 * The package's main entry (`import … from 'unanimous'`): what a model file or a test of one's own
 * needs — defineModel and the model types, the properties (always, sometimes, refines, …), and
 * the checker and simulator as functions returning the results the CLI prints.
 *
 * Every name is listed, not re-exported wholesale from the checker's surface, so that what the
 * package promises grows only on purpose (test/package/public-api.test.ts holds the list).
 */
export { check, defineModel, judge, ModelError, passes, reasonOf, simulate } from './checker/index.ts';
export type { CheckOptions, CheckResult, LivenessStatistics, Progress, Violation } from './checker/index.ts';
export type { Envelope, GlobalView, NodeView } from './checker/index.ts';
export type { ExpectedResult, FaultBudgets, Model, ModelFile, NetworkSemantics, NodeDefinition, ParameterDefinition, Parameters } from './checker/index.ts';
export { abstraction, always, eventually, history, isLiveness, leadsTo, refines, sometimes, whenQuiescent } from './checker/index.ts';
export type { Abstraction, Eventually, History, Invariant, LeadsTo, Liveness, Property, Quiescence, Reachability, Refinement, StatePredicate } from './checker/index.ts';
export type { Fairness, FairnessClause, FairnessEntry, FairFamily } from './checker/index.ts';
export type { Trace, TraceAction, TraceNode, TraceState, TraceStep } from './checker/index.ts';
export type { JudgedResult, Judgement, JudgementOptions } from './checker/index.ts';
export type { SimulateOptions, SimulationProgress, SimulationResult, SimulationViolation } from './checker/index.ts';
/** The node contract a protocol machine of one's own follows (see src/node): effects, durable state, input. */
export { persist, reply, send } from './node/index.ts';
export type { Delivered, DurableChange, DurableState, Effect, Json, Message, NodeInput, PersistEffect, ReplyEffect, SendEffect } from './node/index.ts';
