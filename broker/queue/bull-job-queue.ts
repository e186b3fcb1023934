// The JobQueue port on BullMQ. One BullMQ job per Sluice job, with the same id: adding it
// twice is a no-op, and a step that must wait moves the BullMQ job to "delayed" instead of
// holding a worker (see step-worker.ts).
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Job } from '../core/job.ts';
import { closeWhenReady } from './close-when-ready.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { redisKeys } from '../jobs/redis-keys.ts';

export const JOBS_QUEUE = 'jobs';

/**
 * BullMQ's own retries, for a step that could not even be rescheduled (Redis away): many,
 * spaced by stepBackoff(). A step that throws is handled by the step worker, not by these.
 */
const STEP_ATTEMPTS = 1_000;
/** Delay before the next try of a step that failed `failures` times in a row: 1 s doubling, at most 30 s. */
export const stepBackoff = (attemptsMade: number): number => Math.min(500 * 2 ** attemptsMade, 30_000);

/** The largest record sent along with a job's first step (it is held twice in Redis while the step waits). */
const CARRIED_RECORD_MAX_CHARS = 8_192;

export type QueueCounts = { name: string; paused: boolean; counts: Record<string, number> };

/** How long requeue() waits for a step that is running to end; one longer is the reconciler's to requeue. */
const ACTIVE_STEP_WAIT_MS = 5_000;
const ACTIVE_STEP_POLL_MS = 25;

/** A step's state once it is not running, or 'active' when it still runs after ACTIVE_STEP_WAIT_MS. */
async function settledState(stateOf: () => Promise<string>): Promise<string> {
  const deadline = Date.now() + ACTIVE_STEP_WAIT_MS;
  for (;;) {
    const state = await stateOf();
    if (state !== 'active' || Date.now() >= deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_STEP_POLL_MS));
  }
}

export class BullJobQueue implements JobQueue {
  readonly queue: Queue;
  private readonly pausedKey: string;

  /**
   * `onConnectionError` hears the queue's connection errors. Every call reports its own failure
   * to its caller, but BullMQ also emits them as 'error' events, and an EventEmitter with no
   * listener throws them: a queue closed while its connection was still starting (a process
   * told to stop at once) would then end in an unhandled rejection.
   */
  constructor(connection: ConnectionOptions, prefix: string, onConnectionError: (error: Error) => void = () => undefined) {
    this.queue = new Queue(JOBS_QUEUE, { connection, prefix });
    this.queue.on('error', onConnectionError);
    this.pausedKey = redisKeys(prefix).launchesPaused;
  }

  async enqueue(job: Job, record?: string): Promise<void> {
    const opts: JobsOptions = {
      jobId: job.id,
      priority: job.priority,
      attempts: STEP_ATTEMPTS,
      backoff: { type: 'step' },
      // The Sluice job record is the history; BullMQ's copy of a finished step is not needed.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 86_400 },
    };
    // A large record (a landing of many files) is not copied into the queue: its step reads it.
    const carried = record !== undefined && record.length <= CARRIED_RECORD_MAX_CHARS ? { record } : {};
    await this.queue.add('step', { jobId: job.id, ...carried }, opts);
  }

  async wake(jobId: string): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || !(await job.isDelayed())) return;
    // Promoting a job that a worker just moved on is harmless: BullMQ refuses and we ignore it.
    await job.promote().catch(() => undefined);
  }

  async removeIfIdle(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return true;
    if (await job.isActive()) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Queues the job's step again after it ended (a retry of a failed job, the reconciler): a
   * step left in BullMQ's completed or failed set would make add() a no-op. A step still there
   * would make it one too, so:
   * - a delayed step (a final job's finish work waiting to try again, minutes) is promoted: it
   *   reads the record when it runs and takes the retried job on;
   * - an active step is waited for, briefly: it may have read the record before the retry's
   *   write and be ending the job's last attempt, and once it ends BullMQ removes it, which
   *   would leave the retried job without a step until the reconciler's next pass (a minute).
   *   A client retrying as soon as it hears `job.failed` aims at that window.
   */
  async requeue(job: Job): Promise<void> {
    const existing = await this.queue.getJob(job.id);
    if (existing) {
      const state = await settledState(existing.getState.bind(existing));
      if (state === 'delayed') {
        await existing.promote().catch(() => undefined);
        return;
      }
      if (state === 'completed' || state === 'failed') await existing.remove().catch(() => undefined);
    }
    await this.enqueue(job);
  }

  /** Whether a step of the job is still to run (waiting, delayed or running). */
  async has(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    return !['completed', 'failed', 'unknown'].includes(await job.getState());
  }

  async counts(): Promise<QueueCounts> {
    const client = await this.queue.client;
    const [counts, pausedHere, pausedInBullmq] = await Promise.all([
      this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'paused'),
      client.get(this.pausedKey),
      this.queue.isPaused(),
    ]);
    return { name: JOBS_QUEUE, paused: pausedHere !== null || pausedInBullmq, counts };
  }

  /**
   * Pauses launches: no job takes a run slot until resume() (the slot's Lua function reads the
   * flag, so no launch starts after this returns), while every other step goes on: runs are
   * watched to their end, loads run, cancels and stage timeouts are honoured. BullMQ's own pause
   * would hold all of those too (ADR 0025).
   */
  async pause(): Promise<void> {
    await (await this.queue.client).set(this.pausedKey, new Date().toISOString());
  }

  /**
   * Resumes launches and runs every delayed step now, the queued jobs that waited for the
   * pause among them (others look at their run or backoff once more and wait again). A BullMQ
   * pause, as an earlier version made, is lifted too.
   */
  async resume(): Promise<void> {
    await (await this.queue.client).del(this.pausedKey);
    await this.queue.resume();
    await this.queue.promoteJobs();
  }

  close(): Promise<void> {
    return closeWhenReady(this.queue);
  }
}
