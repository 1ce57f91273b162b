export * from './acceptor.ts';
export * from './broken.ts';
export * from './leader.ts';
export * from './messages.ts';
export * from './phase2a-value.ts';
export * from './resource-manager.ts';
