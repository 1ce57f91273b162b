import { randomUUID } from 'node:crypto';
import { match } from 'ts-pattern';
import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { DurableChange, Effect, Json, Message, NodeMachine, ReplyEffect, SendEffect } from '../node/index.ts';
import { Stepper, timerDelayName } from '../node/index.ts';
import { type Clock, type TimerHandle, systemClock } from './clock.ts';
import { type Logger, stderrLogger } from './logger.ts';
import type { StepTraceSink } from './step-trace.ts';
import { CommitGroup, type GroupMember } from './commit-group.ts';
import type { DurableStore } from './storage/durable-store.ts';
import { checkTimerPolicy, type TimerPolicy, timerDuration } from './timer-policy.ts';
import { isReservedEventType, type Transport } from './transport/transport.ts';

export interface NodeHostOptions<Config = unknown> {
  readonly machine: NodeMachine;
  readonly id: string;
  readonly peers: readonly string[];
  readonly config: Config;
  /** The node's durable image. The host owns it from `start` on and closes it when it stops. */
  readonly store: DurableStore;
  /** The node's link to its peers. The host owns it from `start` on and closes it when it stops. */
  readonly transport: Transport;
  /** Real durations of the machine's named delays; every named delay must have one. */
  readonly timers: TimerPolicy;
  readonly clock?: Clock;
  /** Draws for randomised timer durations (seed it for a reproducible run). */
  readonly random?: () => number;
  readonly logger?: Logger;
  /**
   * The `client` put on the requests this host submits. Replies are matched by (client,
   * requestId), and a reply may come from a later incarnation of the request's handling (a Raft
   * entry committed by the next leader), so it must not collide with another host's or another
   * run's: by default the node id and a random suffix.
   */
  readonly clientId?: string;
  /** How long `submit` waits for the machine's reply, unless the call says otherwise. */
  readonly requestTimeoutMs?: number;
  /** Picks the fields of the machine's context that `status()` shows (none by default). */
  readonly statusOf?: (context: any) => Json;
  /** Every reply the host releases, for this host's submitters or not (a service may route them on). */
  readonly onReply?: (reply: ReplyEffect) => void;
  /** Receives a record of every step (see `jsonLinesTrace`). */
  readonly trace?: StepTraceSink;
  /**
   * Called after each batch has been committed and its messages and replies released: the moment a
   * service may read the machine's context (a Raft server's commitIndex) and act on what is now
   * durable, e.g. apply newly committed entries. Not called for a batch whose commit failed.
   */
  readonly onFlushed?: () => void;
  /**
   * Commit this host's batches together with other hosts' in one transaction of a shared store
   * (`CommitGroup`); `store` must then be a namespace of that group's file. By default the host
   * is a group of its own, each batch one commit of its own store.
   */
  readonly commitGroup?: CommitGroup;
  /**
   * Which senders' messages reach the machine: by default its `peers` only. A machine whose group
   * changes membership (Raft's single-server changes) hears from servers it was not booted with,
   * so its host names them here; anything else is dropped and counted, as from a stranger.
   */
  readonly acceptFrom?: (node: string) => boolean;
}

export type HostPhase = 'new' | 'running' | 'stopped' | 'failed';

export interface HostStatus {
  readonly id: string;
  readonly phase: HostPhase;
  /** The machine's state value (`'follower'`, `{ leader: 'replicating' }`). */
  readonly state: Json;
  /** What `statusOf` picked from the context. */
  readonly details: Json;
  readonly steps: number;
  /** Store commits: with group commit, well below the number of steps that persisted something. */
  readonly commits: number;
  /** Events a machine threw on, or that arrived from a non-peer: logged and dropped. */
  readonly droppedEvents: number;
  /** Submitted requests still waiting for their reply. */
  readonly waitingRequests: number;
}

/** Thrown at a `submit` whose reply did not come (the host stopped, failed, or time ran out). */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
}

interface WaitingRequest {
  readonly resolve: (result: Json) => void;
  readonly reject: (error: Error) => void;
  readonly timeout: TimerHandle;
}

/** A batch of steps whose durable changes are not yet committed, with the outputs that wait for them. */
interface Batch {
  readonly changes: DurableChange[];
  readonly outputs: (SendEffect | ReplyEffect)[];
}

const emptyBatch = (): Batch => ({ changes: [], outputs: [] });

/**
 * Runs one protocol machine for real: events from the transport, from clients (`submit`) and from
 * timers go through the same `Stepper` the checker explores, one at a time, and the host carries
 * out the effects.
 *
 * Effects are released in the order of etcd/raft's `Ready`: a step's `persist` changes are made
 * durable before any of its messages or replies leave, since a message may reveal state (a vote, an
 * acknowledged entry) that must survive a crash — the checker finds a machine that sends before
 * persisting as a safety violation, and the host must not bring that bug back. Group commit: a step's
 * changes and outputs join the current batch; once per turn of the event loop (after the events that
 * arrived together have all been stepped) the batch's changes go to the store in ONE commit, and only
 * then are its outputs released, in order. With a synchronous store the commit blocks the loop, so
 * whatever arrives during one fsync is stepped after it and committed together in the next: the busier
 * the node, the larger the batches.
 *
 * A message the machine sends itself (a Raft leader's `WriteLog`, thesis §10.2.1) never touches
 * the network: released like any other, it comes back as an event from the node itself on a later
 * turn of the event loop. The checker delivers it as any message, at any later moment; this is
 * one of those moments. Nothing from the network claims to come from the node itself.
 *
 * Failure: a step that throws is logged and its event dropped (the machine stays in its state, as if
 * the event never came). A commit that throws stops the host ("failed"): its machine is ahead of its
 * durable image and must not speak; restart it from the store, as etcd does on a failed fsync.
 */
export class NodeHost<Config = unknown> {
  private readonly stepper: Stepper;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly clientId: string;
  private snapshot: AnyMachineSnapshot | undefined;
  private phase: HostPhase = 'new';
  /** Armed timers by their event type (`xstate.after.electionTimeout.raft.follower`). */
  private readonly armedTimers = new Map<string, TimerHandle>();
  private batch: Batch = emptyBatch();
  /** Commits the batch at the end of the event-loop turn: the host's own, or one shared with other hosts. */
  private readonly group: CommitGroup;
  private readonly waiting = new Map<string, WaitingRequest>();
  private nextRequestId = 1;
  private seq = 0;
  private steps = 0;
  private commits = 0;
  private droppedEvents = 0;

  constructor(private readonly options: NodeHostOptions<Config>) {
    checkTimerPolicy(options.timers, options.machine);
    this.stepper = new Stepper(options.machine);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? stderrLogger(options.id);
    this.clientId = options.clientId ?? `${options.id}/${randomUUID().slice(0, 8)}`;
    this.group = options.commitGroup ?? new CommitGroup((work) => work());
  }

  get id(): string {
    return this.options.id;
  }

  /** Boots the machine from the store's durable image and starts taking events. */
  start(): void {
    if (this.phase !== 'new') throw new Error(`${this.id}: a host starts once (it is ${this.phase})`);
    const { id, peers, config, store, transport } = this.options;
    const durable = store.load();
    const result = this.stepper.start({ id, peers, durable, config });
    this.phase = 'running';
    this.snapshot = result.snapshot;
    this.options.trace?.({ kind: 'start', node: id, seq: this.seq++, durable, after: result.snapshot.value as Json, effects: result.effects });
    this.take(result);
    transport.onMessage((from, message) => this.receive(from, message));
  }

  /**
   * Sends a client request into the machine and waits for its `reply` effect. The host sets the
   * request's `client` and `requestId`; the machine must copy them into its reply.
   */
  submit(event: AnyEventObject, options: { readonly timeoutMs?: number } = {}): Promise<Json> {
    if (this.phase !== 'running') return Promise.reject(new RequestFailedError(`${this.id}: not running (${this.phase})`));
    const requestId = this.nextRequestId++;
    const key = String(requestId);
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 10_000;
    const reply = new Promise<Json>((resolve, reject) => {
      const timeout = this.clock.setTimer(timeoutMs, () => {
        this.waiting.delete(key);
        reject(new RequestFailedError(`${this.id}: no reply to ${event.type} #${requestId} within ${timeoutMs} ms`));
      });
      this.waiting.set(key, { resolve, reject, timeout });
    });
    const failure = this.handle({ ...event, client: this.clientId, requestId });
    if (failure) this.settle(key, (request) => request.reject(new RequestFailedError(`${this.id}: ${event.type} refused: ${failure.message}`, { cause: failure })));
    return reply;
  }

  /** Sends an event into the machine with no reply expected (an operator's or a test's nudge). */
  inject(event: AnyEventObject): void {
    if (this.phase === 'running') this.handle(event);
  }

  status(): HostStatus {
    const snapshot = this.snapshot;
    return {
      id: this.id,
      phase: this.phase,
      state: (snapshot?.value ?? null) as Json,
      details: snapshot && this.options.statusOf ? this.options.statusOf(snapshot.context) : null,
      steps: this.steps,
      commits: this.commits,
      droppedEvents: this.droppedEvents,
      waitingRequests: this.waiting.size,
    };
  }

  /** The machine's current context, for tests and tools (read only). */
  get context(): unknown {
    return this.snapshot?.context;
  }

  /** Stops cleanly: the pending batch is committed and released, then timers, transport and store are closed. */
  async stop(): Promise<void> {
    if (this.phase === 'running') this.group.commit();
    await this.shutDown('the host stopped');
  }

  /**
   * Stops as kill -9 would: the batch not yet committed is lost with its outputs, nothing more is
   * written. A new host on the same store restarts from what was committed.
   */
  async crash(): Promise<void> {
    this.batch = emptyBatch();
    await this.shutDown('the host crashed');
  }

  private async shutDown(reason: string): Promise<void> {
    if (this.phase === 'new') this.phase = 'stopped';
    if (this.phase !== 'running') return; // a failed host let go of everything when it failed
    this.phase = 'stopped';
    this.release(reason);
    await this.options.transport.close();
  }

  /** Lets go of everything but the transport: timers, waiting clients, the store (a batch its group still holds is empty by now). */
  private release(reason: string): void {
    for (const handle of this.armedTimers.values()) this.clock.clearTimer(handle);
    this.armedTimers.clear();
    for (const key of [...this.waiting.keys()]) this.settle(key, (request) => request.reject(new RequestFailedError(`${this.id}: ${reason}`)));
    this.options.store.close();
  }

  private receive(from: string, message: Message): void {
    if (this.phase !== 'running') return;
    // What the node sends itself goes through its own queue (`sendOut`), never the network.
    if (from === this.id || !(this.options.acceptFrom ? this.options.acceptFrom(from) : this.options.peers.includes(from))) {
      this.droppedEvents++;
      this.logger.warn('message from a node that is not a peer: dropped', { from, type: message.type });
      return;
    }
    if (typeof message.type !== 'string' || isReservedEventType(message.type)) {
      this.droppedEvents++;
      this.logger.warn('message with a reserved or missing type: dropped', { from, type: message.type });
      return;
    }
    // `from` is the transport's word for the sender, never the message's own claim.
    this.handle({ ...message, from });
  }

  private fire(timer: string): void {
    this.armedTimers.delete(timer);
    if (this.phase === 'running') this.handle({ type: timer });
  }

  /** Steps one event. Returns the error if the machine threw (the event is then dropped). */
  private handle(event: AnyEventObject): Error | undefined {
    const before = this.snapshot!;
    let result;
    try {
      result = this.stepper.step(before, event);
    } catch (error) {
      this.droppedEvents++;
      this.logger.error('the machine threw on an event: dropped', { event: event.type, state: before.value, error });
      return error as Error;
    }
    this.steps++;
    this.snapshot = result.snapshot;
    this.options.trace?.({
      kind: 'step',
      node: this.id,
      seq: this.seq++,
      event: event as unknown as Json,
      before: before.value as Json,
      after: result.snapshot.value as Json,
      effects: result.effects,
    });
    this.take(result);
    return undefined;
  }

  /** Re-arms the step's timers at once (they are local), and queues its effects behind the next commit. */
  private take(result: ReturnType<Stepper['step']>): void {
    for (const timer of result.cancelled) {
      const handle = this.armedTimers.get(timer);
      if (handle !== undefined) this.clock.clearTimer(handle);
      this.armedTimers.delete(timer);
    }
    for (const timer of result.armed) {
      const previous = this.armedTimers.get(timer);
      if (previous !== undefined) this.clock.clearTimer(previous);
      const duration = timerDuration(this.options.timers, timerDelayName(timer), this.random);
      this.armedTimers.set(timer, this.clock.setTimer(duration, () => this.fire(timer)));
    }
    if (result.effects.length === 0) return;
    for (const effect of result.effects as readonly Effect[]) {
      match(effect)
        .with({ type: 'persist' }, ({ type: _, ...change }) => this.batch.changes.push(change))
        .with({ type: 'send' }, (send) => this.batch.outputs.push(send))
        .with({ type: 'reply' }, (reply) => this.batch.outputs.push(reply))
        .exhaustive();
    }
    this.group.request(this.member);
  }

  /** This host as a member of its commit group: at the end of a turn the group commits the batch, then releases its messages and replies in order. */
  private readonly member: GroupMember = {
    hasChanges: () => this.batch.changes.length > 0,
    commitPending: () => this.commitPending(),
    releaseCommitted: () => this.releaseCommitted(),
    failCommit: (error) => this.fail(error),
  };

  /** The batch being committed: its outputs wait here until the commit returned. */
  private committing: Batch | undefined;

  private commitPending(): void {
    const batch = this.batch;
    this.batch = emptyBatch();
    this.committing = batch;
    if (batch.changes.length > 0) {
      this.options.store.commit(batch.changes);
      this.commits++;
    }
  }

  private releaseCommitted(): void {
    const outputs = this.committing?.outputs ?? [];
    this.committing = undefined;
    if (this.phase !== 'running') return;
    for (const output of outputs) {
      if (output.type === 'send') this.sendOut(output);
      else this.replyOut(output);
    }
    try {
      this.options.onFlushed?.();
    } catch (error) {
      this.logger.error('the onFlushed callback threw', { error });
    }
  }

  private sendOut(send: SendEffect): void {
    if (send.to === this.id) {
      setImmediate(() => {
        if (this.phase === 'running') this.handle({ ...send.message, from: this.id });
      });
      return;
    }
    try {
      this.options.transport.send(send.to, send.message);
    } catch (error) {
      this.logger.error('the transport refused a message', { to: send.to, type: send.message.type, error });
    }
  }

  private replyOut(reply: ReplyEffect): void {
    if (reply.client === this.clientId) {
      this.settle(String(reply.requestId), (request) => request.resolve(reply.result));
    }
    this.options.onReply?.(reply);
  }

  private settle(key: string, how: (request: WaitingRequest) => void): void {
    const request = this.waiting.get(key);
    if (!request) return; // answered already, or timed out
    this.waiting.delete(key);
    this.clock.clearTimer(request.timeout);
    how(request);
  }

  /** A commit failed: the machine is ahead of its durable image, so it must fall silent. */
  private fail(error: Error): void {
    this.logger.error('the store failed to commit; the host stops (restart it from its store)', { error });
    this.phase = 'failed';
    this.batch = emptyBatch();
    this.release(`the store failed: ${error.message}`);
    this.options.transport.close().catch((closeError: unknown) => this.logger.error('closing the transport failed', { error: closeError }));
  }
}
