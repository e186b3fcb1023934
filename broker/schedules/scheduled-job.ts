// The labels a schedule's tick puts on the job it submits (schedule-ticks.ts), and the tick read
// back from a job: a catch-up run is created late, and what is late about it counts from the
// tick it stands for (its policy.deadline: broker/notify/deadline-watch.ts).
import type { Job } from '../core/job.ts';

/** The `trigger` label of a job a schedule started. */
export const SCHEDULE_TRIGGER = 'schedule';

/** The label holding the tick a scheduled job is for (ISO 8601, UTC). */
export const SCHEDULED_FOR_LABEL = 'scheduled-for';

/** The labels of the job submitted for the tick at `tickMs`. */
export function scheduledLabels(tickMs: number): Record<string, string> {
  return { trigger: SCHEDULE_TRIGGER, [SCHEDULED_FOR_LABEL]: new Date(tickMs).toISOString() };
}

/**
 * The tick (ms) a job was submitted for, when a schedule submitted it; undefined for any other
 * job. A tick is never after the job it made: a label saying so is not a tick's.
 */
export function tickOfJob(job: Pick<Job, 'labels' | 'createdAt'>): number | undefined {
  if (job.labels.trigger !== SCHEDULE_TRIGGER) return undefined;
  const tick = Date.parse(job.labels[SCHEDULED_FOR_LABEL] ?? '');
  return Number.isNaN(tick) || tick > Date.parse(job.createdAt) ? undefined : tick;
}
