// Schedules in a worker process: the job schedulers brought in line with the loaded
// pipelines, then a worker that turns ticks into jobs. A process whose pipelines have no
// schedule only removes schedulers left from before, and runs no schedule worker.
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { JobsService } from '../jobs/jobs-service.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { ScheduleQueue, type TickData } from '../queue/schedule-queue.ts';
import { ScheduleWorker } from '../queue/schedule-worker.ts';
import { ScheduleTicks } from './schedule-ticks.ts';

export type SchedulesOptions = {
  connection: RedisOptions;
  prefix: string;
  pipelines: PipelineRegistry;
  jobs: JobsService;
  logger: Logger;
};

export type RunningSchedules = { close(): Promise<void> };

export async function startSchedules(options: SchedulesOptions): Promise<RunningSchedules> {
  const { connection, prefix, pipelines, jobs, logger } = options;
  const wanted: TickData[] = pipelines.list().flatMap((pipeline) => (pipeline.schedule ? [{ pipeline: pipeline.name, schedule: pipeline.schedule }] : []));
  const queue = new ScheduleQueue(connection, prefix);
  try {
    await queue.sync(wanted, logger);
  } catch (error) {
    await queue.close();
    throw error;
  }
  const ticks = new ScheduleTicks({ jobs, pipelines, logger });
  const worker = wanted.length > 0 ? new ScheduleWorker((tick) => ticks.handle(tick), { connection, prefix, logger }) : undefined;
  return {
    async close() {
      await worker?.close();
      await queue.close();
    },
  };
}
