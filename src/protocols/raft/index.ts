export * from './broken.ts';
export * from './messages.ts';
export * from './server.ts';
