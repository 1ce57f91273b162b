export * from './explore.ts';
export * from './model.ts';
export * from './properties.ts';
export { ModelError } from './system.ts';
export type { Trace, TraceAction, TraceNode, TraceState, TraceStep } from './trace.ts';
