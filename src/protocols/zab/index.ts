export * from './broken.ts';
export * from './messages.ts';
export * from './peer.ts';
