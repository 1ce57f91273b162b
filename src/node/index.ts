export * from './contract.ts';
export * from './durable.ts';
export * from './effects.ts';
export * from './json.ts';
export * from './parse-step-records.ts';
export * from './step.ts';
export * from './step-record.ts';
