// Pipeline schedules on BullMQ job schedulers: one per scheduled pipeline, on a queue of its
// own ("schedules", not the job-steps queue). The scheduler's id is the pipeline's name, so
// any number of Sluice processes share one scheduler per pipeline, and BullMQ keeps one job
// waiting for its next tick, named `repeat:<pipeline>:<tick in ms>` (docs/adr/0019-schedules.md).
//
// Each tick's time comes from nextTick (schedule-repeat.ts), not BullMQ's own cron reading, so
// that daylight-saving changes are read as the API's next run times read them.
//
// A scheduler whose definition is unchanged is left alone: upserting it again would replace
// the tick job it has waiting, and that waiting job is how a tick missed while no worker ran
// is run at start (catch-up).
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { OperationalError } from '../core/errors.ts';
import { closeWhenReady } from './close-when-ready.ts';
import { SCHEDULE_SETTINGS } from './schedule-repeat.ts';
import type { Schedule } from '../core/pipeline.ts';
import { canonicalJson } from '../jobs/canonical-json.ts';

export const SCHEDULES_QUEUE = 'schedules';

/** What each tick's job carries: all a worker needs, the same in every process. */
export type TickData = { pipeline: string; schedule: Schedule };

/** The BullMQ job name of a tick. */
const TICK = 'tick';

/**
 * A tick whose handling failed for a reason that may pass (Redis away) is tried again; the
 * idempotency key makes that safe. Finished ticks are not kept: the Sluice job is the record.
 */
const TICK_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 86_400 },
} as const;

type SchedulerState = { pattern?: string | undefined; tz?: string | undefined; template?: { data?: unknown } | undefined };

function isCurrent(scheduler: SchedulerState | undefined, data: TickData): boolean {
  return (
    scheduler !== undefined &&
    scheduler.pattern === data.schedule.cron &&
    scheduler.tz === data.schedule.timezone &&
    canonicalJson(scheduler.template?.data) === canonicalJson(data)
  );
}

export class ScheduleQueue {
  private readonly queue: Queue<TickData>;

  constructor(connection: ConnectionOptions, prefix: string) {
    this.queue = new Queue<TickData>(SCHEDULES_QUEUE, { connection, prefix, settings: SCHEDULE_SETTINGS });
    // Each call reports its own failure; the event needs a listener or it throws (close-when-ready.ts).
    this.queue.on('error', () => undefined);
  }

  /**
   * Makes the queue's schedulers those of `wanted`: adds or updates one per schedule and
   * removes the rest (a pipeline that lost its schedule, or is gone).
   */
  async sync(wanted: TickData[], logger: Logger): Promise<void> {
    const { queue } = this;
    const existing = new Map((await queue.getJobSchedulers(0, -1, true)).map((scheduler) => [scheduler.key, scheduler]));
    const names = new Set(wanted.map((data) => data.pipeline));
    for (const id of existing.keys()) {
      if (names.has(id)) continue;
      await queue.removeJobScheduler(id);
      logger.info({ pipeline: id }, 'schedule removed; the pipeline no longer has one');
    }
    // Removing a scheduler removes the tick job it points at; one left by a race between two
    // processes upserting at once would still be delivered, so it goes too.
    for (const job of await queue.getJobs(['delayed', 'waiting', 'prioritized', 'paused'])) {
      if (job.repeatJobKey && !names.has(job.repeatJobKey)) await job.remove().catch(() => undefined);
    }
    for (const data of wanted) {
      const id = data.pipeline;
      if (isCurrent(existing.get(id), data)) continue;
      try {
        await queue.upsertJobScheduler(id, { pattern: data.schedule.cron, tz: data.schedule.timezone }, { name: TICK, data, opts: TICK_OPTIONS });
      } catch (error) {
        // Another process starting at the same moment may have set the same scheduler first.
        if (isCurrent(await queue.getJobScheduler(id), data)) continue;
        throw new OperationalError(`could not set up the schedule of pipeline "${id}"`, { cause: error });
      }
      logger.info({ pipeline: id, cron: data.schedule.cron, timezone: data.schedule.timezone }, existing.has(id) ? 'schedule updated' : 'schedule added');
    }
  }

  close(): Promise<void> {
    return closeWhenReady(this.queue);
  }
}
