// Delivers the ticks of the schedules queue (schedule-queue.ts) to a handler, one at a time.
// BullMQ gives each tick's job to one worker, and that worker schedules the next tick when it
// takes the job, with the same tick arithmetic as the queue (schedule-repeat.ts). A handler
// that throws has the tick tried again (the job's attempts).
import { Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import { SCHEDULES_QUEUE, type TickData } from './schedule-queue.ts';
import { closeWhenReady } from './close-when-ready.ts';
import { SCHEDULE_SETTINGS } from './schedule-repeat.ts';

/** One tick: its schedule, and its time in ms (the same in every process that sees it). */
export type Tick = TickData & { at: number };

/** A job scheduler names each tick's job `repeat:<scheduler id>:<tick in ms>`. */
const TICK_JOB_ID = /^repeat:.+:(\d+)$/;

export function tickTimeOf(bullJobId: string | undefined): number {
  const millis = TICK_JOB_ID.exec(bullJobId ?? '')?.[1];
  if (millis === undefined) throw new Error(`"${bullJobId}" is not the id of a job scheduler's tick`);
  return Number(millis);
}

/** The tick's time for a log line; a job id that is not a tick's says nothing rather than throw in a listener. */
function scheduledForOf(bullJobId: string | undefined): string | undefined {
  const millis = TICK_JOB_ID.exec(bullJobId ?? '')?.[1];
  return millis === undefined ? undefined : new Date(Number(millis)).toISOString();
}

export type ScheduleWorkerOptions = { connection: ConnectionOptions; prefix: string; logger: Logger };

export class ScheduleWorker {
  private readonly worker: Worker<TickData>;

  constructor(handle: (tick: Tick) => Promise<void>, options: ScheduleWorkerOptions) {
    this.worker = new Worker<TickData>(SCHEDULES_QUEUE, (job: BullJob<TickData>) => handle({ ...job.data, at: tickTimeOf(job.id) }), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 1,
      settings: SCHEDULE_SETTINGS,
    });
    this.worker.on('failed', (job, error) => {
      const fields = { pipeline: job?.data.pipeline, scheduledFor: scheduledForOf(job?.id), attempt: job?.attemptsMade, err: error.message };
      // BullMQ has counted the failed attempt by now: none left means the tick will not run.
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) options.logger.error(fields, 'schedule tick lost: its last attempt failed; no job for this tick');
      else options.logger.warn(fields, 'schedule tick failed; it is tried again');
    });
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'schedule worker error'));
  }

  close(): Promise<void> {
    return closeWhenReady(this.worker);
  }
}
