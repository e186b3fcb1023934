// The job store's writes that take or give back a run slot in the same Lua script, against a
// real Redis (ADR 0023): the caps hold, the waiters are kept, and a record that changed since it
// was read is never written, whatever the slot did.
import { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { JobStore, type StoredJob } from '../../broker/jobs/job-store.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { RunSlots } from '../../broker/jobs/run-slots.ts';
import { redisForTests } from '../harness/redis-for-tests.ts';
import { jobRecord } from '../harness/job-record.ts';

const keys = redisKeys('slots');
const GLOBAL_CAP = 2;
const fixture = redisForTests('slot-writes');
let redis: Redis;
let store: JobStore;
let slots: RunSlots;

beforeEach(async () => {
  redis = fixture.redis;
  await redis.flushall();
  store = new JobStore(redis, keys);
  slots = new RunSlots(redis, keys, GLOBAL_CAP);
});

const T0 = Date.UTC(2026, 0, 1);

async function queued(id: string, pipeline = 'p', createdMs = T0): Promise<StoredJob> {
  expect(await store.create(jobRecord(id, pipeline, 'queued', createdMs))).toBeUndefined();
  return (await store.read(id))!;
}

const launching = (stored: StoredJob): Job => transition(stored.job, 'launching', new Date(T0 + 1_000), 'slot taken');

const holders = async (pipeline = 'p') => ({
  global: (await redis.smembers(keys.runningGlobal)).sort(),
  pipeline: (await redis.smembers(keys.runningPipeline(pipeline))).sort(),
  waiters: await redis.zrange(keys.slotWaiters, 0, -1),
});

describe('takeSlotAndSet', () => {
  it('takes a free slot and writes launching in one script, with its event', async () => {
    const a = await queued('a');
    const { written, slot } = await store.takeSlotAndSet(a, launching(a), slots.terms(a.job, 5));
    expect(slot).toBe('taken');
    expect(written?.job.state).toBe('launching');
    expect((await store.get('a'))?.state).toBe('launching');
    expect(await holders()).toEqual({ global: ['a'], pipeline: ['a'], waiters: [] });
    expect(await store.idsInState('launching')).toEqual(['a']);
    const events = await redis.xrange(keys.events, '-', '+');
    expect(events.map(([, fields]) => fields[fields.indexOf('type') + 1])).toEqual(['job.queued', 'job.launching']);
  });

  it('at a cap writes nothing and adds the job to the waiters, most urgent first', async () => {
    for (const id of ['a', 'b']) {
      const stored = await queued(id);
      expect((await store.takeSlotAndSet(stored, launching(stored), slots.terms(stored.job, 5))).slot).toBe('taken');
    }
    const late = await queued('late', 'p', T0 + 5_000);
    const early = await queued('early', 'p', T0 + 1_000);
    for (const stored of [late, early]) {
      const { written, slot } = await store.takeSlotAndSet(stored, launching(stored), slots.terms(stored.job, 5));
      expect({ written, slot }).toEqual({ written: undefined, slot: 'full' });
      expect((await store.get(stored.job.id))?.state).toBe('queued');
    }
    expect(await holders()).toEqual({ global: ['a', 'b'], pipeline: ['a', 'b'], waiters: ['early', 'late'] });
  });

  it('holds the pipeline cap as well as the global one', async () => {
    const a = await queued('a', 'one-at-a-time');
    expect((await store.takeSlotAndSet(a, launching(a), slots.terms(a.job, 1))).slot).toBe('taken');
    const b = await queued('b', 'one-at-a-time');
    expect((await store.takeSlotAndSet(b, launching(b), slots.terms(b.job, 1))).slot).toBe('full');
  });

  it('takes no slot when the record changed since it was read (a cancel came first)', async () => {
    const a = await queued('a');
    expect(await store.compareAndSet(a, { ...a.job, cancelRequested: true })).toBeDefined();
    const { written, slot } = await store.takeSlotAndSet(a, launching(a), slots.terms(a.job, 5));
    expect(written).toBeUndefined();
    expect(slot).toBe('taken');
    expect(await holders()).toEqual({ global: [], pipeline: [], waiters: [] });
    expect((await store.get('a'))?.cancelRequested).toBe(true);
  });

  it('finds a slot the job holds already (a re-delivered step, a waiter that acquired first) and does not count it twice', async () => {
    const a = await queued('a');
    const b = await queued('b');
    expect(await slots.acquire(a.job, 5)).toBe('taken');
    expect(await slots.acquire(b.job, 5)).toBe('taken');
    // Both caps' worth are held, by a among them: a's write still goes through.
    expect((await store.takeSlotAndSet(a, launching(a), slots.terms(a.job, 5))).slot).toBe('taken');
    expect(await holders()).toEqual({ global: ['a', 'b'], pipeline: ['a', 'b'], waiters: [] });
  });

  it('takes no slot while launches are paused, free or not, and writes nothing; a job that holds its slot keeps it', async () => {
    const holder = await queued('holder');
    expect(await slots.acquire(holder.job, 5)).toBe('taken');
    await redis.set(keys.launchesPaused, 'now');
    const a = await queued('a');
    expect((await store.takeSlotAndSet(a, launching(a), slots.terms(a.job, 5))).slot).toBe('paused');
    expect(await slots.acquire(a.job, 5)).toBe('paused');
    expect((await store.read('a'))?.job.state).toBe('queued');
    expect((await store.takeSlotAndSet(holder, launching(holder), slots.terms(holder.job, 5))).slot).toBe('taken');
    expect(await holders()).toEqual({ global: ['holder'], pipeline: ['holder'], waiters: ['a'] });
    await redis.del(keys.launchesPaused);
    expect((await store.takeSlotAndSet(a, launching(a), slots.terms(a.job, 5))).slot).toBe('taken');
  });
});

describe('releaseSlotAndSet', () => {
  async function running(id: string): Promise<StoredJob> {
    const stored = await queued(id);
    return (await store.takeSlotAndSet(stored, launching(stored), slots.terms(stored.job, 5))).written!;
  }

  it('gives the slot back with the write and names the waiters to wake', async () => {
    const a = await running('a');
    await running('b');
    const waiting = await queued('c');
    expect((await store.takeSlotAndSet(waiting, launching(waiting), slots.terms(waiting.job, 5))).slot).toBe('full');
    const failed = transition(a.job, 'failed', new Date(T0 + 2_000), 'platform: gone', { failure: { class: 'platform', message: 'gone', stage: 'launching', attempt: 1 } });
    const { written, waiters } = await store.releaseSlotAndSet(a, failed);
    expect(written?.job.state).toBe('failed');
    expect(waiters).toEqual(['c']);
    expect(await holders()).toEqual({ global: ['b'], pipeline: ['b'], waiters: ['c'] });
    expect(await redis.zscore(keys.finished, 'a')).not.toBeNull();
  });

  it('gives the slot back even when the record changed since it was read, as a separate release would', async () => {
    const a = await running('a');
    expect(await store.compareAndSet(a, { ...a.job, cancelRequested: true })).toBeDefined();
    const { written } = await store.releaseSlotAndSet(a, transition(a.job, 'failed', new Date(T0 + 2_000), 'x'));
    expect(written).toBeUndefined();
    expect((await store.get('a'))?.state).toBe('launching');
    expect(await holders()).toEqual({ global: [], pipeline: [], waiters: [] });
  });

  it('keeps the slot when the record it lost to is of a later attempt (a stale worker writing late), which may hold it now', async () => {
    const stale = await running('a');
    // Another worker took the step over: attempt 1 failed, attempt 2 queued and took the slot again.
    const retried = transition(stale.job, 'queued', new Date(T0 + 2_000), 'platform failure, retry', { attempt: 2 });
    const requeued = (await store.releaseSlotAndSet(stale, retried)).written!;
    const second = (await store.takeSlotAndSet(requeued, launching(requeued), slots.terms(requeued.job, 5))).written!;
    expect(second.job).toMatchObject({ state: 'launching', attempt: 2 });
    const late = await store.releaseSlotAndSet(stale, transition(stale.job, 'failed', new Date(T0 + 3_000), 'late'));
    expect(late.written).toBeUndefined();
    expect(await holders()).toEqual({ global: ['a'], pipeline: ['a'], waiters: [] });
  });

  it('with onlyIfWritten keeps the slot when the record changed since it was read (the queued-timeout sweep racing the job\'s own launch)', async () => {
    const stale = await queued('a');
    // The job's own step takes the slot and writes launching between the sweep's read and its write.
    const launched = (await store.takeSlotAndSet(stale, launching(stale), slots.terms(stale.job, 5))).written!;
    const expired = transition(stale.job, 'failed', new Date(T0 + 2_000), 'timeout: queued too long');
    const { written, waiters } = await store.releaseSlotAndSet(stale, expired, { onlyIfWritten: true });
    expect(written).toBeUndefined();
    expect(waiters).toEqual([]);
    expect(launched.job.state).toBe('launching');
    expect(await holders()).toEqual({ global: ['a'], pipeline: ['a'], waiters: [] });
    // When it wins, it gives the slot back as a plain release does.
    const current = (await store.read('a'))!;
    expect((await store.releaseSlotAndSet(current, transition(current.job, 'failed', new Date(T0 + 3_000), 'x'), { onlyIfWritten: true })).written).toBeDefined();
    expect(await holders()).toEqual({ global: [], pipeline: [], waiters: [] });
  });

  it('names no waiters when the job held no slot', async () => {
    const a = await queued('a');
    await running('b');
    await running('c');
    const waiting = await queued('d');
    await store.takeSlotAndSet(waiting, launching(waiting), slots.terms(waiting.job, 5));
    const { waiters } = await store.releaseSlotAndSet(a, transition(a.job, 'cancelled', new Date(T0 + 2_000), 'cancelled by request'));
    expect(waiters).toEqual([]);
    expect(await holders()).toEqual({ global: ['b', 'c'], pipeline: ['b', 'c'], waiters: ['d'] });
  });
});
