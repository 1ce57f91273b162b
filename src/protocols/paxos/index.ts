export * from './acceptor.ts';
export * from './broken.ts';
export * from './learner.ts';
export * from './messages.ts';
export * from './proposer.ts';
export * from './voting-rule.ts';
