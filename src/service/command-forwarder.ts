import type { Agent } from 'node:http';
import type { Logger } from '../runtime/index.ts';
import { requestJson } from './http-json.ts';
import { type ShardCommand, shardCommandToJson } from './shard-command.ts';

/** The route on which a node takes commands for its shards' leaders from other nodes. */
export const COMMANDS_PATH = '/internal/commands';

/** A command for a shard's leader on another node; `hops`: how many nodes forwarded it already. */
export interface ForwardedCommand {
  readonly shard: string;
  readonly command: ShardCommand;
  readonly hops: number;
}

/**
 * What the other node answered for one command, as the HTTP status and body it would have given
 * alone (200 with `{ shard, result }`, 503 with `retryable` when it does not lead either, …); or
 * `refused` when the node could not be reached at all, so nothing was applied.
 */
export type ForwardedOutcome = { readonly status: number; readonly body: { readonly [field: string]: unknown } } | 'refused';

interface Pending {
  readonly item: ForwardedCommand;
  readonly resolve: (outcome: ForwardedOutcome) => void;
}

/**
 * Sends commands to the leaders of shards on other nodes, all those for one node in one turn of
 * the event loop in ONE request (`POST /internal/commands`, with the cluster secret). A transaction
 * across shards sends two commands to the other shards' leaders, and under load dozens arrive per
 * turn: a request per command cost more than the consensus they wait for.
 */
export class CommandForwarder {
  private readonly pending = new Map<string, Pending[]>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly endpointOf: (node: string) => string,
    private readonly clusterSecret: string,
    private readonly agent: Agent,
    private readonly logger: Logger,
  ) {}

  forward(node: string, item: ForwardedCommand): Promise<ForwardedOutcome> {
    return new Promise((resolve) => {
      let queue = this.pending.get(node);
      if (queue === undefined) this.pending.set(node, (queue = []));
      queue.push({ item, resolve });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = undefined;
    for (const [node, batch] of this.pending) void this.send(node, batch);
    this.pending.clear();
  }

  private async send(node: string, batch: readonly Pending[]): Promise<void> {
    let outcomes: ForwardedOutcome[];
    try {
      const response = await requestJson(`${this.endpointOf(node)}${COMMANDS_PATH}`, {
        body: { commands: batch.map(({ item }) => ({ shard: item.shard, hops: item.hops, command: shardCommandToJson(item.command) })) },
        headers: { authorization: `Bearer ${this.clusterSecret}` },
        timeoutMs: 15_000,
        agent: this.agent,
      });
      const body = response.body as { outcomes?: ForwardedOutcome[]; error?: string };
      outcomes =
        response.status === 200 && Array.isArray(body.outcomes) && body.outcomes.length === batch.length
          ? body.outcomes
          : batch.map(() => ({ status: response.status === 200 ? 502 : response.status, body: { error: `node ${node} answered ${response.status}: ${body.error ?? 'no outcomes'}` } }));
    } catch (error) {
      // Refused: the request never reached the node, so the commands may go elsewhere. Any other
      // failure may come after the node proposed them: retrying could apply them twice.
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') outcomes = batch.map(() => 'refused');
      else {
        this.logger.warn('forwarding commands failed after they were sent', { to: node, commands: batch.length, error: (error as Error).message });
        outcomes = batch.map(({ item }) => ({
          status: 503,
          body: { error: `forwarding to ${node} failed (${(error as Error).message}); the command may or may not have taken effect`, shard: item.shard, outcome: 'unknown' },
        }));
      }
    }
    batch.forEach(({ resolve }, i) => resolve(outcomes[i]!));
  }
}
