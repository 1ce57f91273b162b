import { assign, emit, enqueueActions, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { DurableChange, Effect, Message, NodeInput } from '../../src/node/index.ts';
import { persist, send } from '../../src/node/index.ts';
import { ManualClock } from '../../src/runtime/manual-clock.ts';
import { NodeHost, RequestFailedError } from '../../src/runtime/node-host.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import type { StepRecord } from '../../src/runtime/step-trace.ts';
import { MemoryStore } from '../../src/runtime/storage/memory-store.ts';
import type { MessageHandler, Transport } from '../../src/runtime/transport/transport.ts';
import { recordingLogger, turn } from './helpers.ts';

type RecorderEvent =
  | { readonly type: 'Write'; readonly value: string; readonly client: string; readonly requestId: number }
  | { readonly type: 'Ping'; readonly from: string }
  | { readonly type: 'Boom' }
  | { readonly type: 'Remind'; readonly value: string }
  | { readonly type: 'Reminder'; readonly value: string; readonly from: string }
  | { readonly type: 'StartTicking' };

/**
 * A small node machine: `Write` appends a value to the durable log, tells the peer, and answers the
 * client; `Ping` is answered with `Pong`; `Boom` throws; in `ticking` a `tick` timer re-arms itself;
 * `Remind` sends the node itself a `Reminder`, whose value it then writes as `Write` does.
 */
const recorder = setup({
  types: {
    context: {} as { readonly self: string; readonly peer: string; readonly log: readonly string[]; readonly ticks: number },
    events: {} as RecorderEvent,
    input: {} as NodeInput,
    emitted: {} as Effect,
  },
  delays: { tick: 1000 },
  actions: {
    write: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Write') return;
      enqueue.assign({ log: [...context.log, event.value] });
      enqueue.emit(persist({ append: { log: [event.value] } }));
      enqueue.emit(send(context.peer, { type: 'Written', value: event.value }));
      enqueue.emit({ type: 'reply', client: event.client, requestId: event.requestId, result: context.log.length + 1 });
    }),
    remind: emit(({ context, event }) => send(context.self, { type: 'Reminder', value: event.type === 'Remind' ? event.value : '' })),
    noteReminder: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'Reminder') return;
      enqueue.assign({ log: [...context.log, `${event.from}:${event.value}`] });
      enqueue.emit(persist({ append: { log: [`${event.from}:${event.value}`] } }));
    }),
    pong: emit(({ event }) => send(event.type === 'Ping' ? event.from : '', { type: 'Pong' })),
    boom: () => {
      throw new Error('boom');
    },
  },
}).createMachine({
  id: 'recorder',
  context: ({ input }) => ({ self: input.id, peer: input.peers[0]!, log: (input.durable.log as string[] | undefined) ?? [], ticks: 0 }),
  initial: 'idle',
  on: { Write: { actions: 'write' }, Ping: { actions: 'pong' }, Boom: { actions: 'boom' }, Remind: { actions: 'remind' }, Reminder: { actions: 'noteReminder' } },
  states: {
    idle: { on: { StartTicking: 'ticking' } },
    ticking: {
      after: { tick: { target: 'ticking', reenter: true, actions: assign({ ticks: ({ context }) => context.ticks + 1 }) } },
      on: { StartTicking: 'idle' },
    },
  },
});

/** A transport that records what the host releases and lets the test play a peer. */
class LoopbackTransport implements Transport {
  readonly sent: { to: string; message: Message; durableLog: unknown }[] = [];
  handler: MessageHandler | undefined;
  closed = false;
  constructor(private readonly store: MemoryStore) {}
  send(to: string, message: Message): void {
    // What was durable when the message left: persist-before-send says the written value is in it.
    this.sent.push({ to, message, durableLog: this.store.reopen().load().log });
  }
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function hostOf(store = new MemoryStore(), options: { clock?: ManualClock; trace?: (record: StepRecord) => void } = {}) {
  const transport = new LoopbackTransport(store);
  const logger = recordingLogger();
  const host = new NodeHost({
    machine: recorder,
    id: 'a',
    peers: ['b'],
    config: {},
    store,
    transport,
    timers: { tick: { min: 100, max: 200 } },
    logger,
    clientId: 'test-client',
    random: seededRandom(1),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    statusOf: (context: { log: string[]; ticks: number }) => ({ logLength: context.log.length, ticks: context.ticks }),
  });
  return { host, store, transport, logger };
}

describe('NodeHost', () => {
  it('commits a whole batch of steps in one store commit, and releases its messages and replies only after it', async () => {
    const { host, store, transport } = hostOf();
    host.start();
    const replies = Array.from({ length: 50 }, (_, i) => host.submit({ type: 'Write', value: `v${i}` }));
    // Nothing leaves before the commit.
    expect(transport.sent).toEqual([]);
    expect(store.commits).toBe(0);
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(store.commits).toBe(1);
    expect(store.load().log).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(transport.sent.map((s) => s.message)).toEqual(Array.from({ length: 50 }, (_, i) => ({ type: 'Written', value: `v${i}` })));
    // Every message left with its value already durable.
    for (const sent of transport.sent) expect(sent.durableLog).toContain(sent.message.value);
    expect(host.status()).toMatchObject({ phase: 'running', state: 'idle', steps: 50, commits: 1, details: { logLength: 50, ticks: 0 } });
    await host.stop();
  });

  it('delivers what the machine sends itself through its own queue, on a later turn, and never takes that sender from the network', async () => {
    const { host, store, transport, logger } = hostOf();
    host.start();
    host.inject({ type: 'Remind', value: 'x' });
    expect(host.context).toMatchObject({ log: [] }); // not within the step that sent it
    await turn(); // the Remind step's batch is released: the Reminder is queued
    await turn(); // the Reminder is stepped
    expect(host.context).toMatchObject({ log: ['a:x'] });
    await turn(); // its batch is committed
    expect(store.reopen().load().log).toEqual(['a:x']);
    expect(transport.sent).toEqual([]); // it never reached the transport
    // A peer's message claiming to come from the node itself is dropped.
    transport.handler!('a', { type: 'Reminder', value: 'forged' });
    await turn();
    expect(host.context).toMatchObject({ log: ['a:x'] });
    expect(host.status().droppedEvents).toBe(1);
    expect(logger.records.some((record) => record.message.includes('not a peer'))).toBe(true);
    await host.stop();
  });

  it('keeps batches in order: what arrives during one commit goes into the next', async () => {
    const { host, store, transport } = hostOf();
    host.start();
    const first = host.submit({ type: 'Write', value: 'x' });
    await turn();
    const second = host.submit({ type: 'Write', value: 'y' });
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(store.commits).toBe(2);
    expect(transport.sent.map((s) => s.message.value)).toEqual(['x', 'y']);
    await host.stop();
  });

  it('restarts from its durable image, losing only the batch a crash cut off', async () => {
    const { host, store } = hostOf();
    host.start();
    await host.submit({ type: 'Write', value: 'kept' });
    const lost = host.submit({ type: 'Write', value: 'lost' });
    await host.crash();
    await expect(lost).rejects.toThrow(RequestFailedError);
    const restarted = hostOf(store.reopen()).host;
    restarted.start();
    expect(restarted.context).toMatchObject({ log: ['kept'] });
    await restarted.stop();
  });

  it('logs and drops an event the machine throws on, and keeps serving', async () => {
    const { host, logger } = hostOf();
    host.start();
    await expect(host.submit({ type: 'Boom' })).rejects.toThrow(/Boom refused: .*boom/);
    host.inject({ type: 'Boom' });
    expect(logger.records.filter((r) => r.message.includes('threw'))).toHaveLength(2);
    expect(await host.submit({ type: 'Write', value: 'after' })).toBe(1);
    expect(host.status().droppedEvents).toBe(2);
    await host.stop();
  });

  it('answers peers through the transport, naming the sender by the transport, and refuses non-peers and reserved event types', async () => {
    const clock = new ManualClock();
    const { host, transport, logger } = hostOf(new MemoryStore(), { clock });
    host.start();
    host.inject({ type: 'StartTicking' });
    transport.handler!('b', { type: 'Ping', from: 'mallory' });
    transport.handler!('mallory', { type: 'Ping' });
    // A peer must not be able to fire our timers.
    transport.handler!('b', { type: 'xstate.after.tick.recorder.ticking' });
    await turn();
    expect(transport.sent.map((s) => [s.to, s.message])).toEqual([['b', { type: 'Pong' }]]);
    expect(logger.records.map((r) => r.message)).toEqual([
      'message from a node that is not a peer: dropped',
      'message with a reserved or missing type: dropped',
    ]);
    expect((host.context as { ticks: number }).ticks).toBe(0);
    await host.stop();
  });

  it('fires named timers after a duration drawn from the policy, re-arms them, and disarms them when their state is left', async () => {
    const clock = new ManualClock();
    const { host } = hostOf(new MemoryStore(), { clock });
    host.start();
    host.inject({ type: 'StartTicking' });
    const ticks = () => (host.context as { ticks: number }).ticks;
    clock.advance(99);
    expect(ticks()).toBe(0);
    clock.advance(101); // 200 ms: the first tick (100..200) is due
    expect(ticks()).toBe(1);
    clock.advance(1000); // at least 5 more, at most 10
    expect(ticks()).toBeGreaterThanOrEqual(6);
    expect(ticks()).toBeLessThanOrEqual(11);
    host.inject({ type: 'StartTicking' }); // back to idle: the timer is cancelled
    const before = ticks();
    clock.advance(5000);
    expect(ticks()).toBe(before);
    expect(clock.pendingTimers).toBe(0);
    await host.stop();
  });

  it('fails stop when a commit fails: nothing of the batch leaves, waiting clients are told, the transport is closed', async () => {
    const store = new MemoryStore();
    store.commit = (_changes: readonly DurableChange[]) => {
      throw new Error('disk full');
    };
    const { host, transport, logger } = hostOf(store);
    host.start();
    await expect(host.submit({ type: 'Write', value: 'x' })).rejects.toThrow(/the store failed: disk full/);
    expect(transport.sent).toEqual([]);
    expect(transport.closed).toBe(true);
    expect(host.status().phase).toBe('failed');
    expect(logger.records.some((r) => r.level === 'error' && r.message.includes('failed to commit'))).toBe(true);
    await expect(host.submit({ type: 'Write', value: 'y' })).rejects.toThrow(/not running \(failed\)/);
    await host.stop();
    expect(host.status().phase).toBe('failed');
  });

  it('times a request out when no reply comes', async () => {
    const clock = new ManualClock();
    const { host } = hostOf(new MemoryStore(), { clock });
    host.start();
    const reply = host.submit({ type: 'StartTicking' }, { timeoutMs: 500 });
    clock.advance(500);
    await expect(reply).rejects.toThrow(/no reply to StartTicking #1 within 500 ms/);
    await host.stop();
  });

  it('refuses a timer policy that misses a named delay or gives a bad duration', () => {
    const store = new MemoryStore();
    const base = { machine: recorder, id: 'a', peers: ['b'], config: {}, store, transport: new LoopbackTransport(store) };
    expect(() => new NodeHost({ ...base, timers: {} })).toThrow('timer policy for recorder: no duration for tick (named delays: tick)');
    expect(() => new NodeHost({ ...base, timers: { tick: { min: 10, max: 5 } } })).toThrow(/tick must be a duration/);
  });

  it('records every step for the trace: the start with its durable image, then event, state before and after, effects', async () => {
    const records: StepRecord[] = [];
    const store = new MemoryStore();
    store.commit([{ append: { log: ['old'] } }]);
    const { host } = hostOf(store, { trace: (record) => records.push(record) });
    host.start();
    await host.submit({ type: 'Write', value: 'new' });
    expect(records).toEqual([
      { kind: 'start', node: 'a', seq: 0, durable: { log: ['old'] }, after: 'idle', effects: [] },
      {
        kind: 'step',
        node: 'a',
        seq: 1,
        event: { type: 'Write', value: 'new', client: 'test-client', requestId: 1 },
        before: 'idle',
        after: 'idle',
        effects: [
          { type: 'persist', append: { log: ['new'] } },
          { type: 'send', to: 'b', message: { type: 'Written', value: 'new' } },
          { type: 'reply', client: 'test-client', requestId: 1, result: 2 },
        ],
      },
    ]);
    await host.stop();
  });
});
