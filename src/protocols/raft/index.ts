export * from './broken.ts';
export * from './log.ts';
export * from './messages.ts';
export * from './server.ts';
export * from './message-schema.ts';
