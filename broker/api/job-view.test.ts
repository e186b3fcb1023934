// The JobView of a job whose SQL load runs: its progress is shown, as the document describes
// it, while the job is loading, and never in another state.
import { describe, expect, it } from 'vitest';
import type { Job } from '../core/job.ts';
import { jobRecord } from '../../test/harness/job-record.ts';
import { jobView, JobViewSchema } from './job-view.ts';

const at = '2026-03-01T00:00:00.000Z';
const running = { sink: 'warehouse:dbo.totals', phase: 'staging' as const, rowsStaged: 4_200_000, rowsTotal: 10_000_000, updatedAt: at };
const job = (state: Job['state']): Job => ({ ...jobRecord('j1', 'to-sql', state, Date.parse(at)), loadProgress: [running] });

describe('jobView: a SQL load in progress', () => {
  it('is shown while the job is loading, in the shape the OpenAPI document gives', () => {
    const view = jobView(job('loading'));
    expect(view.loadProgress).toEqual([running]);
    expect(JobViewSchema.parse(view)).toEqual(view);
  });

  it('is never shown in another state (a record written before the transition cleared it)', () => {
    for (const state of ['running', 'succeeded', 'failed', 'cancelled'] as const) expect(jobView(job(state))).not.toHaveProperty('loadProgress');
  });
});

describe('jobView: a cancel asked for', () => {
  it('is shown until the worker has stopped the job, and not once it is final', () => {
    const asked = (state: Job['state']): Job => ({ ...jobRecord('j1', 'to-sql', state, Date.parse(at)), cancelRequested: true });
    for (const state of ['launching', 'running', 'loading'] as const) {
      const view = jobView(asked(state));
      expect(view.cancelRequested).toBe(true);
      expect(JobViewSchema.parse(view)).toEqual(view);
    }
    for (const state of ['cancelled', 'failed', 'succeeded'] as const) expect(jobView(asked(state))).not.toHaveProperty('cancelRequested');
    expect(jobView(jobRecord('j1', 'to-sql', 'running', Date.parse(at)))).not.toHaveProperty('cancelRequested');
  });
});
