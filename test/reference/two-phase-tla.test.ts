import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import twoPhaseTla from '../../models/two-phase/tla.ts';
import { exploreTwoPhase } from './two-phase-tla.ts';

describe('reference transcription of TwoPhase.tla', () => {
  it("reproduces TLC's distinct-state counts", () => {
    expect(exploreTwoPhase(3)).toEqual({ distinct: 288, depth: 11 }); // TLC: 288 distinct states, depth 11
    expect(exploreTwoPhase(6).distinct).toBe(50_816);
  });
});

describe('checker agrees with the reference transcription of TwoPhase.tla', () => {
  for (let rms = 1; rms <= 7; rms++) {
    it(`${rms} RM${rms === 1 ? '' : 's'}: same distinct states and depth`, () => {
      const reference = exploreTwoPhase(rms);
      const result = check(twoPhaseTla.build({ rms }));
      expect(result.verdict).toBe('ok');
      expect({ distinct: result.distinct, depth: result.depth }).toEqual(reference);
    });
  }
});
