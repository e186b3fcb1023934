import { describe, expect, it } from 'vitest';
import type { Job, JobState } from '../core/job.ts';
import { transition } from '../core/state-machine.ts';
import { createMetrics, type MetricsSources } from './metrics.ts';

/** The job store as the metrics see it: a listener list and counts. */
class FakeStore {
  readonly listeners: Array<(job: Job, previous: Job) => void> = [];
  counts: Record<string, number> = { queued: 2, running: 1 };
  countByState = async () => this.counts as Record<JobState, number>;
  onTransition(listener: (job: Job, previous: Job) => void): void {
    this.listeners.push(listener);
  }
  /** What the real store does after a write: tell the listeners. */
  write(previous: Job, next: Job): Job {
    for (const listener of this.listeners) listener(next, previous);
    return next;
  }
}

const t0 = Date.parse('2026-12-01T00:00:00Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000);

function newJob(): Job {
  const iso = at(0).toISOString();
  return {
    id: 'j1',
    pipeline: 'meter-daily',
    state: 'queued',
    attempt: 1,
    maxAttempts: 3,
    priority: 10,
    parameters: {},
    inputs: [],
    labels: {},
    createdAt: iso,
    updatedAt: iso,
    history: [{ state: 'queued', at: iso, attempt: 1, reason: 'submitted' }],
  };
}

function setup(extra: Partial<MetricsSources> = {}) {
  const store = new FakeStore();
  const metrics = createMetrics({ store, queues: { counts: async () => ({ counts: { waiting: 4, delayed: 1 } }) }, ...extra });
  const read = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
  return { store, metrics, read };
}

describe('stage durations', () => {
  it('observe the time spent in each state left, by stage and pipeline', async () => {
    const { store, read } = setup();
    let job = newJob();
    job = store.write(job, transition(job, 'launching', at(3)));
    job = store.write(job, transition(job, 'running', at(4)));
    store.write(job, transition(job, 'succeeded', at(64)));
    const sums = (await read('sluice_stage_duration_seconds')).filter((value) => (value as { metricName?: string }).metricName === 'sluice_stage_duration_seconds_sum');
    const byStage = Object.fromEntries(sums.map((value) => [value.labels.stage, value.value]));
    expect(byStage).toEqual({ queued: 3, launching: 1, running: 60 });
    expect(sums.every((value) => value.labels.pipeline === 'meter-daily')).toBe(true);
  });
});

describe('retries and failures', () => {
  it('count a failed stage scheduled for another attempt as a retry of its class and stage', async () => {
    const { store, read } = setup();
    let job = newJob();
    job = store.write(job, transition(job, 'launching', at(1)));
    job = store.write(job, transition(job, 'running', at(2)));
    const failure = { class: 'platform' as const, message: 'driver died', stage: 'running' as const, attempt: 1 };
    store.write(job, transition(job, 'queued', at(3), 'retry', { attempt: 2, failure, retryAt: at(8).toISOString() }));
    expect(await read('sluice_job_retries_total')).toEqual([expect.objectContaining({ value: 1, labels: { pipeline: 'meter-daily', class: 'platform', stage: 'running' } })]);
    expect(await read('sluice_job_failures_total')).toEqual([]);
  });

  it('count a load retried in place (loading → loading) as a retry', async () => {
    const { store, read } = setup();
    const loading: Job = { ...newJob(), state: 'loading', history: [{ state: 'loading', at: at(0).toISOString(), attempt: 1 }] };
    const failure = { class: 'timeout' as const, message: 'slow', stage: 'loading' as const, attempt: 1 };
    store.write(loading, transition(loading, 'loading', at(5), 'load retry', { attempt: 2, failure, retryAt: at(10).toISOString() }));
    expect(await read('sluice_job_retries_total')).toEqual([expect.objectContaining({ value: 1, labels: { pipeline: 'meter-daily', class: 'timeout', stage: 'loading' } })]);
  });

  it('count a job that ends failed or cancelled by its failure class, and a retry by request as neither', async () => {
    const { store, read } = setup();
    let job = newJob();
    job = store.write(job, transition(job, 'launching', at(1)));
    const failure = { class: 'user' as const, message: 'bad S3A jar', stage: 'launching' as const, attempt: 1 };
    job = store.write(job, transition(job, 'failed', at(2), 'user', { failure }));
    // POST /retry: a new attempt, but no failed stage of this job is being retried by policy.
    const { failure: _gone, ...rest } = job;
    job = store.write(job, transition(rest as Job, 'queued', at(3), 'retried by request', { attempt: 2 }));
    const cancelled = { class: 'cancelled' as const, message: 'cancelled by request', stage: 'queued' as const, attempt: 2 };
    store.write(job, transition(job, 'cancelled', at(4), 'cancelled', { failure: cancelled }));
    const values = await read('sluice_job_failures_total');
    expect(Object.fromEntries(values.map((value) => [value.labels.class, value.value]))).toEqual({ user: 1, cancelled: 1 });
    expect(await read('sluice_job_retries_total')).toEqual([]);
  });
});

describe('gauges read on scrape', () => {
  it('show jobs, queue depth and landings by state', async () => {
    const { metrics } = setup({ landings: { countByState: async () => ({ ready: 3, quarantined: 1 }) } });
    const text = await metrics.registry.metrics();
    expect(text).toContain('sluice_jobs{state="queued"} 2');
    expect(text).toContain('sluice_queue_depth{state="waiting"} 4');
    expect(text).toContain('sluice_landings{state="ready"} 3');
    expect(text).toContain('sluice_landings{state="quarantined"} 1');
  });

  it('leave a gauge empty, and still answer, when its read fails (Redis away)', async () => {
    const { store, metrics } = setup({ landings: { countByState: () => Promise.reject(new Error('connection lost')) } });
    store.countByState = () => Promise.reject(new Error('connection lost'));
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/^sluice_jobs\{/m);
    expect(text).not.toMatch(/^sluice_landings\{/m);
    expect(text).toContain('sluice_queue_depth{state="waiting"} 4');
  });

  it('do not hold a scrape longer than their read timeout when a read hangs', async () => {
    const { store, metrics } = setup();
    store.countByState = () => new Promise(() => undefined);
    const started = performance.now();
    const text = await metrics.registry.metrics();
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(text).toContain('sluice_queue_depth{state="waiting"} 4');
    expect(text).not.toMatch(/^sluice_jobs\{/m);
  });
});

describe('counters fed by the roles', () => {
  it('count loads (rows and seconds by pipeline, sink and result), quarantines, submits and the process roles', async () => {
    const { metrics } = setup({ roles: ['worker', 'watch'] });
    metrics.recordLoad({ pipeline: 'p', sink: 'reporting:dbo.T', result: 'loaded', rows: 120, seconds: 0.4 });
    metrics.recordLoad({ pipeline: 'p', sink: 'reporting:dbo.T', result: 'already-loaded', rows: 120, seconds: 0.01 });
    metrics.recordQuarantine(2);
    metrics.recordSubmission('p', 'created');
    const text = await metrics.registry.metrics();
    expect(text).toContain('sluice_sql_load_rows_total{pipeline="p",sink="reporting:dbo.T",result="loaded"} 120');
    expect(text).toContain('sluice_sql_load_duration_seconds_count{pipeline="p",sink="reporting:dbo.T",result="already-loaded"} 1');
    expect(text).toContain('sluice_landings_quarantined_total 2');
    expect(text).toContain('sluice_jobs_submitted_total{pipeline="p",result="created"} 1');
    expect(text).toContain('sluice_process_roles{role="worker"} 1');
    expect(text).toContain('sluice_process_roles{role="watch"} 1');
  });

  it('keep two processes\' worth of metrics apart (one registry each, never the global one)', async () => {
    const a = setup();
    const b = setup();
    a.metrics.recordQuarantine(1);
    expect(await b.metrics.registry.metrics()).toContain('sluice_landings_quarantined_total 0');
  });
});
