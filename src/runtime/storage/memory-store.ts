import type { DurableChange, DurableState } from '../../node/index.ts';
import { applyDurableChange, EMPTY_DURABLE } from '../../node/index.ts';
import type { DurableStore } from './durable-store.ts';

/**
 * A `DurableStore` in memory, for tests. What counts as "on disk" is the committed image, shared
 * by every store opened with `reopen()`: a test simulates a crash by dropping a host (whatever it
 * had stepped but not committed is gone) and starting a new one on `store.reopen()`, which sees
 * exactly what was committed. `commits` and `changesCommitted` let tests see group commit at work.
 */
export class MemoryStore implements DurableStore {
  /** Successful commits so far, over every store opened on this image. */
  get commits(): number {
    return this.disk.commits;
  }
  /** Changes made durable so far, over every store opened on this image. */
  get changesCommitted(): number {
    return this.disk.changes;
  }

  private closed = false;

  constructor(private readonly disk: { image: DurableState; commits: number; changes: number } = { image: EMPTY_DURABLE, commits: 0, changes: 0 }) {}

  load(): DurableState {
    this.checkOpen();
    return this.disk.image;
  }

  commit(changes: readonly DurableChange[]): void {
    this.checkOpen();
    // Apply to a copy and swap it in at the end: a change that throws leaves the image untouched.
    let image = this.disk.image;
    for (const change of changes) image = applyDurableChange(image, change);
    this.disk.image = image;
    this.disk.commits++;
    this.disk.changes += changes.length;
  }

  close(): void {
    this.closed = true;
  }

  /** Another store on the same committed image: what a node restarted after a crash finds. */
  reopen(): MemoryStore {
    return new MemoryStore(this.disk);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('MemoryStore: used after close()');
  }
}
