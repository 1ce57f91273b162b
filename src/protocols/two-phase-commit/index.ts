export * from './broken.ts';
export * from './messages.ts';
export * from './resource-manager.ts';
export * from './transaction-manager.ts';
export * from './participant.ts';
export * from './prepare-plan.ts';
export * from './transaction-coordinator.ts';
export * from './transaction-messages.ts';
