// The messages of chain replication (van Renesse and Schneider, "Chain Replication for Supporting
// High Throughput and Availability", OSDI 2004, §2): updates enter at the head and travel down the
// chain; the tail acknowledges them and answers queries. `client` names the node to acknowledge;
// a query's `seq` numbers it among its client's reads, so that a late answer to an earlier read
// (sent twice, answered twice) is not taken for the answer to a later one.

export type Update = { readonly type: 'Update'; readonly value: string; readonly client: string };
export type Acked = { readonly type: 'Acked'; readonly value: string };
export type Query = { readonly type: 'Query'; readonly seq: number };
export type ReadResult = { readonly type: 'ReadResult'; readonly seq: number; readonly history: readonly string[] };

export type ChainMessage = Update | Acked | Query | ReadResult;

const isText = (value: unknown): boolean => typeof value === 'string' && value.length <= 1024;
const isSeq = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * The schema of the messages, for a TCP transport (a runtime `MessageValidator`): true, or what is
 * wrong — the transport then closes the connection and logs it. The transport has already checked
 * that a frame is an object with a string `type`.
 */
export const validateChainMessage = (value: unknown): true | string => {
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'Update':
      return (isText(m.value) && isText(m.client)) || 'an Update needs a value and a client';
    case 'Acked':
      return isText(m.value) || 'an Acked needs a value';
    case 'Query':
      return isSeq(m.seq) || 'a Query needs a seq';
    case 'ReadResult':
      return (isSeq(m.seq) && Array.isArray(m.history) && m.history.every(isText)) || 'a ReadResult needs a seq and a history of strings';
    default:
      return `not a chain replication message`;
  }
};
