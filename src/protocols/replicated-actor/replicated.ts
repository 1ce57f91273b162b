import { type AnyEventObject, enqueueActions, setup } from 'xstate';
import type { Effect, Json, NodeInput, NodeMachine, ReplyEffect } from '../../node/index.ts';
import { canonicalJson, EMPTY_DURABLE, isTimerEvent, send, timerDelayName } from '../../node/index.ts';
import { type ConsensusProtocol, raftConsensus } from './consensus.ts';
import { type ActorDirectory, actorOf, checkDirectory, replicasOf } from './directory.ts';
import { type HostedImage, HostedMachine, type HostedStep } from './hosted-machine.ts';
import { byDestination, type Outbox, type OutboxEffect, type OutboxKey, outboxEffects, recordInOutbox } from './outbox.ts';

/** A replica's config: which actor it hosts, where every actor lives, and the two machines' configs. */
export interface ReplicaConfig<ActorConfig = unknown> {
  /** The logical id of the hosted actor (its machine's `id` input): 'tm', 'rm1'. */
  readonly actor: string;
  /** Every actor's replicas, this replica's group included. */
  readonly directory: ActorDirectory;
  /** The hosted machine's peers, as logical ids. */
  readonly actorPeers: readonly string[];
  readonly actorConfig: ActorConfig;
  /** The consensus machine's config (Raft's timeouts); the protocol's default when absent. */
  readonly consensus?: Json;
}

export interface ReplicatedOptions {
  /** The consensus protocol of the group: Raft by default (raftConsensus), or multiPaxosConsensus (multi-paxos-consensus.ts). */
  readonly consensus?: ConsensusProtocol;
  /** How the outbox groups effects (see outbox.ts); by destination by default. */
  readonly outboxKey?: OutboxKey;
  /** The replica machine's id; `replicated-<machine id>` by default. */
  readonly id?: string;
}

/** A replica's state: its consensus member and the actor as far as the log has been applied. */
export interface ReplicaContext {
  readonly config: ReplicaConfig;
  readonly replica: string;
  /** The other replicas of this replica's group, sorted: the consensus member's peers. */
  readonly group: readonly string[];
  readonly consensus: HostedImage;
  /** The hosted actor after applying the first `lastApplied` log entries to its first boot. */
  readonly actor: HostedImage;
  readonly lastApplied: number;
  /** What a new leader re-sends (outbox.ts): the same on every replica that applied as far. */
  readonly outbox: Outbox;
  /**
   * Per actor, the replica this one last heard that actor from: its leader, as far as this replica
   * knows (only leaders release). Sends to that actor go there alone; with no hint, to its whole
   * group. Routing state, not replicated state: a stale hint loses a message, as the network may.
   */
  readonly leaderHints: { readonly [actor: string]: string };
}

/** The command a new leader proposes to learn what is committed (Raft §8: a blank no-op entry). */
export const NO_OP = '';

/** What one handling step asks of the replica machine besides its new context. */
interface Plan {
  context: ReplicaContext;
  effects: Effect[];
  cancel: string[];
  arm: string[];
}

/**
 * `replicated(machine)`: the node machine of one replica of a group that hosts `machine` — any
 * protocol machine, unchanged — as a replicated actor (a replicated state machine, Schneider 1990;
 * the Spanner arrangement when the actors are 2PC's coordinator and participants).
 *
 * - **Ordering.** An input event of the actor — a message from another actor's replica, a client
 *   request, a spontaneous event, one of the actor's timers firing — is proposed to the group's
 *   consensus log as a command (the event as canonical JSON; the sender translated to its logical
 *   actor id). Only the leader proposes; other replicas drop actor input (a client request gets
 *   `{ error: 'not leader' }`). A leader that has applied its whole log does not log an event the
 *   actor would ignore there (same state, no effects): applying it would change nothing.
 * - **Applying.** Every replica applies committed commands in log order to its copy of the actor,
 *   stepped by a pure transition (`HostedMachine`). The actor is deterministic, so replicas agree.
 *   A timer command applies only if the actor still has that timer armed at that point of the log.
 * - **Effects.** Only the leader releases the actor's effects; replies go to their client; the
 *   actor's own persists are dropped, the log being its durable state. The leader alone arms the
 *   actor's timers.
 * - **Addressing.** A send to a logical id goes to the replica this one last heard that actor from
 *   (its leader, as far as this replica knows: only leaders release), or, with no such hint, to
 *   every replica of that actor's group. A stale hint loses the message, as a network may: the
 *   actors' own retries and a new leader's re-sends cover it.
 * - **Failover.** A replica that becomes leader re-sends its outbox (outbox.ts: the latest effects
 *   per destination and conversation — what the old leader may not have released) and arms the
 *   actor's timers; if its log holds entries it has not applied, it proposes a no-op, whose commit
 *   commits them (Raft §5.4.2, §8), and releases their effects as it applies them. Receivers must
 *   tolerate duplicates.
 * - **Restart.** The replica persists only its consensus member's state (Raft: term, vote, log). A
 *   restarted replica boots the actor afresh and re-applies the committed log as it learns the
 *   commit index again (no snapshots: logs are short in the models; compaction is left to the host).
 *
 * The result follows the node contract, so the checker and the runtime host it unchanged. Its
 * input: `{ id: replica id, peers: every node it may talk to, durable, config: ReplicaConfig }`.
 */
export function replicated(machine: NodeMachine, options: ReplicatedOptions = {}): NodeMachine {
  const protocol = options.consensus ?? raftConsensus;
  const keyOf = options.outboxKey ?? byDestination;
  const consensus = new HostedMachine(protocol.machine);
  const actor = new HostedMachine(machine);
  const clash = actor.delays.filter((name) => consensus.delays.includes(name));
  if (clash.length > 0) throw new Error(`replicated(${machine.id}): delays ${clash.join(', ')} are named by both the actor and the consensus machine`);

  const leads = (context: ReplicaContext) => protocol.leads(context.consensus.value, context.consensus.context);

  /** The actor's effects as they leave the leader: a logical send goes to the receiver's leader if known, else to its whole group. */
  const release = (context: ReplicaContext, effects: readonly OutboxEffect[]): Effect[] =>
    effects.flatMap((effect): Effect[] => {
      if (effect.type !== 'send') return [effect];
      const hint = context.leaderHints[effect.to];
      const replicas = hint !== undefined ? [hint] : replicasOf(context.config.directory, effect.to);
      return replicas.map((replica) => send(replica, effect.message));
    });

  const outboxEffectsOf = (step: HostedStep, context: ReplicaContext): OutboxEffect[] =>
    step.effects.filter((effect): effect is OutboxEffect => {
      if (effect.type === 'send' && effect.to === context.config.actor) throw new Error(`${machine.id}: an actor cannot send to itself through the network`);
      return effect.type !== 'persist';
    });

  /** Applies the newly committed commands to the actor; the leader releases their effects. */
  function applyCommitted(plan: Plan): Plan {
    let { context } = plan;
    const commands = protocol.committedSince(context.consensus.context, context.lastApplied);
    if (commands.length === 0) return plan;
    const leader = leads(context);
    let image = context.actor;
    let outbox = context.outbox;
    for (const command of commands) {
      if (command === NO_OP) continue;
      const event = JSON.parse(command) as AnyEventObject;
      if (isTimerEvent(event.type) && !image.timers.includes(event.type)) continue;
      const step = actor.step(image, event);
      image = step.image;
      const effects = outboxEffectsOf(step, context);
      outbox = recordInOutbox(outbox, effects, keyOf);
      if (leader) {
        plan.effects.push(...release(context, effects));
        plan.cancel.push(...step.cancelled);
        plan.arm.push(...step.armed);
      }
    }
    context = { ...context, actor: image, outbox, lastApplied: context.lastApplied + commands.length };
    return { ...plan, context };
  }

  /** Steps the consensus member; its persists and sends are the replica's own. */
  function stepConsensus(plan: Plan, event: AnyEventObject): Plan {
    const step = consensus.step(plan.context.consensus, event);
    plan.effects.push(...step.effects.filter((effect) => effect.type !== 'reply'));
    plan.cancel.push(...step.cancelled);
    plan.arm.push(...step.armed);
    return applyCommitted({ ...plan, context: { ...plan.context, consensus: step.image } });
  }

  /**
   * Whether `event` would change nothing: the leader has applied its whole log, and the actor in
   * that state ignores it (same image, no effects). Such an event need not be ordered: applying it
   * anywhere in the log would leave the actor as it is (the actor is deterministic).
   */
  function ignoredByActor(context: ReplicaContext, event: AnyEventObject): boolean {
    if (protocol.logLength(context.consensus.context) !== context.lastApplied) return false;
    const step = actor.step(context.actor, event);
    return step.effects.length === 0 && canonicalJson(step.image) === canonicalJson(context.actor);
  }

  /** Actor input: the leader proposes it; another replica ignores it (a client is told to go elsewhere). */
  function propose(plan: Plan, event: AnyEventObject): Plan {
    if (leads(plan.context)) return ignoredByActor(plan.context, event) ? plan : stepConsensus(plan, protocol.propose(canonicalJson(event)));
    if (typeof event.client === 'string' && (typeof event.requestId === 'string' || typeof event.requestId === 'number')) {
      plan.effects.push({ type: 'reply', client: event.client, requestId: event.requestId, result: { error: 'not leader' } } satisfies ReplyEffect);
    }
    return plan;
  }

  function handle(context: ReplicaContext, event: AnyEventObject): Plan {
    const plan: Plan = { context, effects: [], cancel: [], arm: [] };
    if (isTimerEvent(event.type)) {
      if (consensus.ownsTimer(event.type)) return stepConsensus(plan, event);
      // Armed only while leading; a timer that fired as leadership was lost is dropped.
      return context.actor.timers.includes(event.type) ? propose(plan, { type: event.type }) : plan;
    }
    const from = event.from;
    if (typeof from === 'string') {
      if (context.group.includes(from)) return stepConsensus(plan, event);
      const sender = actorOf(context.config.directory, from);
      // A node outside the directory is no one the actor knows: dropped.
      if (sender === undefined) return plan;
      const hinted = context.leaderHints[sender] === from ? plan : { ...plan, context: { ...context, leaderHints: { ...context.leaderHints, [sender]: from } } };
      return propose(hinted, { ...event, from: sender });
    }
    return propose(plan, event);
  }

  function carryOut(plan: Plan, enqueue: { assign: (context: ReplicaContext) => void; emit: (effect: Effect) => void; cancel: (id: string) => void; raise: (event: AnyEventObject, options: { id: string; delay: string }) => void }) {
    enqueue.assign(plan.context);
    for (const effect of plan.effects) enqueue.emit(effect);
    for (const id of plan.cancel) enqueue.cancel(id);
    for (const id of plan.arm) enqueue.raise({ type: id }, { id, delay: timerDelayName(id) });
  }

  const delays: Record<string, (args: { context: ReplicaContext }) => number> = {};
  for (const name of consensus.delays) delays[name] = ({ context }) => consensus.delay(name, context.consensus);
  for (const name of actor.delays) delays[name] = ({ context }) => actor.delay(name, context.actor);

  return setup({
    types: {
      context: {} as ReplicaContext,
      events: {} as AnyEventObject,
      input: {} as NodeInput<ReplicaConfig>,
      emitted: {} as Effect,
    },
    guards: {
      consensusLeads: ({ context }) => leads(context),
      consensusFollows: ({ context }) => !leads(context),
    },
    actions: {
      armConsensusTimers: enqueueActions(({ context, enqueue }) => {
        for (const id of context.consensus.timers) enqueue.raise({ type: id }, { id, delay: timerDelayName(id) as never });
      }),
      handle: enqueueActions(({ context, event, enqueue }) => carryOut(handle(context, event), enqueue as never)),
      /**
       * A new leader: re-send the outbox, arm the actor's timers, and — when its log holds entries it
       * has not applied — propose a no-op, whose commit commits them (Raft §5.4.2, §8). A leader that
       * has applied its whole log has applied every committed entry (Leader Completeness).
       */
      takeOffice: enqueueActions(({ context, enqueue }) => {
        const plan: Plan = { context, effects: release(context, outboxEffects(context.outbox)), cancel: [], arm: [...context.actor.timers] };
        const pending = protocol.logLength(context.consensus.context) > context.lastApplied;
        carryOut(pending ? stepConsensus(plan, protocol.propose(NO_OP)) : plan, enqueue as never);
      }),
      leaveOffice: enqueueActions(({ context, enqueue }) => {
        for (const id of context.actor.timers) enqueue.cancel(id);
      }),
    },
    delays: delays as never,
  }).createMachine({
    id: options.id ?? `replicated-${machine.id}`,
    context: ({ input }) => bootReplica(input, consensus, actor, protocol, keyOf),
    entry: 'armConsensusTimers',
    initial: 'member',
    on: { '*': { actions: 'handle' } },
    states: {
      member: { always: { guard: 'consensusLeads', target: 'leader' } },
      leader: {
        entry: 'takeOffice',
        exit: 'leaveOffice',
        always: { guard: 'consensusFollows', target: 'member' },
      },
    },
  });
}

/** A replica's first state: its consensus member from the durable image, the actor from its first boot. */
function bootReplica(input: NodeInput<ReplicaConfig>, consensus: HostedMachine, actor: HostedMachine, protocol: ConsensusProtocol, keyOf: OutboxKey): ReplicaContext {
  const config = input.config;
  checkDirectory(config.directory);
  const group = replicasOf(config.directory, config.actor);
  if (!group.includes(input.id)) throw new Error(`replica "${input.id}" is not listed for actor "${config.actor}" in the directory`);
  const peers = group.filter((replica) => replica !== input.id).sort();
  const given = config.consensus ?? protocol.defaultConfig;
  const member = consensus.boot({ id: input.id, peers, durable: input.durable, config: protocol.configForGroup?.(given, group) ?? given });
  if (member.effects.length > 0) throw new Error(`${consensus.machine.id}: a consensus machine hosted in a replica must not emit effects on boot`);
  const hosted = actor.boot({ id: config.actor, peers: config.actorPeers, durable: EMPTY_DURABLE, config: config.actorConfig });
  const effects = hosted.effects.filter((effect): effect is OutboxEffect => effect.type !== 'persist');
  return {
    config,
    replica: input.id,
    group: peers,
    consensus: member.image,
    actor: hosted.image,
    lastApplied: 0,
    outbox: recordInOutbox({}, effects, keyOf),
    leaderHints: {},
  };
}
