import type { ParameterDefinition } from '../../src/checker/index.ts';

/** The fault-budget parameters of a model with a faulty network and crashing nodes. */
export function faultParameters(
  defaults: { readonly loss: number; readonly duplication: number; readonly crashes: number },
  crashing = 'node',
  max = 3,
): Record<'loss' | 'duplication' | 'crashes', ParameterDefinition> {
  return {
    loss: { description: 'messages the network may lose', default: defaults.loss, min: 0, max },
    duplication: { description: 'messages the network may duplicate', default: defaults.duplication, min: 0, max },
    crashes: { description: `${crashing} crashes`, default: defaults.crashes, min: 0, max },
  };
}
