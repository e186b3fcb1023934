// Requeueing a job (POST /retry, the reconciler) while BullMQ still holds the step of its last
// attempt: the retried job must get a step now, not at the reconciler's next pass. Real Redis
// and BullMQ; the step's processor stands for the worker's last step of the failed attempt.
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { BullJobQueue, JOBS_QUEUE } from '../../broker/queue/bull-job-queue.ts';
import { redisOptions } from '../../broker/sluice.ts';
import { RedisServer } from '../harness/redis-server.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.destroy();
});

const jobOf = (id: string): Job => ({ id, priority: 0 }) as Job;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('requeue', () => {
  it('gives a retried job a step when the step of its last attempt was still ending', async () => {
    const connection = redisOptions(redis.url);
    const queue = new BullJobQueue(connection, 'active-case');
    let deliveries = 0;
    let ending: () => void = () => undefined;
    const firstEnding = new Promise<void>((resolve) => (ending = resolve));
    // The first delivery is the failed attempt's last step: it read the record (failed) and is ending.
    const worker = new Worker(
      JOBS_QUEUE,
      async () => {
        deliveries += 1;
        if (deliveries === 1) {
          ending();
          await sleep(300);
        }
      },
      { connection, prefix: 'active-case' },
    );
    try {
      await queue.enqueue(jobOf('j1'));
      await firstEnding;
      await queue.requeue(jobOf('j1'));
      await expect.poll(() => deliveries, { timeout: 5_000 }).toBe(2);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('runs at once a step that waits as delayed (a final job\'s finish work retrying in minutes)', async () => {
    const queue = new BullJobQueue(redisOptions(redis.url), 'delayed-case');
    try {
      await queue.queue.add('step', { jobId: 'j2' }, { jobId: 'j2', delay: 120_000 });
      const step = (await queue.queue.getJob('j2'))!;
      expect(await step.getState()).toBe('delayed');
      await queue.requeue(jobOf('j2'));
      expect(['waiting', 'prioritized']).toContain(await step.getState());
    } finally {
      await queue.close();
    }
  });
});
