import { assign, emit, enqueueActions, setup, type AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { Stepper, type Effect, type NodeInput } from '../../src/node/index.ts';

type PingerEvent =
  | { readonly type: 'Go' }
  | { readonly type: 'Stop' }
  | { readonly type: 'Restart' }
  | { readonly type: 'Ping'; readonly from: string }
  | { readonly type: 'Bad' }
  | { readonly type: 'BadSend' };

/**
 * A small node machine: `Go` enters `waiting`, whose entry persists, sends to every peer and
 * replies; `waiting` arms two named timers. `Restart` re-enters `waiting`; `Stop` leaves it.
 */
const pinger = setup({
  types: {
    context: {} as { readonly peers: readonly string[]; readonly pings: number; readonly round: number },
    events: {} as PingerEvent,
    input: {} as NodeInput,
    emitted: {} as Effect,
  },
  delays: { retryTimeout: 100, electionTimeout: 300 },
  actions: {
    announce: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'persist', set: { round: context.round } });
      for (const peer of context.peers) enqueue.emit({ type: 'send', to: peer, message: { type: 'Hello', round: context.round } });
      enqueue.emit({ type: 'reply', client: 'c1', requestId: context.round, result: 'ok' });
    }),
    nextRound: assign({ round: ({ context }) => context.round + 1 }),
  },
}).createMachine({
  id: 'pinger',
  context: ({ input }) => ({ peers: input.peers, pings: 0, round: 0 }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        Go: { target: 'waiting', actions: 'nextRound' },
        // Emits a valid send and then something that is not an effect.
        Bad: { actions: [emit({ type: 'send', to: 'b', message: { type: 'Hello' } }), emit({ type: 'log' } as never)] },
        BadSend: { actions: emit({ type: 'send', message: { type: 'Hello' } } as never) },
      },
    },
    waiting: {
      entry: 'announce',
      after: {
        retryTimeout: { target: 'waiting', reenter: true, actions: 'nextRound' },
        electionTimeout: 'idle',
      },
      on: {
        Stop: 'idle',
        Restart: { target: 'waiting', reenter: true, actions: 'nextRound' },
        Ping: { actions: assign({ pings: ({ context }) => context.pings + 1 }) },
      },
    },
  },
});

const RETRY = 'xstate.after.retryTimeout.pinger.waiting';
const ELECTION = 'xstate.after.electionTimeout.pinger.waiting';
const input: NodeInput = { id: 'a', peers: ['b', 'c'], durable: {}, config: {} };

const announcements = (round: number): Effect[] => [
  { type: 'persist', set: { round } },
  { type: 'send', to: 'b', message: { type: 'Hello', round } },
  { type: 'send', to: 'c', message: { type: 'Hello', round } },
  { type: 'reply', client: 'c1', requestId: round, result: 'ok' },
];

function waiting(stepper: Stepper): AnyMachineSnapshot {
  return stepper.step(stepper.start(input).snapshot, { type: 'Go' }).snapshot;
}

describe('Stepper', () => {
  describe('start', () => {
    it('boots the machine from its input into the initial state, with nothing to do', () => {
      const result = new Stepper(pinger).start(input);
      expect(result.snapshot.value).toBe('idle');
      expect(result.snapshot.context).toEqual({ peers: ['b', 'c'], pings: 0, round: 0 });
      expect(result.effects).toEqual([]);
      expect(result.armed).toEqual([]);
      expect(result.cancelled).toEqual([]);
    });

    it('runs the entry actions of the initial state: its effects and timers come out of start', () => {
      const booting = setup({
        types: { input: {} as NodeInput, emitted: {} as Effect },
        delays: { voteTimeout: 50 },
      }).createMachine({
        id: 'boot',
        initial: 'collecting',
        states: {
          collecting: {
            entry: emit({ type: 'persist', set: { begun: true } }),
            after: { voteTimeout: 'done' },
          },
          done: {},
        },
      });
      const result = new Stepper(booting).start(input);
      expect(result.effects).toEqual([{ type: 'persist', set: { begun: true } }]);
      expect(result.armed).toEqual(['xstate.after.voteTimeout.boot.collecting']);
      expect(result.cancelled).toEqual([]);
    });

    it('throws when the context factory throws, with the cause attached', () => {
      const failing = setup({ types: { input: {} as NodeInput } }).createMachine({
        id: 'failing',
        context: () => {
          throw new Error('corrupt durable image');
        },
      });
      const stepper = new Stepper(failing);
      expect(() => stepper.start(input)).toThrow(/failing: the machine failed: .*corrupt durable image/);
      try {
        stepper.start(input);
      } catch (error) {
        expect((error as Error).cause).toBeInstanceOf(Error);
        expect(((error as Error).cause as Error).message).toBe('corrupt durable image');
      }
      expect.assertions(3);
    });
  });

  describe('effects', () => {
    it('returns emitted send, persist and reply effects in emission order', () => {
      const stepper = new Stepper(pinger);
      const result = stepper.step(stepper.start(input).snapshot, { type: 'Go' });
      expect(result.snapshot.value).toBe('waiting');
      expect(result.effects).toEqual(announcements(1));
    });

    it('returns no effects for a step that emits nothing', () => {
      const stepper = new Stepper(pinger);
      const result = stepper.step(waiting(stepper), { type: 'Ping', from: 'b' });
      expect(result.effects).toEqual([]);
      expect(result.snapshot.context.pings).toBe(1);
    });

    it('throws a clear error when the machine emits something that is not an effect', () => {
      const stepper = new Stepper(pinger);
      const idle = stepper.start(input).snapshot;
      expect(() => stepper.step(idle, { type: 'Bad' })).toThrow(/pinger: emitted "log"; a node machine emits only send, persist and reply/);
    });

    it('throws when an action throws, instead of returning a snapshot', () => {
      const throwing = setup({ types: { input: {} as NodeInput } }).createMachine({
        id: 'throwing',
        initial: 'a',
        states: { a: { on: { X: { target: 'b', actions: () => { throw new Error('boom'); } } } }, b: {} },
      });
      const stepper = new Stepper(throwing);
      expect(() => stepper.step(stepper.start(input).snapshot, { type: 'X' })).toThrow(/boom/);
    });

    it('throws when a send effect has no peer to send to', () => {
      const stepper = new Stepper(pinger);
      const idle = stepper.start(input).snapshot;
      expect(() => stepper.step(idle, { type: 'BadSend' })).toThrow(/a send effect needs a peer id/);
    });
  });

  describe('timers', () => {
    it('arms the named after-timers of a state it enters', () => {
      const stepper = new Stepper(pinger);
      const result = stepper.step(stepper.start(input).snapshot, { type: 'Go' });
      expect([...result.armed].sort()).toEqual([ELECTION, RETRY]);
      expect(result.cancelled).toEqual([]);
    });

    it('cancels the timers of a state it leaves', () => {
      const stepper = new Stepper(pinger);
      const result = stepper.step(waiting(stepper), { type: 'Stop' });
      expect(result.snapshot.value).toBe('idle');
      expect([...result.cancelled].sort()).toEqual([ELECTION, RETRY]);
      expect(result.armed).toEqual([]);
      expect(result.effects).toEqual([]);
    });

    it('reports a re-entered state’s timers as both cancelled and armed (restarted), and reruns its entry', () => {
      const stepper = new Stepper(pinger);
      const result = stepper.step(waiting(stepper), { type: 'Restart' });
      expect(result.snapshot.value).toBe('waiting');
      expect([...result.cancelled].sort()).toEqual([ELECTION, RETRY]);
      expect([...result.armed].sort()).toEqual([ELECTION, RETRY]);
      expect(result.effects).toEqual(announcements(2));
    });

    it('leaves timers alone on a targetless transition', () => {
      const stepper = new Stepper(pinger);
      const result = stepper.step(waiting(stepper), { type: 'Ping', from: 'c' });
      expect(result.armed).toEqual([]);
      expect(result.cancelled).toEqual([]);
    });

    it('delivers a fired timer as its xstate.after event', () => {
      const stepper = new Stepper(pinger);
      const retried = stepper.step(waiting(stepper), { type: RETRY });
      expect(retried.snapshot.value).toBe('waiting');
      expect(retried.snapshot.context.round).toBe(2);
      expect(retried.effects).toEqual(announcements(2));
      expect([...retried.armed].sort()).toEqual([ELECTION, RETRY]);

      const expired = stepper.step(retried.snapshot, { type: ELECTION });
      expect(expired.snapshot.value).toBe('idle');
      expect([...expired.cancelled].sort()).toEqual([ELECTION, RETRY]);
      expect(expired.armed).toEqual([]);
    });

    it('reports a timer armed and cancelled within one step as cancelled only', () => {
      const transient = setup({ types: { input: {} as NodeInput, emitted: {} as Effect }, delays: { retryTimeout: 10 } }).createMachine({
        id: 'transient',
        initial: 'a',
        states: {
          a: { on: { Go: 'passing' } },
          passing: { after: { retryTimeout: 'a' }, always: 'b' },
          b: {},
        },
      });
      const stepper = new Stepper(transient);
      const result = stepper.step(stepper.start(input).snapshot, { type: 'Go' });
      expect(result.snapshot.value).toBe('b');
      expect(result.armed).toEqual([]);
      expect(result.cancelled).toEqual(['xstate.after.retryTimeout.transient.passing']);
    });
  });

  describe('reuse', () => {
    it('never leaks effects or timers from one step into the next', () => {
      const stepper = new Stepper(pinger);
      const first = stepper.step(stepper.start(input).snapshot, { type: 'Go' });
      const second = stepper.step(first.snapshot, { type: 'Ping', from: 'b' });
      expect(second.effects).toEqual([]);
      expect(second.armed).toEqual([]);
      expect(second.cancelled).toEqual([]);
      // The first result is not changed by the later step.
      expect(first.effects).toEqual(announcements(1));
      expect([...first.armed].sort()).toEqual([ELECTION, RETRY]);
    });

    it('does not leak effects of a step that threw into the next step', () => {
      const stepper = new Stepper(pinger);
      const idle = stepper.start(input).snapshot;
      expect(() => stepper.step(idle, { type: 'Bad' })).toThrow();
      const next = stepper.step(idle, { type: 'Go' });
      expect(next.effects).toEqual(announcements(1));
    });

    it('steps any stored snapshot again with the same result, as the checker does when it branches', () => {
      const stepper = new Stepper(pinger);
      const idle = stepper.start(input).snapshot;
      const inWaiting = stepper.step(idle, { type: 'Go' }).snapshot;
      const events: PingerEvent[] = [{ type: 'Restart' }, { type: 'Ping', from: 'b' }, { type: 'Stop' }];
      const once = events.map((event) => stepper.step(inWaiting, event));
      for (let round = 0; round < 50; round++) {
        for (const [i, event] of events.entries()) {
          const again = stepper.step(inWaiting, event);
          expect(again.snapshot.value).toEqual(once[i]!.snapshot.value);
          expect(again.snapshot.context).toEqual(once[i]!.snapshot.context);
          expect(again.effects).toEqual(once[i]!.effects);
          expect(again.armed).toEqual(once[i]!.armed);
          expect(again.cancelled).toEqual(once[i]!.cancelled);
        }
      }
      // The stored snapshots themselves were not changed by stepping from them.
      expect(idle.value).toBe('idle');
      expect(inWaiting.value).toBe('waiting');
      expect(inWaiting.context).toEqual({ peers: ['b', 'c'], pings: 0, round: 1 });
    });

    it('runs a long chain of steps with only that step’s effects each time', () => {
      const stepper = new Stepper(pinger);
      let snapshot = waiting(stepper);
      for (let round = 2; round <= 200; round++) {
        const result = stepper.step(snapshot, round % 2 === 0 ? { type: 'Restart' } : { type: RETRY });
        expect(result.effects).toEqual(announcements(round));
        snapshot = result.snapshot;
      }
      expect(snapshot.context.round).toBe(200);
    });
  });
});
