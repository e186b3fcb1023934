import { describe, expect, it } from 'vitest';
import { JOB_STATES, isFinal, type Job, type JobState } from './job.ts';
import { IllegalTransitionError, canTransition, currentStage, isRetryable, transition } from './state-machine.ts';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const T1 = new Date('2025-01-01T00:01:00.000Z');

const job = (state: JobState, attempt = 1): Job => ({
  id: 'j0000000000000000a',
  pipeline: 'daily-orders',
  state,
  attempt,
  maxAttempts: 3,
  priority: 10,
  parameters: {},
  inputs: ['/landing/a.parquet'],
  labels: {},
  createdAt: T0.toISOString(),
  updatedAt: T0.toISOString(),
  history: [{ state: 'queued', at: T0.toISOString(), attempt: 1, reason: 'submitted' }],
});

const ALLOWED: [JobState, JobState][] = [
  ['queued', 'launching'],
  ['launching', 'running'],
  ['running', 'loading'],
  ['running', 'succeeded'],
  ['loading', 'succeeded'],
  ['launching', 'queued'],
  ['running', 'queued'],
  ['loading', 'queued'],
  ['failed', 'queued'],
  ['cancelled', 'queued'],
];
const NON_FINAL: JobState[] = ['queued', 'launching', 'running', 'loading'];

describe('transitions', () => {
  it.each(ALLOWED)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(transition(job(from), to, T1).state).toBe(to);
  });

  it.each(NON_FINAL)('lets %s fail or be cancelled', (from) => {
    expect(canTransition(from, 'failed')).toBe(true);
    expect(canTransition(from, 'cancelled')).toBe(true);
  });

  it.each(JOB_STATES)('never lets succeeded go to %s', (to) => {
    expect(canTransition('succeeded', to)).toBe(false);
    expect(() => transition(job('succeeded'), to, T1)).toThrow(IllegalTransitionError);
  });

  it.each([
    ['queued', 'running'],
    ['queued', 'succeeded'],
    ['queued', 'queued'],
    ['launching', 'loading'],
    ['failed', 'running'],
    ['failed', 'succeeded'],
    ['cancelled', 'launching'],
    ['failed', 'cancelled'],
  ] as [JobState, JobState][])('forbids %s → %s, saying both', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let thrown: unknown;
    try {
      transition(job(from), to, T1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IllegalTransitionError);
    expect(thrown).toMatchObject({ from, to, message: `a job cannot go from ${from} to ${to}` });
  });

  it('appends to the history with time, attempt and reason, and stamps updatedAt', () => {
    const before = job('queued');
    const after = transition(before, 'launching', T1, 'slot free');
    expect(after.history).toEqual([...before.history, { state: 'launching', at: T1.toISOString(), attempt: 1, reason: 'slot free' }]);
    expect(after.updatedAt).toBe(T1.toISOString());
    expect(after.createdAt).toBe(T0.toISOString());
  });

  it('records no reason key when none is given', () => {
    const after = transition(job('queued'), 'launching', T1);
    expect(after.history.at(-1)).not.toHaveProperty('reason');
  });

  it('records the attempt from the patch, so a retry shows the new attempt', () => {
    const after = transition(job('failed', 1), 'queued', T1, 'retry requested', { attempt: 2 });
    expect(after.attempt).toBe(2);
    expect(after.history.at(-1)).toEqual({ state: 'queued', at: T1.toISOString(), attempt: 2, reason: 'retry requested' });
  });

  it('does not change the job it was given', () => {
    const before = job('queued');
    const copy = structuredClone(before);
    transition(before, 'launching', T1, 'slot free', { priority: 1 });
    expect(before).toEqual(copy);
  });

  it('ends a scheduled retry with the state that set it, unless the patch schedules another', () => {
    const waiting = { ...job('queued'), retryAt: '2030-01-01T00:00:00.000Z' };
    expect(transition(waiting, 'cancelled', T1).retryAt).toBeUndefined();
    expect(transition(waiting, 'launching', T1).retryAt).toBeUndefined();
    expect(transition({ ...waiting, state: 'loading' }, 'loading', T1, 'retry', { retryAt: '2031-01-01T00:00:00.000Z' }).retryAt).toBe('2031-01-01T00:00:00.000Z');
  });

  it('ends the progress of a running SQL load with the attempt: a load retried, failed or cancelled shows none', () => {
    const loading = { ...job('loading'), loadProgress: [{ sink: 'reporting:totals', phase: 'staging' as const, rowsStaged: 10, rowsTotal: 100, updatedAt: T1.toISOString() }] };
    for (const to of ['loading', 'failed', 'cancelled', 'succeeded'] as const) expect(transition(loading, to, T1).loadProgress).toBeUndefined();
  });

  it('does not let a patch override the state or the history', () => {
    const after = transition(job('queued'), 'launching', T1, undefined, { state: 'succeeded', history: [] });
    expect(after.state).toBe('launching');
    expect(after.history).toHaveLength(2);
  });
});

describe('classes and stages', () => {
  it('retries platform failures and timeouts only', () => {
    expect(isRetryable('platform')).toBe(true);
    expect(isRetryable('timeout')).toBe(true);
    expect(isRetryable('user')).toBe(false);
    expect(isRetryable('data')).toBe(false);
    expect(isRetryable('cancelled')).toBe(false);
  });

  it('treats succeeded, failed and cancelled as terminal', () => {
    expect(JOB_STATES.filter(isFinal)).toEqual(['succeeded', 'failed', 'cancelled']);
  });

  it.each([
    ['queued', 'queue'],
    ['launching', 'launch'],
    ['running', 'await'],
    ['loading', 'load'],
    ['succeeded', 'done'],
    ['failed', 'done'],
    ['cancelled', 'done'],
  ] as [JobState, string][])('shows %s as stage %s', (state, stage) => {
    expect(currentStage(job(state))).toBe(stage);
  });
});
