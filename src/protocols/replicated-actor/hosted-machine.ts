import type { AnyEventObject, AnyMachineSnapshot, StateValue } from 'xstate';
import type { Effect, Json, NodeInput, NodeMachine } from '../../node/index.ts';
import { isTimerEvent, Stepper, timerDelayName } from '../../node/index.ts';

/**
 * A machine hosted inside another node machine, as plain JSON: its state value, its context and
 * the timers it has armed (their `xstate.after.*` event types, sorted). This is what a replica
 * keeps of the actor it hosts, and what the abstract replica persists whole.
 */
export interface HostedImage {
  readonly value: StateValue;
  readonly context: Json;
  readonly timers: readonly string[];
}

/** One step of a hosted machine: its next image, what it emitted, and its timer changes. */
export interface HostedStep {
  readonly image: HostedImage;
  readonly effects: readonly Effect[];
  readonly cancelled: readonly string[];
  readonly armed: readonly string[];
}

/**
 * Steps a node machine held as a `HostedImage`, through the same `Stepper` the checker and the
 * runtime use: the hosting machine runs it as a pure function inside its own transitions, so the
 * hosted machine is unchanged and the host stays a node machine (plain JSON context, effects out).
 */
export class HostedMachine {
  private readonly stepper: Stepper;
  /** The named delays of the hosted machine: the timers the host must arm on its behalf. */
  readonly delays: readonly string[];

  constructor(readonly machine: NodeMachine) {
    this.stepper = new Stepper(machine);
    this.delays = Object.keys((machine.implementations as { delays?: object }).delays ?? {});
  }

  boot(input: NodeInput): HostedStep {
    return this.record(this.stepper.start(input), []);
  }

  /** Delivers `event` to the machine in `image`. A timer event must be one of `image.timers`. */
  step(image: HostedImage, event: AnyEventObject): HostedStep {
    if (isTimerEvent(event.type) && !image.timers.includes(event.type)) {
      throw new Error(`${this.machine.id}: timer ${event.type} fired but is not armed (armed: ${image.timers.join(', ') || 'none'})`);
    }
    const snapshot = this.machine.resolveState({ value: image.value, context: image.context as never }) as AnyMachineSnapshot;
    const before = image.timers.filter((timer) => timer !== event.type);
    return this.record(this.stepper.step(snapshot, event), before);
  }

  /** The named delay's duration for the machine in `image`, as its own `delays` would compute it. */
  delay(name: string, image: HostedImage): number {
    const delays = (this.machine.implementations as { delays?: Record<string, unknown> }).delays ?? {};
    const delay = delays[name];
    const duration = typeof delay === 'function' ? (delay as (args: { context: unknown }) => unknown)({ context: image.context }) : delay;
    if (typeof duration !== 'number') throw new Error(`${this.machine.id}: delay ${name} is not a number of milliseconds`);
    return duration;
  }

  /** Whether a timer event belongs to this machine's delays. */
  ownsTimer(timerEvent: string): boolean {
    return this.delays.includes(timerDelayName(timerEvent));
  }

  private record(result: ReturnType<Stepper['step']>, timersBefore: readonly string[]): HostedStep {
    const timers = new Set(timersBefore.filter((timer) => !result.cancelled.includes(timer)));
    for (const timer of result.armed) timers.add(timer);
    return {
      image: { value: result.snapshot.value, context: result.snapshot.context as Json, timers: [...timers].sort() },
      effects: result.effects,
      cancelled: result.cancelled,
      armed: result.armed,
    };
  }
}
