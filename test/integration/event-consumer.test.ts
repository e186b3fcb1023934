// The notifier's event consumer on a real Redis stream, at its production settings: the first
// event after a quiet spell is read at once, the ones that follow it within GATHER_MS are read
// together (one wake-up of the worker process rather than one per event), and every event is
// acknowledged.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { jobEventFields } from '../../broker/core/events.ts';
import type { Job } from '../../broker/core/job.ts';
import { EventConsumer } from '../../broker/notify/event-consumer.ts';
import type { SluiceEvent } from '../../broker/core/events.ts';
import { redisForTests } from '../harness/redis-for-tests.ts';
import { waitFor } from '../harness/wait-for.ts';
import { jobRecord } from '../harness/job-record.ts';

const fixture = redisForTests('event-consumer');
const KEY = 'consumer-test:events';
const GROUP = 'notifiers';
let consumer: EventConsumer | undefined;

afterEach(async () => {
  await consumer?.close();
  consumer = undefined;
  await fixture.redis.flushall();
});

const queuedJob = (id: string): Job => jobRecord(id, 'p');

const write = (id: string) => fixture.redis.xadd(KEY, '*', ...jobEventFields(queuedJob(id)));

describe('EventConsumer', () => {
  it('reads a lone event at once, then gathers the events that follow into one read, and acknowledges them all', async () => {
    const batches: SluiceEvent[][] = [];
    consumer = new EventConsumer({ redis: fixture.redis.duplicate(), key: KEY, group: GROUP, logger: pino({ level: 'silent' }), handle: async (events) => void batches.push(events) });
    consumer.start();
    // The group is made at the stream's end: wait for it before the first event.
    await waitFor('the consumer group', async () => ((await fixture.redis.exists(KEY)) ? true : undefined), 5_000, 10);
    await write('a');
    await waitFor('the first event', async () => (batches.length > 0 ? true : undefined), 5_000, 5);
    for (const id of ['b', 'c', 'd', 'e', 'f']) await write(id);
    await waitFor('every event', async () => (batches.flat().length === 6 ? true : undefined), 5_000, 10);
    expect(batches.map((batch) => batch.map((event) => event.jobId))).toEqual([['a'], ['b', 'c', 'd', 'e', 'f']]);
    const pending = (await fixture.redis.call('XPENDING', KEY, GROUP)) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });
});
