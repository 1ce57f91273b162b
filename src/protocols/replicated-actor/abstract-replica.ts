import { type AnyEventObject, enqueueActions, setup } from 'xstate';
import type { Effect, Json, NodeInput, NodeMachine } from '../../node/index.ts';
import { canonicalJson, EMPTY_DURABLE, isTimerEvent, persist, timerDelayName } from '../../node/index.ts';
import { type HostedImage, HostedMachine } from './hosted-machine.ts';
import { byDestination, type Outbox, type OutboxEffect, type OutboxKey, outboxEffects, recordInOutbox } from './outbox.ts';

/** The abstract replica's whole state, which is also its whole durable image. */
export interface AbstractReplicaContext {
  readonly actor: HostedImage;
  readonly outbox: Outbox;
}

export interface AbstractReplicaOptions {
  /** How the outbox groups effects (see outbox.ts); by destination by default. */
  readonly outboxKey?: OutboxKey;
  /** The machine's id; `abstract-<machine id>` by default. */
  readonly id?: string;
}

/**
 * `abstractReplica(machine)`: a replicated actor with its consensus group abstracted away — the
 * second level of the model of 2PC over consensus groups. What the group guarantees is assumed:
 * the actor's state survives any failure of its leader, because every step is in the group's log
 * before its effects leave. So here the node's durable image is its whole state (the actor's
 * image and its outbox), persisted on every step before the step's sends; a crash is the leader
 * failing, and a restart is a new leader taking over with that state, which re-sends its outbox
 * (what the failed leader may not have released; receivers must tolerate duplicates) and re-arms
 * the actor's timers. The hosted machine is unchanged; its own persists are subsumed by the image.
 *
 * Its input is the hosted machine's own (`id`, `peers`, `config`): addressing is the machine's,
 * one node per actor. Compare `replicated()`, which runs the group in full.
 */
export function abstractReplica(machine: NodeMachine, options: AbstractReplicaOptions = {}): NodeMachine {
  const keyOf = options.outboxKey ?? byDestination;
  const actor = new HostedMachine(machine);

  const delays: Record<string, (args: { context: AbstractReplicaContext }) => number> = {};
  for (const name of actor.delays) delays[name] = ({ context }) => actor.delay(name, context.actor);

  const image = (context: AbstractReplicaContext): Json => ({ actor: context.actor as unknown as Json, outbox: context.outbox as unknown as Json });

  return setup({
    types: {
      context: {} as AbstractReplicaContext,
      events: {} as AnyEventObject,
      input: {} as NodeInput,
      emitted: {} as Effect,
    },
    actions: {
      /**
       * First boot or failover alike: make the state durable (a no-op after a failover), release the
       * outbox — on first boot, the actor's boot effects — and arm the actor's timers.
       */
      takeOver: enqueueActions(({ context, enqueue }) => {
        enqueue.emit(persist({ set: { replica: image(context) } }));
        for (const effect of outboxEffects(context.outbox)) enqueue.emit(effect);
        for (const id of context.actor.timers) enqueue.raise({ type: id }, { id, delay: timerDelayName(id) as never });
      }),
      handle: enqueueActions(({ context, event, enqueue }) => {
        if (isTimerEvent(event.type) && !context.actor.timers.includes(event.type)) return;
        const step = actor.step(context.actor, event);
        const effects = step.effects.filter((effect): effect is OutboxEffect => effect.type !== 'persist');
        const next: AbstractReplicaContext = { actor: step.image, outbox: recordInOutbox(context.outbox, effects, keyOf) };
        if (canonicalJson(next) === canonicalJson(context)) return;
        enqueue.assign(next);
        enqueue.emit(persist({ set: { replica: image(next) } }));
        for (const effect of effects) enqueue.emit(effect);
        for (const id of step.cancelled) enqueue.cancel(id);
        for (const id of step.armed) enqueue.raise({ type: id }, { id, delay: timerDelayName(id) as never });
      }),
    },
    delays: delays as never,
  }).createMachine({
    id: options.id ?? `abstract-${machine.id}`,
    context: ({ input }) => {
      const durable = input.durable.replica as unknown as AbstractReplicaContext | undefined;
      if (durable !== undefined) return durable;
      const boot = actor.boot({ ...input, durable: EMPTY_DURABLE });
      const effects = boot.effects.filter((effect): effect is OutboxEffect => effect.type !== 'persist');
      return { actor: boot.image, outbox: recordInOutbox({}, effects, keyOf) };
    },
    entry: 'takeOver',
    on: { '*': { actions: 'handle' } },
  });
}
