// The step worker: runs job steps from the "jobs" queue. A step never holds its BullMQ lock
// for the length of a Spark run: when JobSteps says "wait", the BullMQ job moves to delayed
// (BullMQ's step-job pattern) and the worker is free; a launcher event or a cancel promotes
// it early.
import { DelayedError, Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { JobSteps } from '../jobs/job-steps.ts';
import type { StoredJob } from '../jobs/job-store.ts';
import { JOBS_QUEUE, stepBackoff } from './bull-job-queue.ts';

/** Transitions one delivery may make before handing back, so one job cannot hog a worker. */
const MAX_TRANSITIONS_PER_DELIVERY = 12;

/** Consecutive failed steps after which a job is failed for good (a bug, or Redis away for long). */
const MAX_STEP_ERRORS = 12;

export type StepWorkerOptions = {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  logger: Logger;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
};

type StepData = { jobId: string; stepErrors?: number };

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
    // Reached only when even moving the step to delayed failed (Redis away): BullMQ retries it.
    this.worker.on('failed', (job, error) => options.logger.error({ jobId: job?.id, err: error }, 'job step could not be rescheduled'));
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'step worker error'));
  }

  private async process(job: BullJob<StepData>, token?: string): Promise<void> {
    const jobId = job.id!;
    let written: StoredJob | undefined;
    for (let i = 0; i < MAX_TRANSITIONS_PER_DELIVERY; i += 1) {
      let outcome;
      try {
        outcome = await this.steps.advance(jobId, written);
      } catch (error) {
        return this.stepFailed(job, token, error as Error);
      }
      if (job.data.stepErrors) await job.updateData({ jobId, stepErrors: 0 });
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

  /**
   * A step threw. It is tried again after a growing delay; the count is of consecutive
   * failures, so a long run that meets an occasional transient error is never failed for it.
   */
  private async stepFailed(job: BullJob<StepData>, token: string | undefined, error: Error): Promise<void> {
    const jobId = job.id!;
    const stepErrors = (job.data.stepErrors ?? 0) + 1;
    this.options.logger.error({ jobId, err: error, stepErrors }, 'job step failed');
    if (stepErrors >= MAX_STEP_ERRORS) {
      await this.steps.giveUp(jobId);
      return;
    }
    await job.updateData({ jobId, stepErrors });
    await job.moveToDelayed(Date.now() + stepBackoff(stepErrors), token);
    throw new DelayedError();
  }

  /** Stops taking steps and waits for the running ones to finish or hand back. */
  close(): Promise<void> {
    return this.worker.close();
  }
}
