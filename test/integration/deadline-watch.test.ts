// The deadline sweep (docs/adr/0020-alerts.md) on a real Redis: a deadline whose alert could not
// be handed off stays in the set and is raised by the next sweep, and a notifier's sweeps never
// overlap, however slow one is. A scheduled job's deadline counts from the tick it is for: a
// catch-up run created after its deadline is raised at the next sweep.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import { scheduledLabels } from '../../broker/schedules/scheduled-job.ts';
import { DeadlineWatch } from '../../broker/notify/deadline-watch.ts';
import { notifyKeys } from '../../broker/notify/notify-keys.ts';
import { startNotifier } from '../../broker/notify/start-notifier.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { redisOptions } from '../../broker/sluice.ts';
import { jobRecord } from '../harness/job-record.ts';
import { redisForTests } from '../harness/redis-for-tests.ts';
import { waitFor } from '../harness/wait-for.ts';

const fixture = redisForTests('deadline-watch');
const PREFIX = 'deadlines-test';
const KEY = notifyKeys(PREFIX).deadlines;
const logger = pino({ level: 'silent' });

afterEach(async () => {
  await fixture.redis.flushall();
});

describe('DeadlineWatch', () => {
  it('keeps a due deadline whose alert could not be handed off, and raises it at the next sweep', async () => {
    const late = jobRecord('jlate', 'p', 'running');
    await fixture.redis.zadd(KEY, Date.now() - 1_000, late.id);
    const raised: string[] = [];
    let failNext = true;
    const watch = new DeadlineWatch({
      redis: fixture.redis,
      key: KEY,
      pipelines: pipelineRegistry([]),
      readJob: async () => late,
      missed: async (job) => {
        if (failNext) {
          failNext = false;
          throw new Error('notifications queue unreachable');
        }
        raised.push(job.id);
      },
      logger,
    });
    expect(await watch.sweep()).toBe(0);
    expect(await fixture.redis.zscore(KEY, late.id)).not.toBeNull();
    expect(await watch.sweep()).toBe(1);
    expect(raised).toEqual([late.id]);
    expect(await fixture.redis.zcard(KEY)).toBe(0);
  });
});

describe('the deadline of a scheduled job', () => {
  // A daily 05:00 schedule with deadline 06:00; the broker was down 04:30-07:00, and the catch-up
  // job made at 07:00 is for the 05:00 tick.
  const pipeline = PipelineSchema.parse({
    name: 'daily',
    input: { columns: { x: 'long' }, paths: ['daily/'] },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: 'daily' } },
    schedule: { cron: '0 5 * * *', timezone: 'UTC' },
    policy: { deadline: '06:00' },
  });
  const tick = Date.parse('2025-06-01T05:00:00Z');
  const createdAt = Date.parse('2025-06-01T07:00:00Z');

  function watching(jobs: Job[], raised: string[]): DeadlineWatch {
    return new DeadlineWatch({
      redis: fixture.redis,
      key: KEY,
      pipelines: pipelineRegistry([pipeline]),
      readJob: async (id) => jobs.find((job) => job.id === id),
      missed: async (job) => void raised.push(job.id),
      logger,
      now: () => createdAt + 2_000,
    });
  }

  it('counts from the tick it is for: a catch-up run made after its deadline is raised at the next sweep', async () => {
    const catchUp = { ...jobRecord('jcatchup', 'daily', 'queued', createdAt), labels: scheduledLabels(tick) };
    const raised: string[] = [];
    const watch = watching([catchUp], raised);
    await watch.track(catchUp.id, 'daily', createdAt);
    expect(await fixture.redis.zscore(KEY, catchUp.id)).toBe(String(Date.parse('2025-06-01T06:00:00Z')));
    expect(await watch.sweep()).toBe(1);
    expect(raised).toEqual([catchUp.id]);
  });

  it('a job submitted by hand counts from its creation: its 06:00 is the next day', async () => {
    const byHand = jobRecord('jbyhand', 'daily', 'queued', createdAt);
    const raised: string[] = [];
    const watch = watching([byHand], raised);
    await watch.track(byHand.id, 'daily', createdAt);
    expect(await fixture.redis.zscore(KEY, byHand.id)).toBe(String(Date.parse('2025-06-02T06:00:00Z')));
    expect(await watch.sweep()).toBe(0);
    expect(raised).toEqual([]);
  });
});

describe("a notifier's deadline sweep", () => {
  it('does not start while the one before it still runs', async () => {
    await fixture.redis.zadd(KEY, Date.now() - 1_000, 'jslow');
    let reading = 0;
    let mostAtOnce = 0;
    let reads = 0;
    // A slow read (a large backlog, a slow Redis): 300 ms, against a sweep every 20 ms.
    const readJob = async (id: string): Promise<Job> => {
      reading += 1;
      reads += 1;
      mostAtOnce = Math.max(mostAtOnce, reading);
      await new Promise((resolve) => setTimeout(resolve, 300));
      reading -= 1;
      return jobRecord(id, 'p', 'running');
    };
    const notifier = startNotifier({
      connection: redisOptions(fixture.server.url),
      redis: fixture.redis,
      prefix: PREFIX,
      eventsKey: `${PREFIX}:events`,
      pipelines: pipelineRegistry([]),
      readJob,
      webhooks: {},
      retentionMs: 60_000,
      logger,
      sweepEveryMs: 20,
    });
    try {
      await waitFor('the deadline to be taken', async () => ((await fixture.redis.zcard(KEY)) === 0 ? true : undefined), 5_000, 20);
    } finally {
      await notifier.close();
    }
    expect(mostAtOnce).toBe(1);
    expect(reads).toBe(1);
  });
});
