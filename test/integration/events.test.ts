// The event stream with the roles apart, as `sluice api` and `sluice worker` run them: two
// Sluices on one real Redis, jobs run by the real local launcher through spark-submit with the
// stand-in app. The worker's transitions must reach SSE clients of the API; a client that
// reconnects with Last-Event-ID gets each event once; filters hold; a trimmed stream says so;
// an event is written with its change or not at all; the API rides out a Redis outage and
// ends its streams when the client goes or the process stops. Production defaults throughout
// (the stream's length included).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS_MAX_LENGTH, type SluiceEvent } from '../../broker/core/events.ts';
import type { Job } from '../../broker/core/job.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http, type Http } from '../harness/http.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { openSse, type SseClient, type SseFrame } from '../harness/sse-client.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let api: RunningSluice;
let worker: RunningSluice;
let client: Http;
let base: string;
let redis: Redis;
const opened: SseClient[] = [];

const pipelines = pipelineRegistry([standInPipeline('evented'), standInPipeline('other-feed')]);
const EVENTS_KEY = redisKeys('sluice').events;

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir() });
  api = await startSluice(env.config(), { api: true, worker: false }, { pipelines });
  worker = await startSluice(env.config(), { api: false, worker: true }, { pipelines });
  base = `http://127.0.0.1:${api.port}`;
  client = http(base, env.apiKey);
  redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
});

afterAll(async () => {
  for (const sse of opened) sse.close();
  redis?.disconnect();
  await worker?.close();
  await api?.close();
  await env?.close();
});

async function follow(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const sse = await openSse(`${base}${path}`, env.apiKey, headers);
  opened.push(sse);
  expect(sse.status).toBe(200);
  expect(sse.headers.get('content-type')).toContain('text/event-stream');
  // Subscribed once the server said so: events from here on reach this client.
  await sse.until('the feed to start', () => (sse.comments.includes('subscribed') ? true : undefined), 10_000);
  return sse;
}

const eventsOf = (frames: SseFrame[]): SluiceEvent[] => frames.filter((frame) => frame.id !== undefined).map((frame) => JSON.parse(frame.data) as SluiceEvent);
const typesOf = (frames: SseFrame[], jobId: string): string[] => eventsOf(frames).filter((e) => e.jobId === jobId).map((e) => e.type);
const finishedIn = (sse: SseClient, jobId: string) =>
  sse.until(`job ${jobId} to finish in the feed`, (frames) => (eventsOf(frames).some((e) => e.jobId === jobId && ['job.succeeded', 'job.failed'].includes(e.type)) ? true : undefined), 120_000);

const submit = (pipeline = 'evented', parameters: Record<string, number> = {}): Promise<Job> => client.submit({ pipeline, parameters, inputs: ['none.parquet'] });

describe('events across processes', () => {
  it("a job's transitions, written by the worker process, reach an SSE client of the API process in order, with the job's trace id", async () => {
    const sse = await follow('/v1/events?pipeline=evented');
    const job = await submit();
    await finishedIn(sse, job.id);
    expect(typesOf(sse.frames, job.id)).toEqual(['job.queued', 'job.launching', 'job.running', 'job.succeeded']);
    const events = eventsOf(sse.frames).filter((e) => e.jobId === job.id);
    for (const [i, event] of events.entries()) {
      expect(event).toMatchObject({ pipeline: 'evented', jobId: job.id, attempt: 1, traceId: job.traceId });
      // SSE's id is the stream id, also in the data; ids only grow.
      if (i > 0) expect(BigInt(event.id.split('-')[0]!) * 1_000_000n + BigInt(event.id.split('-')[1]!)).toBeGreaterThan(BigInt(events[i - 1]!.id.split('-')[0]!) * 1_000_000n + BigInt(events[i - 1]!.id.split('-')[1]!));
    }
    expect(events[1]).toMatchObject({ from: 'queued', state: 'launching' });
    const frame = sse.frames.find((f) => f.id === events[3]!.id)!;
    expect(frame.event).toBe('job.succeeded');
    // Nothing internal in an event.
    for (const event of events) for (const key of ['cancelRequested', 'finalized', 'retryAt', 'idempotencyScope', 'inputs', 'parameters']) expect(event).not.toHaveProperty(key);

    // The job's own feed replays its story from its creation, after the fact.
    const own = await follow(`/v1/jobs/${job.id}/events`);
    await own.until('the replay', (frames) => (eventsOf(frames).length >= 4 ? true : undefined), 10_000);
    expect(eventsOf(own.frames).map((e) => e.id)).toEqual(events.map((e) => e.id));
    own.close();
    sse.close();
  });

  it('a client that reconnects with Last-Event-ID (or ?since=) gets every event once, none missed, none repeated, while jobs ran meanwhile', async () => {
    const reference = await follow('/v1/events?type=job.');
    const first = await follow('/v1/events?type=job.');
    const jobs = [await submit(), await submit('other-feed')];
    // Drop the connection part way through the first job's story.
    await first.until('two events', (frames) => (eventsOf(frames).length >= 2 ? true : undefined));
    first.close();
    const seenBefore = eventsOf(first.frames);
    const resumeAfter = first.lastId()!;
    // More jobs run while the client is away.
    jobs.push(await submit());
    await Promise.all(jobs.map((job) => finishedIn(reference, job.id)));
    const again = await follow('/v1/events?type=job.', { 'Last-Event-ID': resumeAfter });
    const bySince = await follow(`/v1/events?type=job.&since=${resumeAfter}`);
    const expected = eventsOf(reference.frames).map((e) => e.id);
    const needed = expected.length - seenBefore.length;
    for (const resumed of [again, bySince]) {
      await resumed.until('the rest', (frames) => (eventsOf(frames).length >= needed ? true : undefined));
      const all = [...seenBefore, ...eventsOf(resumed.frames)].map((e) => e.id);
      expect(all).toEqual(expected);
      expect(new Set(all).size).toBe(all.length);
      expect(resumed.frames.some((f) => f.event === 'gap')).toBe(false);
    }
    // And live again: a new job reaches the resumed client once.
    const later = await submit();
    await finishedIn(again, later.id);
    expect(typesOf(again.frames, later.id)).toEqual(['job.queued', 'job.launching', 'job.running', 'job.succeeded']);
    for (const sse of [reference, again, bySince]) sse.close();
  });

  it('filters by pipeline, job and type (a type may be a prefix); landing changes are events too', async () => {
    const replay = '0-0';
    const byPipeline = await follow(`/v1/events?pipeline=other-feed&since=${replay}`);
    const succeeded = await follow(`/v1/events?type=job.succeeded&since=${replay}`);
    const landings = await follow(`/v1/events?type=landing.&since=${replay}`);
    const job = await submit('other-feed');
    const byJob = await follow(`/v1/events?job=${job.id}&since=${replay}`);
    // A landing recorded, made ready, batched for a pipeline, then quarantined: the watcher's
    // ledger writes, from the worker's process.
    const landing = { fingerprint: 'fp-events-1', source: 'evented/0', path: 'drop/a.parquet', uri: `${env.landing}/drop/a.parquet`, size: 10, mtimeMs: 1 };
    await worker.landings.markSeen(landing);
    await worker.landings.markReady(landing);
    await worker.landings.claimForBatch([landing.fingerprint], 'batch-events-1', { pipeline: 'evented' });
    await worker.landings.quarantine([landing.fingerprint], 'not a Parquet file');
    await finishedIn(byJob, job.id);
    await landings.until('the quarantine', (frames) => (eventsOf(frames).some((e) => e.type === 'landing.quarantined') ? true : undefined));

    expect(new Set(eventsOf(byPipeline.frames).map((e) => e.pipeline))).toEqual(new Set(['other-feed']));
    expect(eventsOf(byJob.frames).map((e) => e.jobId)).toEqual([job.id, job.id, job.id, job.id]);
    const succeededTypes = new Set(eventsOf((await succeeded.until('the job', (f) => (eventsOf(f).some((e) => e.jobId === job.id) ? f : undefined)))).map((e) => e.type));
    expect(succeededTypes).toEqual(new Set(['job.succeeded']));
    const landingEvents = eventsOf(landings.frames).filter((e) => e.landing?.fingerprint === landing.fingerprint);
    expect(landingEvents.map((e) => [e.type, e.from])).toEqual([
      ['landing.seen', undefined],
      ['landing.ready', 'seen'],
      ['landing.batched', 'ready'],
      ['landing.quarantined', 'batched'],
    ]);
    expect(landingEvents[2]).toMatchObject({ pipeline: 'evented', landing: { source: 'evented/0', path: 'drop/a.parquet', batchId: 'batch-events-1' } });
    expect(landingEvents[3]).toMatchObject({ pipeline: 'evented', reason: 'not a Parquet file', state: 'quarantined' });
    expect(eventsOf(landings.frames).every((e) => e.type.startsWith('landing.'))).toBe(true);
    for (const sse of [byPipeline, succeeded, landings, byJob]) sse.close();
  });

  it('refuses a bad filter or event id with 422, an unknown job with 404, and a missing key with 401', async () => {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${env.apiKey}`, ...headers } });
    for (const path of ['/v1/events?type=job.exploded', '/v1/events?since=yesterday', '/v1/events?pipeline=Bad%20Name', '/v1/events?jobId=j1']) {
      const response = await get(path);
      expect(response.status, path).toBe(422);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await get('/v1/events', { 'Last-Event-ID': '1-x' })).status).toBe(422);
    // An id no event can have yet (a day ahead of the clock) would keep the stream silent until then.
    const ahead = `${Date.now() + 86_400_000}-0`;
    for (const [path, headers, field] of [[`/v1/events?since=${ahead}`, {}, 'since'], ['/v1/events', { 'Last-Event-ID': ahead }, 'last-event-id']] as const) {
      const response = await get(path, headers);
      expect(response.status, path).toBe(422);
      expect(((await response.json()) as { errors: unknown }).errors).toEqual([{ path: field, message: expect.stringMatching(/ahead of the server's clock/) }]);
    }
    expect((await get('/v1/jobs/no-such-job/events')).status).toBe(404);
    expect((await fetch(`${base}/v1/events`)).status).toBe(401);
  });
});

describe('atomic with the change', () => {
  it('a compare-and-set that loses writes no event; the one that wins writes exactly one, with the state it wrote', async () => {
    const template = await client.finished((await submit()).id, 120_000);
    // A record of its own, in no queue: nothing but this test writes it.
    const now = new Date().toISOString();
    const job: Job = { ...template, id: 'jeventsatomic01', state: 'queued', createdAt: now, updatedAt: now, history: [{ state: 'queued', at: now, attempt: 1, reason: 'submitted' }] };
    const start = await redis.xlen(EVENTS_KEY);
    expect(await api.store.create(job)).toBeUndefined();
    expect(await redis.xlen(EVENTS_KEY)).toBe(start + 1);
    const stored = (await api.store.read(job.id))!;
    // Someone else writes first (a cancel) …
    expect(await api.store.compareAndSet(stored, transition(stored.job, 'cancelled', new Date(), 'cancelled by test'))).toBeDefined();
    expect(await redis.xlen(EVENTS_KEY)).toBe(start + 2);
    const [[, fields]] = (await redis.xrevrange(EVENTS_KEY, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    expect(fields).toEqual(expect.arrayContaining(['type', 'job.cancelled', 'job', job.id, 'from', 'queued', 'reason', 'cancelled by test']));
    // … so a write based on the record as first read loses, and leaves no event behind.
    expect(await api.store.compareAndSet(stored, transition(stored.job, 'launching', new Date(), 'stale write'))).toBeUndefined();
    expect(await redis.xlen(EVENTS_KEY)).toBe(start + 2);
    expect((await api.store.get(job.id))!.state).toBe('cancelled');
    // A change within a state (no new history entry) is not an event either.
    const cancelled = (await api.store.read(job.id))!;
    expect(await api.store.compareAndSet(cancelled, { ...cancelled.job, finalized: true })).toBeDefined();
    expect(await redis.xlen(EVENTS_KEY)).toBe(start + 2);
  });

  it('a landing move that is refused (quarantine after done, ready twice) writes no event', async () => {
    const landing = { fingerprint: 'fp-events-2', source: 'evented/0', path: 'drop/b.parquet', uri: `${env.landing}/drop/b.parquet`, size: 10, mtimeMs: 1 };
    await worker.landings.markReady(landing);
    await worker.landings.claimForBatch([landing.fingerprint], 'batch-events-2', { pipeline: 'evented' });
    await worker.landings.markDone([landing.fingerprint]);
    const length = await redis.xlen(EVENTS_KEY);
    expect(await worker.landings.quarantine([landing.fingerprint], 'too late')).toEqual([]);
    expect((await worker.landings.markReady(landing)).changed).toBe(false);
    expect(await redis.xlen(EVENTS_KEY)).toBe(length);
  });
});

describe('Redis away and shutdown', () => {
  it('keeps its SSE clients through a Redis outage, answers new ones 503 at once, and resumes from the last id with nothing missed or repeated', async () => {
    const sse = await follow('/v1/events?type=job.');
    const before = await submit();
    await finishedIn(sse, before.id);
    await env.redis.stop();
    const started = performance.now();
    const refused = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${env.apiKey}` }, signal: AbortSignal.timeout(30_000) });
    expect(refused.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2_000);
    // Longer than the hub's block time, so its read fails and retries at least once.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await env.redis.restart();
    const after = await waitFor('the API to take a submit again', () => submit().catch(() => undefined), 30_000, 500);
    await finishedIn(sse, after.id);
    const ids = eventsOf(sse.frames).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(typesOf(sse.frames, after.id)).toEqual(['job.queued', 'job.launching', 'job.running', 'job.succeeded']);
    sse.close();
  });

  it('lets go of a client that went away: no subscriber is left behind', async () => {
    const hub = api.eventHub!;
    // The earlier tests' clients, all closed by now, are gone too.
    await waitFor('earlier subscribers to go', async () => (hub.subscriberCount === 0 ? true : undefined), 10_000, 50);
    const clients = await Promise.all([1, 2, 3].map(() => follow('/v1/events')));
    expect(hub.subscriberCount).toBe(3);
    for (const sse of clients) sse.close();
    await waitFor('the subscribers to go', async () => (hub.subscriberCount === 0 ? true : undefined), 10_000, 50);
  });

  it('ends open streams when the API stops (SIGTERM), so that it stops at once', async () => {
    const second = await startSluice(env.config(), { api: true, worker: false }, { pipelines });
    const sse = await openSse(`http://127.0.0.1:${second.port}/v1/events`, env.apiKey);
    await sse.until('the feed to start', () => (sse.comments.includes('subscribed') ? true : undefined), 10_000);
    const started = performance.now();
    await second.close();
    await sse.ended;
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('bounded history', () => {
  it(`keeps about ${DEFAULT_EVENTS_MAX_LENGTH} events by default; a client resuming from a trimmed id is told of the gap first, then gets what is kept`, async () => {
    const probe = await submit();
    await client.finished(probe.id, 120_000);
    const resumeFrom = ((await redis.xrange(EVENTS_KEY, '-', '+', 'COUNT', 1)) as Array<[string, string[]]>)[0]![0];
    // Fill the stream past its length with landing events, as the ledger's scripts write them
    // (same MAXLEN ~ trimming), in pipelined batches.
    for (let written = 0; written < DEFAULT_EVENTS_MAX_LENGTH + 5_000; written += 5_000) {
      const batch = redis.pipeline();
      for (let i = 0; i < 5_000; i += 1) {
        batch.xadd(EVENTS_KEY, 'MAXLEN', '~', DEFAULT_EVENTS_MAX_LENGTH, '*', 'type', 'landing.seen', 'time', String(Date.now()), 'state', 'seen', 'fp', `filler-${written + i}`, 'source', 'filler/0', 'path', 'x');
      }
      await batch.exec();
    }
    const job = await submit();
    await client.finished(job.id, 120_000);
    const length = await redis.xlen(EVENTS_KEY);
    expect(length).toBeGreaterThanOrEqual(DEFAULT_EVENTS_MAX_LENGTH);
    // "~" trims whole radix-tree nodes (100 entries by default), never below the length asked.
    expect(length).toBeLessThan(DEFAULT_EVENTS_MAX_LENGTH + 1_000);

    const resumed = await follow(`/v1/events?job=${job.id}`, { 'Last-Event-ID': resumeFrom });
    await resumed.until('the job', (frames) => (eventsOf(frames).length >= 4 ? true : undefined));
    expect(resumed.frames[0]!.event).toBe('gap');
    expect(resumed.frames[0]!.id).toBeUndefined();
    const gap = JSON.parse(resumed.frames[0]!.data) as { after: string; oldest: string };
    expect(gap.after).toBe(resumeFrom);
    expect(gap.oldest).toBe(((await redis.xrange(EVENTS_KEY, '-', '+', 'COUNT', 1)) as Array<[string, string[]]>)[0]![0]);
    expect(typesOf(resumed.frames, job.id)).toEqual(['job.queued', 'job.launching', 'job.running', 'job.succeeded']);
    // Resuming from an id still kept: no gap.
    const kept = eventsOf(resumed.frames)[0]!.id;
    const fine = await follow(`/v1/events?job=${job.id}`, { 'Last-Event-ID': kept });
    await fine.until('the rest', (frames) => (eventsOf(frames).length >= 3 ? true : undefined));
    expect(fine.frames.some((f) => f.event === 'gap')).toBe(false);
    resumed.close();
    fine.close();
  });
});
