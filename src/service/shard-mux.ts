import type { Message } from '../node/index.ts';
import type { MessageHandler, MessageValidator, Transport } from '../runtime/index.ts';

/**
 * Several shards' Raft groups over one transport between nodes. A node hosts one replica of each of
 * its shards, and the replicas of one node talk to the replicas of the same shards on the other
 * nodes: rather than a port and a connection per replica, every message goes over the node's one
 * transport tagged with its shard (`shard` is added on sending and taken off on arrival), and is
 * handed to that shard's replica. A replica sees a plain `Transport`, with the node ids as peers.
 */
export class ShardMux {
  private readonly handlers = new Map<string, MessageHandler>();

  constructor(
    private readonly transport: Transport,
    readonly shards: readonly string[],
  ) {
    transport.onMessage((from, message) => {
      const { shard, ...rest } = message as Message & { shard: string };
      this.handlers.get(shard)?.(from, rest as Message);
    });
  }

  /**
   * Wraps a validator of the shards' messages so that it also checks the shard tag: a frame for a
   * shard this node does not know is refused like any other malformed frame.
   */
  static validator(shards: readonly string[], validateMessage: MessageValidator): MessageValidator {
    const known = new Set(shards);
    return (value) => {
      const shard = (value as { shard?: unknown }).shard;
      if (typeof shard !== 'string' || !known.has(shard)) return `"shard" must name one of this node's shards (${shards.join(', ')})`;
      return validateMessage(value);
    };
  }

  /** The transport of one shard's replica. Closing it detaches the replica; the node closes the shared transport. */
  transportFor(shard: string): Transport {
    if (!this.shards.includes(shard)) throw new Error(`ShardMux: unknown shard ${JSON.stringify(shard)}`);
    return {
      send: (to, message) => this.transport.send(to, { ...message, shard }),
      onMessage: (handler) => {
        this.handlers.set(shard, handler);
      },
      close: async () => {
        this.handlers.delete(shard);
      },
    };
  }
}
