// The finish work of a final job (archiving, quarantining or releasing its landing files)
// against a real Redis and BullMQ: when it keeps failing (the landing share away for longer
// than a step's error budget, or an error no quick retry cures), the job's step is kept and
// tried again later, so the files still reach their end state once the share is back. The
// step used to be dropped, leaving the landings batched for ever.
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../broker/core/errors.ts';
import type { Job } from '../../broker/core/job.ts';
import type { JobFinalizer } from '../../broker/jobs/job-finalizer.ts';
import { FINISH_RETRY_MS, JobSteps } from '../../broker/jobs/job-steps.ts';
import { JobStore } from '../../broker/jobs/job-store.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { RunSlots } from '../../broker/jobs/run-slots.ts';
import { createFsStorage } from '../../broker/lake/fs-storage.ts';
import { LauncherRegistry } from '../../broker/launchers/launcher-registry.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { BullJobQueue, JOBS_QUEUE } from '../../broker/queue/bull-job-queue.ts';
import { StepWorker } from '../../broker/queue/step-worker.ts';
import { redisForTests } from '../harness/redis-for-tests.ts';
import { standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';
import { jobRecord } from '../harness/job-record.ts';

const fixture = redisForTests('finish');
const PREFIX = 'finish';
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** Finish work that throws `error` until told to work, counting its tries. */
class ShareAway implements JobFinalizer {
  tries = 0;
  back = false;
  constructor(private readonly error: Error) {}
  appliesTo(): boolean {
    return true;
  }
  async finalize(): Promise<void> {
    this.tries += 1;
    if (!this.back) throw this.error;
  }
}

const succeededJob = (id: string): Job => jobRecord(id, 'landed', 'succeeded');

describe('finish work of a final job', () => {
  it('that fails with an error no quick retry cures keeps its step, delayed by FINISH_RETRY_MS, and the job is finished once it works', async () => {
    const keys = redisKeys(PREFIX);
    const store = new JobStore(fixture.redis, keys);
    const finalizer = new ShareAway(new ConfigError('the archive folder is not writable'));
    const queue = new BullJobQueue({ url: fixture.server.url }, PREFIX);
    closers.push(() => queue.close());
    const steps = new JobSteps({
      store,
      slots: new RunSlots(fixture.redis, keys, 4),
      launchers: new LauncherRegistry({}),
      lake: createFsStorage(`file://${fixture.dir}/lake`),
      pipelines: pipelineRegistry([standInPipeline('landed')]),
      landingRoots: [],
      logger: pino({ level: 'silent' }),
      pollMs: 5_000,
      slotWaitMs: 2_000,
      wake: (id) => queue.wake(id),
      finalizer,
    });
    const job = succeededJob('j-finish-1');
    await store.create(job);
    await queue.enqueue(job);
    const worker = new StepWorker(steps, { connection: { url: fixture.server.url }, prefix: PREFIX, concurrency: 1, logger: pino({ level: 'silent' }) });
    closers.push(() => worker.close());

    await waitFor('the finish work to be tried', async () => (finalizer.tries > 0 ? true : undefined), 10_000, 50);
    const step = await waitFor('the step to be delayed', async () => {
      const found = await queue.queue.getJob(job.id);
      return found && (await found.getState()) === 'delayed' ? found : undefined;
    }, 10_000, 50);
    // Kept for a later try, not completed and removed. (BullMQ scores a delayed step by its due time × 4096.)
    const dueAt = Number(await fixture.redis.zscore(`${PREFIX}:${JOBS_QUEUE}:delayed`, step.id!)) / 4096;
    expect(dueAt - Date.now()).toBeGreaterThan(FINISH_RETRY_MS - 10_000);
    expect(await store.get(job.id)).toMatchObject({ state: 'succeeded' });
    expect((await store.get(job.id))!.finalized).toBeUndefined();

    // The share is back: the next try (brought forward here instead of waited for) finishes the job.
    finalizer.back = true;
    await queue.wake(job.id);
    await waitFor('the job to be finished', async () => ((await store.get(job.id))?.finalized ? true : undefined), 10_000, 50);
    await waitFor('the step to end', async () => ((await queue.has(job.id)) ? undefined : true), 10_000, 50);
  }, 30_000);
});
