export * from './broken.ts';
export * from './messages.ts';
export * from './resource-manager.ts';
export * from './transaction-manager.ts';
