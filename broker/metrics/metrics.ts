// Sluice's Prometheus metrics on a registry of their own (never prom-client's global one, so
// that two apps in one process, e.g. tests, do not collide). Gauges are read on scrape;
// the stage histogram is fed by the job store's transition listener; the submit counter
// by the API through recordSubmission().
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, JobState } from '../core/job.ts';

export type MetricsSources = {
  store: {
    countByState(): Promise<Record<JobState, number>>;
    onTransition(listener: (job: Job, previous: Job) => void): void;
  };
  queues: { counts(): Promise<{ counts: Record<string, number> }> };
};

/** Seconds spent in a state, from stage entry to exit: short launches up to long Spark runs. */
const STAGE_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600];

export type SluiceMetrics = {
  registry: Registry;
  /** Counts one accepted submit. */
  recordSubmission(pipeline: string, result: 'created' | 'replayed'): void;
};

export function createMetrics(sources: MetricsSources): SluiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'sluice_jobs',
    help: 'Jobs by state, as held in the job store.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await sources.store.countByState();
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });

  new Gauge({
    name: 'sluice_queue_depth',
    help: 'Steps in the work queue by queue state (waiting, prioritized, active, delayed, failed, paused).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const view = await sources.queues.counts();
      for (const [state, count] of Object.entries(view.counts)) this.set({ state }, count);
    },
  });

  const stageDuration = new Histogram({
    name: 'sluice_stage_duration_seconds',
    help: 'Time a job spent in a state before leaving it; `stage` is the state left.',
    labelNames: ['stage', 'pipeline'] as const,
    buckets: STAGE_BUCKETS,
    registers: [registry],
  });
  sources.store.onTransition((job, previous) => {
    const seconds = stageSeconds(job, previous);
    if (seconds !== undefined) stageDuration.observe({ stage: previous.state, pipeline: job.pipeline }, seconds);
  });

  const submitted = new Counter({
    name: 'sluice_jobs_submitted_total',
    help: 'Accepted submits by pipeline; result is created (a new job) or replayed (an idempotent repeat).',
    labelNames: ['pipeline', 'result'] as const,
    registers: [registry],
  });

  return { registry, recordSubmission: (pipeline, result) => submitted.inc({ pipeline, result }) };
}

/** Seconds between entering the previous state (its last history entry) and the new entry. */
export function stageSeconds(job: Job, previous: Job): number | undefined {
  const entered = [...previous.history].reverse().find((change) => change.state === previous.state);
  const left = job.history.at(-1);
  if (!entered || !left) return undefined;
  const ms = Date.parse(left.at) - Date.parse(entered.at);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}
