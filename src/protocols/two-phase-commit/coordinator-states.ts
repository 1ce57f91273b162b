import type { Decision } from './messages.ts';

/** A sorted set of node ids with `id` in it (machines keep id sets as sorted arrays). */
export const withMember = (members: readonly string[], id: string): readonly string[] =>
  members.includes(id) ? members : [...members, id].sort();

/**
 * A coordinator restarting from its durable image: a recorded decision is resumed, one that began
 * but did not decide aborts (presumed abort: no participant can have been told to commit), a fresh
 * one collects votes. The machine defines the guards `committedBeforeCrash`, `abortedBeforeCrash`,
 * `crashedUndecided` and the action `forgetBootImage`.
 */
export const bootingState = {
  exit: 'forgetBootImage',
  always: [
    { guard: 'committedBeforeCrash', target: 'committed' },
    { guard: 'abortedBeforeCrash', target: 'aborted' },
    { guard: 'crashedUndecided', target: 'aborted' },
    { target: 'collecting' },
  ],
} as const;

/**
 * A decided coordinator, for the TM of 2PC and for the per-transaction coordinator: persist the
 * decision (entry action `persistDecision`), announce it (`sendDecision`), and — when the
 * `retransmits` guard holds — resend it on `retryTimeout` to those that have not acknowledged it
 * (`recordAck`, `allAcknowledged`). The machine using it defines those named actions and guards.
 */
export const decidedState = (decision: Decision, message: 'Commit' | 'Abort') =>
  ({
    entry: { type: 'persistDecision', params: { decision } },
    initial: 'announcing',
    states: {
      announcing: {
        entry: { type: 'sendDecision', params: { message } },
        always: [{ guard: 'retransmits', target: 'awaitingAcks' }, { target: 'announced' }],
      },
      awaitingAcks: {
        on: { Ack: { actions: 'recordAck' } },
        always: { guard: 'allAcknowledged', target: 'announced' },
        after: { retryTimeout: 'announcing' },
      },
      announced: {},
    },
  }) as const;
