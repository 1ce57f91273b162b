import { acceptor } from './acceptor.ts';

/**
 * A deliberately broken acceptor, kept so tests can show the checker catches it: it does not
 * persist its promise. After a crash it has forgotten the ballot it promised, votes in a lower
 * one, and a second value can be chosen. Never deploy it.
 */
export const acceptorForgetsPromise = acceptor.provide({
  actions: { persistPromise: () => {} },
});
