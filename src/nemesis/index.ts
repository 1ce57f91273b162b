/**
 * The nemesis layer's surface (the CLI's `unanimous nemesis` imports it from here): a seeded run of
 * faults against a local cluster under a workload, and its report.
 */
export { formatReport, type NemesisReport, passed } from './report.ts';
export { type NemesisRunOptions, runNemesis } from './run.ts';
export { FAULT_KINDS, type FaultKind } from './schedule.ts';
export { WORKLOAD_NAMES, type WorkloadName } from './workloads/workload.ts';
