import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { NodeInput, NodeMachine } from './contract.ts';
import type { Effect } from './effects.ts';

/** What one step of a machine produced. */
export interface StepResult {
  readonly snapshot: AnyMachineSnapshot;
  /** Effects in emission order; hosts release persists before sends and replies. */
  readonly effects: readonly Effect[];
  /** Timers (their `xstate.after.*` event types) to stop. Applied before `armed`. */
  readonly cancelled: readonly string[];
  /** Timers to (re)start. A timer in both lists was restarted by this step. */
  readonly armed: readonly string[];
}

/**
 * Runs a machine one event at a time through XState's pure transition, with one inert actor
 * scope built once and reused: creating an actor per step (what the public `transition()` does)
 * costs several times more. Built-in actions run against the scope, so `emit` lands in the
 * effects and `after` timers land in the armed/cancelled lists instead of a real clock.
 * The checker and the runtime both step machines only through this.
 */
export class Stepper {
  private effects: Effect[] = [];
  private timerOps: { id: string; arm: boolean }[] = [];
  private readonly scope: unknown;

  constructor(readonly machine: NodeMachine) {
    const refuse = (what: string) => () => {
      throw new Error(`${machine.id}: ${what} is not allowed in a node machine (no children, no direct sends; use emit)`);
    };
    const system = {
      scheduler: {
        schedule: (_source: unknown, _target: unknown, _event: unknown, _delay: unknown, id: string) => {
          this.timerOps.push({ id, arm: true });
        },
        cancel: (_source: unknown, id: string) => {
          this.timerOps.push({ id, arm: false });
        },
        cancelAll: () => {},
      },
      _sendInspectionEvent: () => {},
      _relay: refuse('sendTo'),
      _set: refuse('a systemId'),
      _unregister: () => {},
      _bookId: () => 'x',
      get: () => undefined,
    };
    const self = { id: machine.id, sessionId: machine.id, system, send: refuse('sending to self'), _parent: undefined };
    this.scope = {
      self,
      id: machine.id,
      sessionId: machine.id,
      system,
      logger: () => {},
      defer: (fn: () => void) => fn(),
      stopChild: refuse('stopping a child'),
      emit: (effect: Effect) => this.effects.push(checkEffect(machine.id, effect)),
      actionExecutor: (action: { exec?: (info: unknown, params: unknown) => void; info: unknown; params: unknown }) =>
        action.exec?.(action.info, action.params),
    };
  }

  /** Boots the machine from its input (its durable image included): the entry actions run. */
  start(input: NodeInput): StepResult {
    return this.run(() => this.machine.getInitialSnapshot(this.scope as never, input));
  }

  /** Delivers one event. A timer event should only be delivered while that timer is armed. */
  step(snapshot: AnyMachineSnapshot, event: AnyEventObject): StepResult {
    return this.run(() => this.machine.transition(snapshot, event, this.scope as never));
  }

  private run(transition: () => AnyMachineSnapshot): StepResult {
    this.effects = [];
    this.timerOps = [];
    const snapshot = transition();
    if (snapshot.status === 'error') {
      throw new Error(`${this.machine.id}: the machine failed: ${String((snapshot as { error?: unknown }).error)}`, {
        cause: (snapshot as { error?: unknown }).error,
      });
    }
    const cancelled = new Set<string>();
    const armed = new Set<string>();
    for (const { id, arm } of this.timerOps) {
      if (arm) armed.add(id);
      else {
        cancelled.add(id);
        armed.delete(id);
      }
    }
    return { snapshot, effects: this.effects, cancelled: [...cancelled], armed: [...armed] };
  }
}

const EFFECT_TYPES = new Set(['send', 'persist', 'reply']);

function checkEffect(machineId: string, effect: Effect): Effect {
  if (!EFFECT_TYPES.has(effect?.type)) {
    throw new Error(`${machineId}: emitted ${JSON.stringify(effect?.type)}; a node machine emits only send, persist and reply`);
  }
  if (effect.type === 'send' && (typeof effect.to !== 'string' || typeof effect.message?.type !== 'string')) {
    throw new Error(`${machineId}: a send effect needs a peer id in "to" and a message with a "type"`);
  }
  return effect;
}
