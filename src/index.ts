/**
 * The package's main entry (`import … from 'unanimous'`): what a model file or a test of one's own
 * needs — defineModel and the model types, the properties (always, sometimes, refines, …), and
 * the checker and simulator as functions returning the results the CLI prints.
 */
export * from './checker/index.ts';
export { simulate, type SimulateOptions, type SimulationProgress, type SimulationResult, type SimulationViolation } from './checker/simulate.ts';
/** The node contract a protocol machine of one's own follows (see src/node): effects, durable state, input. */
export { persist, reply, send } from './node/index.ts';
export type { Delivered, DurableChange, DurableState, Effect, Json, Message, NodeInput, PersistEffect, ReplyEffect, SendEffect } from './node/index.ts';
