// The queued-timeout sweep against a real Redis (ADR 0011): the job store keeps each
// pipeline's queued jobs in a sorted set scored by when their queued stage began, so a sweep
// costs one range read per pipeline however many jobs wait; only overdue jobs are read.
import { Redis } from 'ioredis';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { JobSteps } from '../../broker/jobs/job-steps.ts';
import { JobStore } from '../../broker/jobs/job-store.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { RunSlots } from '../../broker/jobs/run-slots.ts';
import { createFsStorage } from '../../broker/lake/fs-storage.ts';
import { LauncherRegistry } from '../../broker/launchers/launcher-registry.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { redisForTests } from '../harness/redis-for-tests.ts';
import { standInPipeline } from '../harness/stand-in-app.ts';
import { jobRecord } from '../harness/job-record.ts';

const fixture = redisForTests('sweep');
let redis: Redis;
let dir: string;

beforeAll(() => {
  redis = fixture.redis;
  dir = fixture.dir;
});
const keys = redisKeys('sweep');

const queuedJob = (id: string, pipeline: string, queuedAt: number): Job => jobRecord(id, pipeline, 'queued', queuedAt);

/** Calls Redis served per command since the last CONFIG RESETSTAT. */
async function commandCalls(): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([a-z|]+):calls=(\d+)/.exec(line.trim());
    if (match) calls[match[1]!] = Number(match[2]);
  }
  return calls;
}

describe('queued timeout sweep', () => {
  it('with 10 000 jobs queued, a sweep is one range read per pipeline and reads only the overdue jobs', async () => {
    const store = new JobStore(redis, keys);
    const pipelines = pipelineRegistry([standInPipeline('busy', { timeouts: { queued: '1h' } }), standInPipeline('idle')]);
    const now = Date.now();
    const waiting = Array.from({ length: 10_000 }, (_, i) => queuedJob(`busy-${String(i).padStart(5, '0')}`, 'busy', now - 60_000));
    for (let i = 0; i < waiting.length; i += 500) await Promise.all(waiting.slice(i, i + 500).map((job) => store.create(job)));
    const overdue = ['old-1', 'old-2', 'old-3'].map((id) => queuedJob(id, 'busy', now - 2 * 3_600_000));
    for (const job of overdue) await store.create(job);
    const steps = new JobSteps({
      store,
      slots: new RunSlots(redis, keys, 4),
      launchers: new LauncherRegistry({}),
      lake: createFsStorage(`file://${dir}/lake`),
      pipelines,
      landingRoots: [],
      logger: pino({ level: 'silent' }),
      pollMs: 5_000,
      slotWaitMs: 2_000,
      wake: async () => undefined,
    });

    await redis.config('RESETSTAT');
    expect(await steps.expireOverdueQueued()).toBe(3);
    const calls = await commandCalls();
    // One range read per pipeline with a limit (both have one: 1 h, and the 24 h default).
    expect(calls.zrangebyscore).toBe(2);
    // Only the three overdue records were read: one GET each, and one inside each one's
    // compare-and-set script (Redis counts commands run by scripts too).
    expect(calls.get).toBe(6);
    for (const job of overdue) expect(await store.get(job.id)).toMatchObject({ state: 'failed', failure: { class: 'timeout', stage: 'queued' } });
    expect((await store.get('busy-00000'))!.state).toBe('queued');
    // Failed jobs left the index: the next sweep finds nothing.
    await redis.config('RESETSTAT');
    expect(await steps.expireOverdueQueued()).toBe(0);
    expect((await commandCalls()).get).toBeUndefined();
  }, 60_000);

  it('keeps the index with the record: out when the job leaves queued, back with its retry time when it is retried', async () => {
    const store = new JobStore(redis, keys);
    const queuedAt = Date.now() - 10_000;
    await store.create(queuedJob('moving', 'idle', queuedAt));
    const index = keys.queuedSince('idle');
    expect(Number(await redis.zscore(index, 'moving'))).toBe(queuedAt);

    let stored = (await store.read('moving'))!;
    stored = (await store.compareAndSet(stored, transition(stored.job, 'launching', new Date(), 'slot taken')))!;
    expect(await redis.zscore(index, 'moving')).toBeNull();

    const retryAt = Date.now() + 5_000;
    stored = (await store.compareAndSet(stored, transition(stored.job, 'queued', new Date(), 'retry', { attempt: 2, retryAt: new Date(retryAt).toISOString() })))!;
    // The retried stage's clock starts when its backoff ends.
    expect(Number(await redis.zscore(index, 'moving'))).toBe(retryAt);

    stored = (await store.compareAndSet(stored, transition(stored.job, 'failed', new Date(), 'gave up')))!;
    expect(await redis.zscore(index, 'moving')).toBeNull();
    await store.delete(stored);
    expect(await redis.zscore(index, 'moving')).toBeNull();
  });
});
