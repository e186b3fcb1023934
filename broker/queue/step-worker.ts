// The step worker: runs job steps from the "jobs" queue. A step never holds its BullMQ lock
// for the length of a Spark run: when JobSteps says "wait", the BullMQ job moves to delayed
// (BullMQ's step-job pattern) and the worker is free; a launcher event or a cancel promotes
// it early.
import { DelayedError, Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { JobSteps } from '../jobs/job-steps.ts';
import type { StoredJob } from '../jobs/job-store.ts';
import { JOBS_QUEUE, STEP_ATTEMPTS, stepBackoff } from './bull-job-queue.ts';

/** Transitions one delivery may make before handing back, so one job cannot hog a worker. */
const MAX_TRANSITIONS_PER_DELIVERY = 12;

export type StepWorkerOptions = {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  logger: Logger;
  /** Called when a step failed for good after all BullMQ retries (a bug or a long outage). */
  onStepGaveUp: (jobId: string, error: Error) => Promise<void>;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
};

export class StepWorker {
  readonly worker: Worker;

  constructor(
    private readonly steps: JobSteps,
    private readonly options: StepWorkerOptions,
  ) {
    this.worker = new Worker(JOBS_QUEUE, (job, token) => this.process(job, token), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      // A stalled step is simply run again: every step is re-entrant.
      maxStalledCount: 1_000,
      settings: { backoffStrategy: (attemptsMade: number) => stepBackoff(attemptsMade) },
    });
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      options.logger.error({ jobId: job.id, err: error, attemptsMade: job.attemptsMade }, 'job step threw');
      if (job.attemptsMade >= STEP_ATTEMPTS) void options.onStepGaveUp(job.id!, error);
    });
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'step worker error'));
  }

  private async process(job: BullJob, token?: string): Promise<void> {
    const jobId = job.id!;
    let written: StoredJob | undefined;
    for (let i = 0; i < MAX_TRANSITIONS_PER_DELIVERY; i += 1) {
      const outcome = await this.steps.advance(jobId, written);
      if (outcome.kind === 'done') return;
      if (outcome.kind === 'continue') written = outcome.written;
      if (outcome.kind === 'wait') {
        await job.moveToDelayed(Date.now() + outcome.ms, token);
        throw new DelayedError();
      }
    }
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }

  /** Stops taking steps and waits for the running ones to finish or hand back. */
  close(): Promise<void> {
    return this.worker.close();
  }
}
