import { describe, expect, it } from 'vitest';
import { backoffDelay, hasAttemptsLeft } from './retry-policy.ts';

const backoff = { initial: 1_000, max: 10_000, factor: 3 };
const noJitter = () => 0;
const fullJitter = () => 1;

describe('backoffDelay', () => {
  it('starts at initial and grows by factor per failed attempt', () => {
    expect([1, 2, 3].map((attempt) => backoffDelay(backoff, attempt, noJitter))).toEqual([1_000, 3_000, 9_000]);
  });

  it('is capped at max', () => {
    expect(backoffDelay(backoff, 4, noJitter)).toBe(10_000);
    expect(backoffDelay(backoff, 50, noJitter)).toBe(10_000);
    expect(backoffDelay(backoff, 5_000, noJitter)).toBe(10_000);
  });

  it('treats attempt 0 like attempt 1', () => {
    expect(backoffDelay(backoff, 0, noJitter)).toBe(1_000);
  });

  it('takes at most 20 % off with jitter, and never adds', () => {
    expect(backoffDelay(backoff, 2, fullJitter)).toBe(2_400);
    expect(backoffDelay(backoff, 9, fullJitter)).toBe(8_000);
    expect(backoffDelay(backoff, 2, () => 0.5)).toBe(2_700);
  });

  it('stays within [80 %, 100 %] of the capped delay with the default random source', () => {
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelay(backoff, 3);
      expect(delay).toBeGreaterThanOrEqual(7_200);
      expect(delay).toBeLessThanOrEqual(9_000);
    }
  });

  it('is constant with factor 1', () => {
    expect(backoffDelay({ initial: 500, max: 10_000, factor: 1 }, 7, noJitter)).toBe(500);
  });
});

describe('hasAttemptsLeft', () => {
  it('allows attempts below the maximum and none at or past it', () => {
    expect(hasAttemptsLeft(1, 3)).toBe(true);
    expect(hasAttemptsLeft(2, 3)).toBe(true);
    expect(hasAttemptsLeft(3, 3)).toBe(false);
    expect(hasAttemptsLeft(4, 3)).toBe(false);
  });

  it('gives a single-attempt policy no retry', () => {
    expect(hasAttemptsLeft(1, 1)).toBe(false);
  });
});
