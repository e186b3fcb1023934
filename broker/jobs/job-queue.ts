// What the jobs module needs from the queue, as a port: queue/ implements it with BullMQ,
// so that this module never imports bullmq.
import type { Job } from '../core/job.ts';

export interface JobQueue {
  /**
   * Queues the job's next step; a second call for the same job is a no-op. `record`, the
   * job's record exactly as just written, may travel with the step so that its first
   * delivery need not read it.
   */
  enqueue(job: Job, record?: string): Promise<void>;
  /** Queues the step again even if an ended one of the same job is still held. */
  requeue(job: Job): Promise<void>;
  /** Runs a job's delayed step now (a run ended, a cancel arrived). No-op if not delayed. */
  wake(jobId: string): Promise<void>;
  /** Takes a job out of the queue when no worker holds it; false when one does. */
  removeIfIdle(jobId: string): Promise<boolean>;
  /** Whether a step of the job is still to run (waiting, delayed or running). */
  has(jobId: string): Promise<boolean>;
}
