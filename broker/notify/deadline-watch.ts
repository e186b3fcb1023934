// policy.deadline (docs/adr/0020-alerts.md): a job created in a pipeline with a deadline is
// added to a sorted set scored by when it falls, counted from its creation or, for a job a
// schedule submitted, from the tick it is for (a catch-up run created after its deadline is
// due at once); a job that succeeds or is cancelled leaves it. A sweep takes the members that
// are due, hands each one's alert off, and only then removes it, so that a notifier that dies
// or fails in between leaves the member for the next sweep.
// Several notifiers sweep the same set and may hand off the same alert: its delivery id
// (`<target>.deadline-<jobId>`) makes that one delivery. The one whose ZREM removed the member
// logs it.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Job } from '../core/job.ts';
import { deadlineOf, parseDeadline } from '../core/notify-policy.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { tickOfJob } from '../schedules/scheduled-job.ts';

/** Members taken per sweep; a larger backlog is taken over the next sweeps. */
const SWEEP_BATCH = 100;

export type DeadlineWatchDeps = {
  redis: Redis;
  /** The sorted set of job ids scored by deadline (ms). */
  key: string;
  pipelines: PipelineRegistry;
  /** Reads a job's current record. */
  readJob(id: string): Promise<Job | undefined>;
  /** Raises the alert of a job that missed its deadline. */
  missed(job: Job, deadlineMs: number): Promise<void>;
  logger: Logger;
  now?: () => number;
};

export class DeadlineWatch {
  private readonly now: () => number;

  constructor(private readonly deps: DeadlineWatchDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Records the deadline of a job just created (at `createdAtMs`), when its pipeline has one. A
   * scheduled job's counts from its tick: one that ran late (the broker was down) and is past
   * its deadline already is raised by the next sweep.
   */
  async track(jobId: string, pipelineName: string, createdAtMs: number): Promise<void> {
    const pipeline = this.deps.pipelines.get(pipelineName);
    const deadline = pipeline?.policy.deadline === undefined ? undefined : parseDeadline(pipeline.policy.deadline);
    if (!pipeline || !deadline) return;
    const job = await this.deps.readJob(jobId);
    const from = (job && tickOfJob(job)) ?? createdAtMs;
    const at = deadlineOf(deadline, from, pipeline.schedule?.timezone ?? 'UTC');
    if (at === undefined) {
      this.deps.logger.warn({ jobId, pipeline: pipelineName, deadline: pipeline.policy.deadline }, 'no time found for the deadline; the job has none');
      return;
    }
    // NX: an event read twice does not move a deadline already recorded.
    await this.deps.redis.zadd(this.deps.key, 'NX', at, jobId);
  }

  /** A job that succeeded or was cancelled cannot miss its deadline any more. */
  async forget(jobId: string): Promise<void> {
    await this.deps.redis.zrem(this.deps.key, jobId);
  }

  /** Raises the deadlines that are due; returns how many this process removed after raising. */
  async sweep(): Promise<number> {
    const due = await this.deps.redis.zrangebyscore(this.deps.key, '-inf', this.now(), 'WITHSCORES', 'LIMIT', 0, SWEEP_BATCH);
    let raised = 0;
    for (let i = 0; i + 1 < due.length; i += 2) {
      const jobId = due[i]!;
      const deadlineMs = Number(due[i + 1]);
      try {
        if (await this.raise(jobId, deadlineMs)) raised += 1;
      } catch (error) {
        // The member stays: the next sweep tries it again; the others are not held up by it.
        this.deps.logger.warn({ jobId, err: (error as Error).message }, 'deadline alert not handed off; tried again at the next sweep');
      }
    }
    return raised;
  }

  private async raise(jobId: string, deadlineMs: number): Promise<boolean> {
    const job = await this.deps.readJob(jobId);
    const missed = job !== undefined && job.state !== 'succeeded' && job.state !== 'cancelled';
    // Handed off before the member goes, so that a throw leaves it in the set.
    if (missed) await this.deps.missed(job, deadlineMs);
    // Not removed here: another notifier's sweep removed it and logs it (or the job just ended).
    if ((await this.deps.redis.zrem(this.deps.key, jobId)) !== 1 || !missed) return false;
    this.deps.logger.warn({ jobId, pipeline: job.pipeline, state: job.state, deadline: new Date(deadlineMs).toISOString() }, 'job missed its deadline');
    return true;
  }
}
