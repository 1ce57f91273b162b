// Checks the consumer's own model through the API and prints the result as JSON, for the test.
import { check } from 'unanimous';
import model from './my-model.ts';

const result = check(model.build({}));
console.log(JSON.stringify({ verdict: result.verdict, distinct: result.distinct, depth: result.depth, goals: result.goals }));
