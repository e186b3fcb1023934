// Sluice's Prometheus metrics on a registry of their own (never prom-client's global one, so
// that two Sluices in one process, e.g. tests, do not collide). Every process builds one, for
// whatever roles it runs (docs/adr/0013-metrics-per-process-and-trace-ids.md):
// - events are counted where they happen: stage durations, retries and failures by the job
//   store's transition listener (it fires in the process that wrote the transition), loads
//   by the worker's sinks, quarantines by the landing ledger, submits by the API;
// - gauges (jobs, queue, landings by state) are read from Redis on scrape, so every process
//   shows the same shared value: aggregate them with max(), never sum().
import type { LoadEvent } from '../../sql-sinks/observed-sinks.ts';
import { withDeadline } from '../jobs/call-deadline.ts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isFinal, type Job, type JobState } from '../core/job.ts';

export type MetricsSources = {
  store: {
    countByState(): Promise<Record<JobState, number>>;
    onTransition(listener: (job: Job, previous: Job) => void): void;
  };
  queues: { counts(): Promise<{ counts: Record<string, number> }> };
  /** The landing ledger, read on scrape. */
  landings?: { countByState(): Promise<Record<string, number>> };
  /** The roles this process runs, shown by sluice_process_roles (e.g. ['api', 'worker']). */
  roles?: readonly string[];
};

/** Seconds spent in a state, from stage entry to exit: short launches up to long Spark runs. */
const STAGE_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600];
/** Seconds a SQL load takes: a ledger hit in milliseconds up to a large run's half hour. */
const LOAD_BUCKETS = [0.01, 0.05, 0.25, 1, 5, 15, 60, 300, 900, 1800, 3600];


export type SluiceMetrics = {
  registry: Registry;
  /** Counts one accepted submit. */
  recordSubmission(pipeline: string, result: 'created' | 'replayed'): void;
  /** Counts one SQL load, its rows and its time. */
  recordLoad(load: LoadEvent): void;
  /** Counts landings moved to quarantine. */
  recordQuarantine(count: number): void;
};

/** How often the event loop's delay is sampled for nodejs_eventloop_lag_* (prom-client's default: 10 ms). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(sources: MetricsSources): SluiceMetrics {
  const registry = new Registry();
  // The event loop's delay is sampled every 100 ms, not prom-client's default 10 ms: a timer
  // waking the process 100 times a second cost an idle watcher about 0.4 % of a core (measured:
  // an idle Node process 0.80 % at 10 ms, 0.40 % at 100 ms, 0.29 % without), and a loop blocked
  // long enough to matter still shows in nodejs_eventloop_lag_* at this resolution.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

  const roles = new Gauge({
    name: 'sluice_process_roles',
    help: 'The roles this process runs (1 per role); join on instance to tell the processes apart.',
    labelNames: ['role'] as const,
    registers: [registry],
  });
  for (const role of sources.roles ?? []) roles.set({ role }, 1);

  new Gauge({
    name: 'sluice_jobs',
    help: 'Jobs by state, as held in the job store (shared by all processes: aggregate with max, not sum).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      await readInto(this, () => sources.store.countByState());
    },
  });

  new Gauge({
    name: 'sluice_queue_depth',
    help: 'Steps in the work queue by queue state (waiting, prioritized, active, delayed, failed, paused); shared by all processes: aggregate with max.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      await readInto(this, async () => (await sources.queues.counts()).counts);
    },
  });

  const landings = sources.landings;
  if (landings) {
    new Gauge({
      name: 'sluice_landings',
      help: 'Landed files by ledger state (seen, ready, batched, done, quarantined); shared by all processes: aggregate with max, not sum.',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        await readInto(this, () => landings.countByState());
      },
    });
  }

  const stageDuration = new Histogram({
    name: 'sluice_stage_duration_seconds',
    help: 'Time a job spent in a state before leaving it; `stage` is the state left. Observed by the process that made the transition: sum over processes.',
    labelNames: ['stage', 'pipeline'] as const,
    buckets: STAGE_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'sluice_job_retries_total',
    help: 'Failed stages scheduled for another attempt, by pipeline, failure class and the stage that failed.',
    labelNames: ['pipeline', 'class', 'stage'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'sluice_job_failures_total',
    help: 'Jobs that ended failed or cancelled, by pipeline and failure class (user, data, platform, timeout, cancelled).',
    labelNames: ['pipeline', 'class'] as const,
    registers: [registry],
  });
  sources.store.onTransition((job, previous) => {
    const seconds = stageSeconds(job, previous);
    if (seconds !== undefined) stageDuration.observe({ stage: previous.state, pipeline: job.pipeline }, seconds);
    const failure = job.failure;
    if (!failure) return;
    if (isRetryTransition(job, previous)) retries.inc({ pipeline: job.pipeline, class: failure.class, stage: failure.stage });
    else if ((job.state === 'failed' || job.state === 'cancelled') && !isFinal(previous.state)) failures.inc({ pipeline: job.pipeline, class: failure.class });
  });

  const submitted = new Counter({
    name: 'sluice_jobs_submitted_total',
    help: 'Accepted submits by pipeline; result is created (a new job) or replayed (an idempotent repeat).',
    labelNames: ['pipeline', 'result'] as const,
    registers: [registry],
  });

  const loadRows = new Counter({
    name: 'sluice_sql_load_rows_total',
    help: 'Rows of committed runs loaded into SQL tables, by pipeline, sink (connection:table) and result (loaded, already-loaded, failed).',
    labelNames: ['pipeline', 'sink', 'result'] as const,
    registers: [registry],
  });
  const loadSeconds = new Histogram({
    name: 'sluice_sql_load_duration_seconds',
    help: 'Time one SQL load took, by pipeline, sink and result (its count is the number of loads).',
    labelNames: ['pipeline', 'sink', 'result'] as const,
    buckets: LOAD_BUCKETS,
    registers: [registry],
  });

  const quarantined = new Counter({
    name: 'sluice_landings_quarantined_total',
    help: 'Landed files moved to quarantine (corrupt or not matching the pipeline) by this process.',
    registers: [registry],
  });

  return {
    registry,
    recordSubmission: (pipeline, result) => submitted.inc({ pipeline, result }),
    recordLoad({ pipeline, sink, result, rows, seconds }) {
      loadRows.inc({ pipeline, sink, result }, rows);
      loadSeconds.observe({ pipeline, sink, result }, seconds);
    },
    recordQuarantine: (count) => quarantined.inc(count),
  };
}

/** How long a scrape waits for a gauge's read from Redis before leaving that gauge out. */
const READ_TIMEOUT_MS = 2_000;

/**
 * Sets a by-state gauge from a read on scrape. While Redis is away the read fails or waits:
 * the gauge is then left empty (no stale numbers) and the rest of the scrape still answers.
 */
async function readInto(gauge: Gauge<'state'>, read: () => Promise<Record<string, number>>): Promise<void> {
  try {
    const counts = await withDeadline('metrics: gauge read', READ_TIMEOUT_MS, () => read());
    gauge.reset();
    for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
  } catch {
    gauge.reset();
  }
}

/**
 * A failed stage that will be tried again: the job moves on to the next attempt with a
 * retry scheduled (queued, or loading again for a load). POST /retry sets no retryAt.
 */
export function isRetryTransition(job: Job, previous: Job): boolean {
  return job.retryAt !== undefined && job.failure !== undefined && job.attempt === previous.attempt + 1 && !isFinal(previous.state);
}

/** Seconds between entering the previous state (its last history entry) and the new entry. */
export function stageSeconds(job: Job, previous: Job): number | undefined {
  const entered = [...previous.history].reverse().find((change) => change.state === previous.state);
  const left = job.history.at(-1);
  if (!entered || !left) return undefined;
  const ms = Date.parse(left.at) - Date.parse(entered.at);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}
