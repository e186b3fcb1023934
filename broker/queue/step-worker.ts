// The step worker: runs job steps from the "jobs" queue. A step never holds its BullMQ lock
// for the length of a Spark run: when JobSteps says "wait", the BullMQ job moves to delayed
// (BullMQ's step-job pattern) and the worker is free; a launcher event or a cancel promotes
// it early.
//
// A step that throws is read by failureOf(): an error no retry cures (a configuration error)
// fails the job at once with its message; any other is retried after a growing delay, and
// after MAX_STEP_ERRORS in a row the job fails with the last error's message.
//
// Each worker also sweeps for queued jobs past their queued timeout, once a second: a step not
// yet delivered cannot notice them (ADR 0011).
import { DelayedError, Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import { failureOf } from '../core/failure-of.ts';
import type { FailureClass, Job } from '../core/job.ts';
import type { Handover, JobSteps } from '../jobs/job-steps.ts';
import type { StoredJob } from '../jobs/job-store.ts';
import { JOBS_QUEUE, stepBackoff } from './bull-job-queue.ts';
import { closeWhenReady } from './close-when-ready.ts';

/** Transitions one delivery may make before handing back, so one job cannot hog a worker. */
const MAX_TRANSITIONS_PER_DELIVERY = 12;

/** Consecutive failed steps after which a job is failed for good (a bug, or Redis away for long). */
export const MAX_STEP_ERRORS = 12;

/** How often overdue queued jobs are looked for: a queued timeout fires within this of its due time. */
const QUEUED_SWEEP_MS = 1_000;

export type StepWorkerOptions = {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  logger: Logger;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
};

/** `record`: the job's record as the API wrote it, sent along with its first step (BullJobQueue.enqueue). */
type StepData = { jobId: string; record?: string; stepErrors?: number };

/**
 * The record the job's step was queued with, on the step's first delivery only: then it is
 * almost always still the stored one, and the first step (taking a slot) starts without a read.
 * Later deliveries read: the record has moved on by then. A stale one costs one lost
 * compare-and-set, then a read (job-steps.ts advance).
 */
function queuedRecord(job: BullJob<StepData>): StoredJob | undefined {
  const record = job.data.record;
  if (record === undefined || job.attemptsStarted !== 1) return undefined;
  return { job: JSON.parse(record) as Job, raw: record };
}

export type AfterStepError =
  | { kind: 'fail'; failureClass: FailureClass; message: string }
  | { kind: 'retry'; stepErrors: number; delayMs: number };

/**
 * What a step that threw leads to, after `previous` consecutive step errors. An error no
 * retry cures (failureOf) fails the job now, with its own message. Any other is tried again
 * after a growing delay; the count is of consecutive failures, so a long run that meets an
 * occasional transient error is never failed for it, and the job fails only when
 * MAX_STEP_ERRORS come in a row, with the last error's message.
 */
export function afterStepError(error: unknown, previous: number): AfterStepError {
  const reading = failureOf(error);
  if (!reading.retry) return { kind: 'fail', failureClass: reading.class, message: reading.message };
  const stepErrors = previous + 1;
  if (stepErrors >= MAX_STEP_ERRORS) {
    return { kind: 'fail', failureClass: 'platform', message: `the job step failed ${stepErrors} times in a row; the last error: ${reading.message}` };
  }
  return { kind: 'retry', stepErrors, delayMs: stepBackoff(stepErrors) };
}

export class StepWorker {
  readonly worker: Worker;
  private readonly sweepTimer: NodeJS.Timeout;
  private sweeping = false;
  /** Whether the last sweep failed: an outage is logged once, not every second. */
  private sweepFailing = false;

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
    this.sweepTimer = setInterval(() => void this.sweepQueued(), QUEUED_SWEEP_MS);
    this.sweepTimer.unref();
  }

  private async sweepQueued(): Promise<void> {
    // A sweep slower than the interval (Redis slow or away) is not stacked on.
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.steps.expireOverdueQueued();
      if (this.sweepFailing) this.options.logger.info('queued timeout sweep works again');
      this.sweepFailing = false;
    } catch (error) {
      if (!this.sweepFailing) this.options.logger.warn({ err: failureOf(error).message }, 'queued timeout sweep failed; will try again every second');
      this.sweepFailing = true;
    } finally {
      this.sweeping = false;
    }
  }

  private async process(job: BullJob<StepData>, token?: string): Promise<void> {
    const jobId = job.id!;
    let handover: Handover = { written: queuedRecord(job) };
    for (let i = 0; i < MAX_TRANSITIONS_PER_DELIVERY; i += 1) {
      let outcome;
      try {
        outcome = await this.steps.advance(jobId, handover);
      } catch (error) {
        return this.stepFailed(job, token, error as Error);
      }
      if (job.data.stepErrors) await job.updateData({ jobId, stepErrors: 0 });
      if (outcome.kind === 'done') return;
      if (outcome.kind === 'continue') handover = outcome;
      if (outcome.kind === 'wait') {
        await job.moveToDelayed(Date.now() + outcome.ms, token);
        throw new DelayedError();
      }
    }
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }

  /** A step threw: the job fails now, or the step is tried again after a growing delay (afterStepError). */
  private async stepFailed(job: BullJob<StepData>, token: string | undefined, error: Error): Promise<void> {
    const jobId = job.id!;
    const next = afterStepError(error, job.data.stepErrors ?? 0);
    if (next.kind === 'fail') {
      this.options.logger.warn({ jobId, err: error, failureClass: next.failureClass, reason: next.message }, 'job step failed for good');
      const after = await this.steps.abandon(jobId, next.failureClass, next.message);
      if (after.kind === 'done') return;
      // A job just failed (its finish work comes next), or a final job whose finish work must
      // be tried again later: the step stays.
      await job.moveToDelayed(Date.now() + (after.kind === 'wait' ? after.ms : 0), token);
      throw new DelayedError();
    }
    this.options.logger.error({ jobId, err: error, stepErrors: next.stepErrors }, 'job step failed');
    await job.updateData({ jobId, stepErrors: next.stepErrors });
    await job.moveToDelayed(Date.now() + next.delayMs, token);
    throw new DelayedError();
  }

  /** Stops taking steps and waits for the running ones to finish or hand back. */
  close(): Promise<void> {
    clearInterval(this.sweepTimer);
    return closeWhenReady(this.worker);
  }
}
