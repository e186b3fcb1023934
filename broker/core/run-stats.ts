// Runs per pipeline over a recent window, as the overview shows them: outcome counts, the
// p50 and p95 of how long a job took from submit to its final state, and a trend of outcomes
// per hour. Pure: the caller reads the finished jobs (broker/jobs/job-store.ts finishedIn)
// and passes what it found.
import type { JobState } from './job.ts';

export const HOUR_MS = 3_600_000;

/** One finished job as the summary needs it. */
export type FinishedRun = {
  pipeline: string;
  state: JobState;
  createdAtMs: number;
  /** When the job reached its final state (the `finished` index's score). */
  finishedAtMs: number;
};

/** `hours` one-hour buckets ending at `untilMs`, oldest first. */
export type RunWindow = { untilMs: number; hours: number };

export type PipelineRuns = {
  pipeline: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Of the succeeded and failed jobs (a cancelled one says nothing about how long a run takes); null when there were none. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** One count per hour bucket, oldest first. */
  trend: { succeeded: number[]; failed: number[] };
};

/**
 * The value at rank ceil(q·n) of the sorted values (the nearest-rank percentile: always one of
 * the values, so a p95 of a handful of runs is a run that happened, not an interpolation).
 * Null for no values.
 */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The bucket a finish time falls in, or -1 outside the window (buckets are [start, end)). */
export function hourBucket(finishedAtMs: number, window: RunWindow): number {
  const fromMs = window.untilMs - window.hours * HOUR_MS;
  if (finishedAtMs < fromMs || finishedAtMs > window.untilMs) return -1;
  // A job finished exactly at `untilMs` belongs to the last bucket.
  return Math.min(window.hours - 1, Math.floor((finishedAtMs - fromMs) / HOUR_MS));
}

/**
 * The runs of each pipeline in `pipelines` (listed even without runs, so a quiet pipeline
 * shows as quiet) and of any other pipeline that has runs in the window, sorted by name.
 * Runs outside the window, or in a state that is not final, are ignored.
 */
export function summarizeRuns(runs: readonly FinishedRun[], window: RunWindow, pipelines: readonly string[] = []): PipelineRuns[] {
  const byPipeline = new Map<string, { row: PipelineRuns; durations: number[] }>();
  const entry = (pipeline: string) => {
    let found = byPipeline.get(pipeline);
    if (!found) {
      const zeros = () => new Array<number>(window.hours).fill(0);
      found = { row: { pipeline, succeeded: 0, failed: 0, cancelled: 0, p50Ms: null, p95Ms: null, trend: { succeeded: zeros(), failed: zeros() } }, durations: [] };
      byPipeline.set(pipeline, found);
    }
    return found;
  };
  for (const name of pipelines) entry(name);
  for (const run of runs) {
    const bucket = hourBucket(run.finishedAtMs, window);
    if (bucket === -1) continue;
    if (run.state !== 'succeeded' && run.state !== 'failed' && run.state !== 'cancelled') continue;
    const { row, durations } = entry(run.pipeline);
    row[run.state] += 1;
    if (run.state === 'cancelled') continue;
    row.trend[run.state][bucket]! += 1;
    durations.push(Math.max(0, run.finishedAtMs - run.createdAtMs));
  }
  return [...byPipeline.values()]
    .map(({ row, durations }) => {
      const sorted = durations.sort((a, b) => a - b);
      return { ...row, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) };
    })
    .sort((a, b) => (a.pipeline < b.pipeline ? -1 : a.pipeline > b.pipeline ? 1 : 0));
}
