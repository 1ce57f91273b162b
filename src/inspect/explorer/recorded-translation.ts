import { canonicalJson } from '../../node/index.ts';

type Json = unknown;

/**
 * Recorded data in the model's terms. A production client's request carries what the model's
 * spontaneous event leaves out or fixes (Raft's `ClientRequest` with value "a", a client id and a
 * request id, where raft/three-servers offers only value "v"), and the machine keeps it: in a log
 * entry, in its durable image, in the AppendEntries that replicate the entry. Once a recorded
 * request is matched to the model's event, each object that carries one of the request's own
 * fields (same name, same value) and differs from the model's object in the same place is
 * translated, wherever it appears later, into the model's object; everything else must match
 * exactly, as a counterexample's steps do.
 */
export class RecordedTranslation {
  private readonly objects = new Map<string, Json>();

  /** `value` with every object learnt so far replaced by the model's. */
  translate<T>(value: T): T {
    if (this.objects.size === 0) return value;
    return this.walk(value) as T;
  }

  /**
   * Learns from a recorded spontaneous event matched to the model's: walks what the recorded step
   * left (already translated) beside what the model's step left, and remembers each differing
   * object that carries one of the recorded event's fields the model's event does not have.
   */
  learn(recordedEvent: Record<string, Json>, modelEvent: Record<string, Json>, recorded: Json, model: Json): void {
    const carried = Object.entries(recordedEvent).filter(([key, value]) => key !== 'type' && canonicalJson(modelEvent[key]) !== canonicalJson(value));
    if (carried.length === 0) return;
    const carries = (object: Record<string, Json>) => carried.some(([key, value]) => key in object && canonicalJson(object[key]) === canonicalJson(value));
    const visit = (theirs: Json, ours: Json): void => {
      if (canonicalJson(theirs) === canonicalJson(ours)) return;
      if (isObject(theirs) && isObject(ours) && carries(theirs)) {
        this.objects.set(canonicalJson(theirs), ours);
      } else if (Array.isArray(theirs) && Array.isArray(ours) && theirs.length === ours.length) {
        theirs.forEach((item, i) => visit(item, ours[i]));
      } else if (isObject(theirs) && isObject(ours)) {
        for (const key of Object.keys(theirs)) if (key in ours) visit(theirs[key], ours[key]);
      }
    };
    visit(recorded, model);
  }

  private walk(value: Json): Json {
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (!isObject(value)) return value;
    const known = this.objects.get(canonicalJson(value));
    if (known !== undefined) return known;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.walk(item)]));
  }
}

const isObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);
