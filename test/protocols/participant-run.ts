import { applyDurableChange, type DurableState, EMPTY_DURABLE, type Effect, type SendEffect, Stepper } from '../../src/node/index.ts';
import type { ParticipantContext } from '../../src/protocols/two-phase-commit/index.ts';
import { participant } from '../../src/protocols/two-phase-commit/index.ts';

export const participantConfig = { acknowledge: true };

/** The messages among `effects`, as [to, message] pairs. */
export const sends = (effects: readonly Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send').map((e) => [e.to, e.message]);

/** A 2PC participant (p1, coordinators c1 and c2) stepped event by event, its durable image kept as a host would. */
export function runParticipant() {
  const stepper = new Stepper(participant);
  let durable: DurableState = EMPTY_DURABLE;
  let snapshot = stepper.start({ id: 'p1', peers: ['c1', 'c2'], durable, config: participantConfig }).snapshot;
  return {
    step(event: { type: string; [field: string]: unknown }) {
      const result = stepper.step(snapshot, event as never);
      for (const effect of result.effects) if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
      snapshot = result.snapshot;
      return result;
    },
    get context() {
      return snapshot.context as ParticipantContext;
    },
    get durable() {
      return durable;
    },
  };
}
