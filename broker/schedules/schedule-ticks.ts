// Turns each tick of a pipeline's schedule into one Sluice job. BullMQ delivers each tick to
// one worker; the idempotency key, made from the pipeline and the tick time, is the second
// guard: a tick delivered twice (a stalled worker, a retry after a lost reply) finds the job
// the first delivery made.
import type { Logger } from 'pino';
import { UserError } from '../core/errors.ts';
import { failureOf } from '../core/failure-of.ts';
import type { JobsService } from '../jobs/jobs-service.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import type { Tick } from '../queue/schedule-worker.ts';
import { isMissedTick, MISSED_TICK_TOLERANCE_MS } from './schedule-times.ts';
import { scheduledLabels } from './scheduled-job.ts';

/** Keeps schedule ticks' idempotency keys apart from the API's and the watchers'. */
const SCHEDULER_SCOPE = 'scheduler';

const scheduleIdempotencyKey = (pipeline: string, tickIso: string): string => `schedule:${pipeline}:${tickIso}`;

export type ScheduleTicksDeps = { jobs: JobsService; pipelines: PipelineRegistry; logger: Logger; now?: () => number };

export class ScheduleTicks {
  private readonly now: () => number;

  constructor(private readonly deps: ScheduleTicksDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Submits the tick's job; throws only for what may pass (the tick is then tried again). */
  async handle(tick: Tick): Promise<void> {
    const { logger, jobs } = this.deps;
    const { pipeline, schedule } = tick;
    const scheduledFor = new Date(tick.at).toISOString();
    const lateMs = this.now() - tick.at;
    // A tick of a schedule this process does not have (removed, while a tick was on its way).
    if (!this.deps.pipelines.get(pipeline)?.schedule) {
      logger.warn({ pipeline, scheduledFor }, 'schedule tick for a pipeline without a schedule skipped');
      return;
    }
    if (schedule.catchup === 'none' && isMissedTick(schedule, tick.at, this.now())) {
      logger.info({ pipeline, scheduledFor, lateMs }, 'missed schedule tick skipped (catchup: none)');
      return;
    }
    // One such job however many ticks were missed: BullMQ keeps one tick job per scheduler,
    // and schedules the next tick from now when a worker takes this one.
    if (lateMs > MISSED_TICK_TOLERANCE_MS) logger.info({ pipeline, scheduledFor, lateMs }, 'running a missed schedule tick once (catchup: latest)');
    try {
      const { job, created } = await jobs.submit(
        { pipeline, parameters: schedule.params, labels: scheduledLabels(tick.at) },
        { idempotencyKey: scheduleIdempotencyKey(pipeline, scheduledFor), scope: SCHEDULER_SCOPE },
      );
      logger.info({ pipeline, scheduledFor, jobId: job.id, traceId: job.traceId }, created ? 'scheduled job submitted' : 'schedule tick already had its job');
    } catch (error) {
      const reading = failureOf(error);
      // Trying again would be refused the same way: said once, and the tick is done.
      if (!reading.retry) {
        // The details say which path or parameter, and which setting; the message alone does not.
        const details = error instanceof UserError && error.details.length > 0 ? { details: error.details } : {};
        logger.error({ pipeline, scheduledFor, err: reading.message, ...details }, 'schedule tick refused; no job for this tick');
        return;
      }
      throw error;
    }
  }
}
