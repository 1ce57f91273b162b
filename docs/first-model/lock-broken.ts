import { defineModel } from 'unanimous';
import { lockModel } from './lock.ts';

export default defineModel({
  description: 'broken: the server grants a lock that is already held',
  build: () => lockModel(2, true),
  expected: () => ({ verdict: 'violation', property: 'MutualExclusion' }),
});
