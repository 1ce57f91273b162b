import type { Envelope, GlobalView, NodeView } from './global-view.ts';

/** The view of one global state that properties and boundaries read. */
export class StateView implements GlobalView {
  private envelopesInFlight: readonly Envelope[] | undefined;

  constructor(
    readonly nodes: readonly NodeView[],
    private readonly nodeIndex: ReadonlyMap<string, number>,
    private readonly readMessages: () => readonly Envelope[],
    readonly messageCount: number,
    readonly budgets: GlobalView['budgets'],
    readonly history: unknown,
  ) {}

  node(id: string): NodeView {
    const index = this.nodeIndex.get(id);
    if (index === undefined) throw new Error(`no node "${id}" in this model`);
    return this.nodes[index]!;
  }

  get messages(): readonly Envelope[] {
    this.envelopesInFlight ??= this.readMessages();
    return this.envelopesInFlight;
  }
}
