/**
 * The checker layer's surface for the rest of the repository: the CLI, the inspector (which steps
 * a model's composed system in the explorer) and the models import it from here, never a file of
 * this folder directly. The package's main entry (src/index.ts) re-exports a chosen part of it.
 */
export * from './explore.ts';
export * from './global-view.ts';
export * from './model.ts';
export * from './properties.ts';
export { ModelError } from './model-error.ts';
export type { Fairness, FairnessClause, FairnessEntry, FairFamily } from './fairness.ts';
export { traceFromStates, type Trace, type TraceAction, type TraceNode, type TraceState, type TraceStep } from './trace.ts';
export * from './judgement.ts';
export { checkParallel } from './parallel-explore.ts';
export type { ModelSource } from './model-source.ts';
export { simulate, type SimulateOptions, type SimulationProgress, type SimulationResult, type SimulationViolation } from './simulate.ts';
export { replayRecordedSteps, type RecordedRun, type RecordedStepProblem } from './recorded-steps.ts';
export type { SuccessorSink } from './actions.ts';
export { ComposedSystem } from './system.ts';
export { sleepSetsOffBecause } from './sleep-sets.ts';
