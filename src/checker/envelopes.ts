import type { Message } from '../node/index.ts';
import { canonicalJson } from '../node/index.ts';
import type { Envelope } from './global-view.ts';
import { ModelError } from './model-error.ts';

/** An interned message in flight: the integer id stands for (from, to, message) in global states. */
export interface InternedEnvelope extends Envelope {
  readonly id: number;
  readonly fromIndex: number;
  readonly toIndex: number;
  /** The event the receiver gets: the message plus its sender. */
  readonly event: Message & { readonly from: string };
}

/** Interns messages in flight to small integers, so a network is an array of ints. */
export class Envelopes {
  private readonly byKey = new Map<string, number>();
  readonly all: InternedEnvelope[] = [];

  constructor(private readonly nodeIndex: ReadonlyMap<string, number>) {}

  intern(fromIndex: number, to: string, message: Message, from: string): number {
    const toIndex = this.nodeIndex.get(to);
    if (toIndex === undefined) {
      throw new ModelError(`${from} sent ${message.type} to "${to}", which is not a node of the model`);
    }
    const key = `${fromIndex}|${toIndex}|${canonicalJson(message)}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.all.length;
      this.byKey.set(key, id);
      this.all.push(Object.freeze({ id, from, to, fromIndex, toIndex, message, event: Object.freeze({ ...message, from }) }));
    }
    return id;
  }
}
