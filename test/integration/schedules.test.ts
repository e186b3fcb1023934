// Pipeline schedules through BullMQ job schedulers (issue 11), on a real Redis with real
// Sluice worker processes (in-process, as startSluice runs them). The jobs queue is paused
// so that the scheduled jobs stay queued: what is under test is which jobs exist, not Spark.
//
// Fault: two Sluice processes with the same schedule → one job per tick. And a worker that
// was down over several ticks runs one job for them at start with `catchup: latest`, none
// with `catchup: none`.
//
// Daylight saving: a scheduler ticks Santiago's midnight on the day clocks jump from 00:00 to
// 01:00, at 01:00, both when the queue adds its first tick and when a worker adds the next.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Queue } from 'bullmq';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../broker/core/errors.ts';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';
import type { Job } from '../../broker/core/job.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { BullJobQueue } from '../../broker/queue/bull-job-queue.ts';
import { SCHEDULES_QUEUE, type TickData } from '../../broker/queue/schedule-queue.ts';
import { SCHEDULE_SETTINGS } from '../../broker/queue/schedule-repeat.ts';
import { ScheduleWorker } from '../../broker/queue/schedule-worker.ts';
import { redisOptions, startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

const PREFIX = 'sluice';
let env: SluiceEnv;
let jobsQueue: BullJobQueue;
let schedulesQueue: Queue;
const running: RunningSluice[] = [];

/** A pipeline that ticks every second (six cron fields: seconds first); `null`: the same pipeline without a schedule. */
function ticking(name: string, schedule: Record<string, unknown> | null = {}): Pipeline {
  return PipelineSchema.parse({
    name,
    input: { columns: { x: 'long' }, paths: ['scheduled/'] },
    parameters: { region: { type: 'string' }, scale: { type: 'number', default: 1 } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: name.replace(/-/g, '_') } },
    ...(schedule === null ? {} : { schedule: { cron: '*/1 * * * * *', timezone: 'Europe/Zurich', params: { region: 'eu' }, ...schedule } }),
  });
}

async function worker(pipelines: Pipeline[]): Promise<RunningSluice> {
  const sluice = await startSluice(env.config(), { api: false, worker: true }, { pipelines: pipelineRegistry(pipelines) });
  running.push(sluice);
  return sluice;
}

async function stop(sluice: RunningSluice): Promise<void> {
  running.splice(running.indexOf(sluice), 1);
  await sluice.close();
}

async function scheduledJobs(sluice: RunningSluice, pipeline: string): Promise<Job[]> {
  const page = await sluice.jobs.list({ pipeline, limit: 1_000 });
  return page.items.filter((job) => job.labels.trigger === 'schedule');
}

const tickOf = (job: Job): number => Date.parse(job.labels['scheduled-for']!);

beforeAll(async () => {
  env = await createSluiceEnv();
  jobsQueue = new BullJobQueue(redisOptions(env.redis.url), PREFIX);
  await jobsQueue.pause();
  schedulesQueue = new Queue(SCHEDULES_QUEUE, { connection: redisOptions(env.redis.url), prefix: PREFIX });
});
afterEach(async () => {
  for (const sluice of running.splice(0)) await sluice.close();
});
afterAll(async () => {
  await schedulesQueue?.close();
  await jobsQueue?.close();
  await env?.close();
});

describe('pipeline schedules', () => {
  it('two Sluice processes with the same schedule make exactly one job per tick', async () => {
    const pipeline = ticking('twice-scheduled');
    const [first] = await Promise.all([worker([pipeline]), worker([pipeline])]);
    const steadyFrom = Date.now() + 1_000;
    await waitFor('five scheduled jobs', async () => ((await scheduledJobs(first!, pipeline.name)).length >= 5 ? true : undefined), 15_000);
    await sleep(1_500);
    const steadyUntil = Date.now() - 1_000;
    const jobs = await scheduledJobs(first!, pipeline.name);

    const ticks = jobs.map(tickOf);
    expect(new Set(ticks).size, 'one job per tick').toBe(ticks.length);
    // No tick lost either: every second while both ran has its job.
    const expected: number[] = [];
    for (let at = Math.ceil(steadyFrom / 1_000) * 1_000; at <= steadyUntil; at += 1_000) expected.push(at);
    expect(ticks.filter((tick) => tick >= expected[0]! && tick <= expected.at(-1)!).sort()).toEqual(expected);

    const sample = jobs[0]!;
    expect(sample.parameters).toEqual({ region: 'eu', scale: 1 });
    expect(sample.state).toBe('queued');
    expect(sample.inputs).toEqual([`${env.landing}/scheduled`]);
    expect(sample.idempotencyKey).toBe(`schedule:${pipeline.name}:${sample.labels['scheduled-for']}`);
    expect(sample.idempotencyScope).toBe('scheduler');
    // Each job starts on time: within moments of its tick (two seconds, for a loaded machine).
    for (const job of jobs) expect(Date.parse(job.createdAt) - tickOf(job)).toBeLessThan(2_000);
    // One scheduler for the pipeline, however many processes set it up.
    expect((await schedulesQueue.getJobSchedulers()).map((scheduler) => scheduler.key)).toEqual([pipeline.name]);
  });

  it.each([
    ['latest', 1],
    ['none', 0],
  ] as const)('ticks missed while no worker ran: catchup %s runs %i job at start', async (catchup, expectedJobs) => {
    const pipeline = ticking(`catchup-${catchup}`, { catchup });
    const before = await worker([pipeline]);
    await waitFor('a first scheduled job', async () => ((await scheduledJobs(before, pipeline.name)).length > 0 ? true : undefined), 10_000);
    await stop(before);

    // Down over three ticks or more.
    await sleep(3_500);
    const restartedAt = Date.now();
    const after = await worker([pipeline]);
    const lastTickBefore = Math.max(...(await scheduledJobs(after, pipeline.name)).filter((job) => Date.parse(job.createdAt) < restartedAt).map(tickOf));
    // Ticking resumes: the first tick after the restart has its job.
    await waitFor('a job for a tick after the restart', async () => ((await scheduledJobs(after, pipeline.name)).some((job) => tickOf(job) >= restartedAt) ? true : undefined), 10_000);
    await sleep(1_000);

    const jobs = await scheduledJobs(after, pipeline.name);
    const forMissedTicks = jobs.filter((job) => tickOf(job) > lastTickBefore && tickOf(job) < restartedAt);
    expect(forMissedTicks).toHaveLength(expectedJobs);
    for (const job of forMissedTicks) expect(Date.parse(job.createdAt)).toBeGreaterThanOrEqual(restartedAt);
    const ticks = jobs.map(tickOf);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('a worker whose pipelines lost their schedule removes the schedulers, and ticking stops', async () => {
    const pipeline = ticking('unscheduled-later');
    const scheduled = await worker([pipeline]);
    await waitFor('a first scheduled job', async () => ((await scheduledJobs(scheduled, pipeline.name)).length > 0 ? true : undefined), 10_000);
    await stop(scheduled);
    expect((await schedulesQueue.getJobSchedulers()).map((scheduler) => scheduler.key)).toContain(pipeline.name);

    const unscheduled = await worker([ticking('unscheduled-later', null)]);
    expect(await schedulesQueue.getJobSchedulers()).toEqual([]);
    const count = (await scheduledJobs(unscheduled, pipeline.name)).length;
    await sleep(2_000);
    expect(await scheduledJobs(unscheduled, pipeline.name)).toHaveLength(count);
    // Nothing is left waiting on the schedules queue either.
    const left = await schedulesQueue.getJobs(['delayed', 'waiting', 'prioritized']);
    expect(left.map((job) => ({ id: job.id, attempts: job.attemptsMade, reason: job.failedReason })), JSON.stringify(await schedulesQueue.getJobSchedulers())).toEqual([]);
  });

  it('a worker refuses to start with a scheduled pipeline whose input.paths lie outside the landing roots, naming the file, the path and the setting', async () => {
    const dir = await mkdtemp(join(env.dir, 'pipelines-'));
    const file = join(dir, 'outside.yaml');
    await writeFile(
      file,
      [
        'name: scheduled-outside',
        'input: { columns: { x: long }, paths: [/srv/elsewhere/readings] }',
        'transform: { group_by: [x], metrics: [{ name: n, fn: count }] }',
        'outputs: { lake: { table: scheduled_outside } }',
        "schedule: { cron: '*/1 * * * * *' }",
      ].join('\n'),
    );
    const refused = await startSluice(env.config({ SLUICE_PIPELINES_DIR: dir }), { api: false, worker: true }).then(
      (sluice) => {
        running.push(sluice);
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    const message = (refused as Error).message;
    expect(message).toContain(file);
    expect(message).toContain('"/srv/elsewhere/readings" is outside the landing roots (SLUICE_LANDING_ROOTS)');
    expect(message).toContain(`SLUICE_LANDING_ROOTS is ${env.landing}`);
    // Refused before anything started: no scheduler was set up.
    expect((await schedulesQueue.getJobSchedulers()).map((scheduler) => scheduler.key)).not.toContain('scheduled-outside');
  });

  it('GET /v1/pipelines/{name} and the list show the schedule and its next three run times, as the API document says', async () => {
    const pipeline = ticking('shown-daily', { cron: '0 2 * * *' });
    const api = await startSluice(env.config(), { api: true, worker: false }, { pipelines: pipelineRegistry([pipeline, ticking('unscheduled', null)]) });
    running.push(api);
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${api.port}${path}`, { headers: { Authorization: `Bearer ${env.apiKey}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const before = Date.now();
    const shown = await get('/v1/pipelines/shown-daily');
    expect(shown.schedule).toEqual({ cron: '0 2 * * *', timezone: 'Europe/Zurich', params: { region: 'eu' }, catchup: 'latest' });
    const nextRuns = (shown.nextRuns as string[]).map(Date.parse);
    expect(nextRuns).toHaveLength(3);
    // 02:00 in Zurich is 00:00 or 01:00 UTC, a day apart (23 or 25 hours across a clock change).
    expect(nextRuns[0]).toBeGreaterThan(before);
    expect(nextRuns[0]! - before).toBeLessThanOrEqual(25 * 3_600_000);
    for (const at of nextRuns) expect([0, 1]).toContain(new Date(at).getUTCHours());
    expect(nextRuns[1]! - nextRuns[0]!).toBeGreaterThanOrEqual(23 * 3_600_000);

    const list = (await get('/v1/pipelines')).items as Array<Record<string, unknown>>;
    expect(list.map((item) => [item.name, item.nextRuns !== undefined])).toEqual([
      ['shown-daily', true],
      ['unscheduled', false],
    ]);
    // What the API serves, the published document accepts (docs/openapi.json, JSON Schema 2020-12).
    const document = JSON.parse(await readFile('docs/openapi.json', 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    ajv.addSchema({ ...document, $id: 'sluice-openapi' });
    const validate = ajv.getSchema('sluice-openapi#/components/schemas/Pipeline')!;
    for (const item of [shown, ...list]) expect(validate(item), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('a tick that fails on every attempt', () => {
  it('is said to be lost, at error level, naming the pipeline and its scheduled time; earlier attempts only warn', async () => {
    const prefix = 'lost-tick';
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    // Production ticks get 8 attempts from 1 s; two attempts 10 ms apart show the same thing.
    const queue = new Queue(SCHEDULES_QUEUE, { connection: redisOptions(env.redis.url), prefix });
    await queue.upsertJobScheduler('failing', { pattern: '*/1 * * * * *' }, { name: 'tick', data: { pipeline: 'failing', schedule: {} }, opts: { attempts: 2, backoff: { type: 'fixed', delay: 10 } } });
    const worker = new ScheduleWorker(
      async () => {
        throw new Error('redis away');
      },
      { connection: redisOptions(env.redis.url), prefix, logger: pino({ level: 'info' }, sink) },
    );
    try {
      const lost = await waitFor('a lost tick', async () => lines.find((line) => line.msg === 'schedule tick lost: its last attempt failed; no job for this tick'), 10_000);
      expect(lost).toMatchObject({ level: 50, pipeline: 'failing', attempt: 2, err: 'redis away' });
      const scheduledFor = lost.scheduledFor as string;
      expect(new Date(scheduledFor).toISOString()).toBe(scheduledFor);
      // The same tick's first attempt was a warning that it is tried again.
      expect(lines.find((line) => line.scheduledFor === scheduledFor && line.attempt === 1)).toMatchObject({ level: 40, msg: 'schedule tick failed; it is tried again' });
    } finally {
      await worker.close();
      await queue.removeJobScheduler('failing');
      await queue.close();
    }
  });
});

const HOUR = 3_600_000;

/** The time zone's offset from UTC at `ms`, in minutes, from the runtime's own tz data (not cron-parser's reading). */
function utcOffsetMinutes(timeZone: string, ms: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(ms).find((part) => part.type === 'timeZoneName')!.value;
  const [, sign, hours, minutes] = /^GMT(?:([+-])(\d\d):(\d\d))?$/.exec(name)!;
  return sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
}

/** The first whole hour after `afterMs` at which the time zone's clocks jump forward. */
function nextSpringChange(timeZone: string, afterMs: number): number {
  for (let hour = Math.ceil(afterMs / HOUR) * HOUR; ; hour += HOUR) {
    if (utcOffsetMinutes(timeZone, hour) > utcOffsetMinutes(timeZone, hour - 1_000)) return hour;
  }
}

describe('a daylight-saving change through a real job scheduler', () => {
  it("ticks Santiago's midnight on the day clocks jump from 00:00 to 01:00, at 01:00: the first tick the queue adds, and the next one a worker adds", async () => {
    // BullMQ counts from now (or a later startDate, or the tick just taken): without faking its
    // clock, the change is the next one to come, a Sunday in September (2025-09-07 at 04:00Z was one).
    const jump = nextSpringChange('America/Santiago', Date.now() + 48 * HOUR);
    const localTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Santiago', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    expect(localTime.format(jump)).toBe('Sun 01:00');
    const saturday = jump - 24 * HOUR; // Saturday 00:00, still at UTC-4
    expect(localTime.format(saturday)).toBe('Sat 00:00');

    const prefix = 'dst';
    const connection = redisOptions(env.redis.url);
    // Set up as ScheduleQueue's queue is (its settings), with a startDate, which ScheduleQueue has no use for.
    const queue = new Queue<TickData>(SCHEDULES_QUEUE, { connection, prefix, settings: SCHEDULE_SETTINGS });
    const taken: number[] = [];
    const worker = new ScheduleWorker(async (tick) => void taken.push(tick.at), { connection, prefix, logger: pino({ level: 'silent' }) });
    const schedule = { cron: '0 0 * * *', timezone: 'America/Santiago', params: {}, catchup: 'latest' as const };
    const upsert = (id: string, startDate: number) =>
      queue.upsertJobScheduler(id, { pattern: schedule.cron, tz: schedule.timezone, startDate }, { name: 'tick', data: { pipeline: id, schedule } });
    try {
      // The queue: a scheduler started on the Saturday at noon ticks next at the jump's 01:00.
      await upsert('from-saturday', saturday + 12 * HOUR);
      expect((await queue.getJobScheduler('from-saturday'))?.next).toBe(jump);
      expect(await queue.getJob(`repeat:from-saturday:${jump}`)).toBeDefined();

      // The worker: a scheduler started on the Friday ticks on Saturday; the worker that takes
      // that tick (promoted, rather than waited for) adds the next at the jump's 01:00.
      await upsert('from-friday', saturday - 12 * HOUR);
      expect((await queue.getJobScheduler('from-friday'))?.next).toBe(saturday);
      await (await queue.getJob(`repeat:from-friday:${saturday}`))!.promote();
      await waitFor("the worker to take Saturday's tick", async () => (taken.includes(saturday) ? true : undefined), 10_000);
      const next = await waitFor('the next tick', async () => {
        const scheduler = await queue.getJobScheduler('from-friday');
        return scheduler?.next !== undefined && scheduler.next !== saturday ? scheduler.next : undefined;
      }, 10_000);
      expect(new Date(next!).toISOString()).toBe(new Date(jump).toISOString());
      expect(await queue.getJob(`repeat:from-friday:${jump}`)).toBeDefined();
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
