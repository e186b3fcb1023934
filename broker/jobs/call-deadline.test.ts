import { describe, expect, it } from 'vitest';
import { DeadlineError } from '../core/errors.ts';
import { withDeadline } from './call-deadline.ts';

const DAY = 86_400_000;

describe('withDeadline', () => {
  it('gives up on a call that outlives its deadline, aborting its signal', async () => {
    let aborted: unknown;
    const call = (signal: AbortSignal) => new Promise<never>(() => signal.addEventListener('abort', () => (aborted = signal.reason)));
    await expect(withDeadline('sink: load()', 20, call)).rejects.toBeInstanceOf(DeadlineError);
    expect(aborted).toBeInstanceOf(DeadlineError);
  });

  it('keeps a deadline of days (a loading timeout of 30d): longer than one timer can wait, it is not reached at once', async () => {
    const answer = await withDeadline('sink: load()', 30 * DAY, () => new Promise<string>((resolve) => setTimeout(() => resolve('loaded'), 50)));
    expect(answer).toBe('loaded');
  });
});
