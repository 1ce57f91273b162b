/**
 * History checkers for Jepsen-style tests: the history model (history.ts), a linearizability
 * checker with the register model (linearizability.ts), the bank checker (bank.ts) and Elle's
 * list-append serializability checker (list-append.ts), each with a `describe…` function that
 * prints its result. Pure TypeScript: no I/O, no imports from the rest of the project.
 */
export * from './history.ts';
export * from './linearizability.ts';
export * from './bank.ts';
export * from './list-append.ts';
