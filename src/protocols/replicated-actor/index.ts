export * from './consensus.ts';
export * from './directory.ts';
export * from './hosted-machine.ts';
export * from './outbox.ts';
export * from './replicated.ts';
export * from './abstract-replica.ts';
export * from './broken.ts';
export * from './multi-paxos-consensus.ts';
