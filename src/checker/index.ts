export * from './explore.ts';
export * from './global-view.ts';
export * from './model.ts';
export * from './properties.ts';
export { ModelError } from './model-error.ts';
export type { Fairness, FairnessClause, FairnessEntry, FairFamily } from './fairness.ts';
export type { Trace, TraceAction, TraceNode, TraceState, TraceStep } from './trace.ts';
export * from './judgement.ts';
