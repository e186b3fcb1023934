// policy.deadline (docs/adr/0020-alerts.md): a job created in a pipeline with a deadline is
// added to a sorted set scored by when it falls; a job that succeeds or is cancelled leaves
// it. A sweep takes the members that are due. Several notifiers sweep the same set: only the
// one whose ZREM removed the member raises its alert, so a deadline is raised once per job
// (a notifier that dies between that ZREM and handing the alert off loses that one alert).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Job } from '../core/job.ts';
import { deadlineOf, parseDeadline } from '../core/notify-policy.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';

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

  /** Records the deadline of a job just created (at `createdAtMs`), when its pipeline has one. */
  async track(jobId: string, pipelineName: string, createdAtMs: number): Promise<void> {
    const pipeline = this.deps.pipelines.get(pipelineName);
    const deadline = pipeline?.policy.deadline === undefined ? undefined : parseDeadline(pipeline.policy.deadline);
    if (!pipeline || !deadline) return;
    const at = deadlineOf(deadline, createdAtMs, pipeline.schedule?.timezone ?? 'UTC');
    // NX: an event read twice does not move a deadline already recorded.
    await this.deps.redis.zadd(this.deps.key, 'NX', at, jobId);
  }

  /** A job that succeeded or was cancelled cannot miss its deadline any more. */
  async forget(jobId: string): Promise<void> {
    await this.deps.redis.zrem(this.deps.key, jobId);
  }

  /** Raises the deadlines that are due; returns how many this process raised. */
  async sweep(): Promise<number> {
    const { redis, key } = this.deps;
    const due = await redis.zrangebyscore(key, '-inf', this.now(), 'WITHSCORES', 'LIMIT', 0, SWEEP_BATCH);
    let raised = 0;
    for (let i = 0; i + 1 < due.length; i += 2) {
      const jobId = due[i]!;
      const deadlineMs = Number(due[i + 1]);
      if ((await redis.zrem(key, jobId)) !== 1) continue; // another notifier took it
      const job = await this.deps.readJob(jobId);
      if (!job || job.state === 'succeeded' || job.state === 'cancelled') continue;
      this.deps.logger.warn({ jobId, pipeline: job.pipeline, state: job.state, deadline: new Date(deadlineMs).toISOString() }, 'job missed its deadline');
      await this.deps.missed(job, deadlineMs);
      raised += 1;
    }
    return raised;
  }
}
