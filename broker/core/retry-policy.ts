// Exponential backoff between attempts: initial × factor^(attempt-1), capped at max, with
// up to 20 % jitter taken off so that many jobs failing together do not retry together.
import type { Policy } from './pipeline.ts';

export function backoffDelay(policy: Policy['backoff'], failedAttempt: number, random: () => number = Math.random): number {
  const raw = policy.initial * Math.pow(policy.factor, Math.max(0, failedAttempt - 1));
  const capped = Math.min(raw, policy.max);
  return Math.round(capped * (1 - 0.2 * random()));
}

/** Whether a job on `attempt` may try again: `maxAttempts` is the job's own (a manual retry grants a fresh allowance). */
export function hasAttemptsLeft(attempt: number, maxAttempts: number): boolean {
  return attempt < maxAttempts;
}
