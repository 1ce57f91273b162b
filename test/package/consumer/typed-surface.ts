// Type-checked only (tsc --noEmit), never run: the package's entry points give real types, not
// `any` — each @ts-expect-error below is itself an error if the line it covers type-checks.
import { type CheckResult, check, defineModel } from 'unanimous';
import { type TransactionManagerConfig, DEFAULT_TM_CONFIG } from 'unanimous/protocols/two-phase-commit';
import { type TimerPolicy, NodeHost } from 'unanimous/runtime';
import { type TxnResult, KvClient } from 'unanimous/service';

export const verdict = (result: CheckResult): 'ok' | 'violation' | 'incomplete' => result.verdict;
export const checker: typeof check = check;
export const tm: TransactionManagerConfig = { ...DEFAULT_TM_CONFIG, retransmit: false };
export const timers: TimerPolicy = { voteTimeout: 100 };
export const hostClass: typeof NodeHost = NodeHost;
export const committed = (result: TxnResult): boolean => result.committed;
export const client = (): Promise<unknown> => new KvClient('http://127.0.0.1:2379').get('a');

// @ts-expect-error a model file needs a description
defineModel({ build: () => ({ nodes: [], network: 'set', properties: [] }) });
// @ts-expect-error the verdict is one of three words
export const wrong: CheckResult['verdict'] = 'maybe';
// @ts-expect-error a TM's retransmit setting is a boolean
export const wrongTm: TransactionManagerConfig = { ...DEFAULT_TM_CONFIG, retransmit: 'yes' };
