export * from './backup-order.ts';
export * from './broken.ts';
export * from './coordinator.ts';
export * from './messages.ts';
export * from './participant.ts';
export * from './termination-rule.ts';
