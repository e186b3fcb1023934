// The jobs list's filters against a real Redis: labels, creation time, and a search on job id
// and input paths, each served by an index the store's scripts keep in step with the record
// (delete removes every entry), combined with state and pipeline, paged across batches; the
// backfill that indexes jobs written before the indexes existed; and GET /v1/jobs's query.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJobId } from '../../broker/core/ids.ts';
import type { Job, JobState } from '../../broker/core/job.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { JobStore, type JobFilter } from '../../broker/jobs/job-store.ts';
import { backfillSearchIndex } from '../../broker/jobs/maintenance.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { redisForTests } from '../harness/redis-for-tests.ts';
import { ApiTestServer, PROBLEM, type ApiContext, type JobBody } from './api-fixture.ts';

const fixture = redisForTests('search');
let redis: Redis;

beforeAll(() => {
  redis = fixture.redis;
});

const T0 = Date.UTC(2025, 5, 1, 8, 0, 0);
const MINUTE = 60_000;

/** A job created `minutes` after T0 (its id says so), with what the filters look at. */
function jobAt(minutes: number, fields: { pipeline?: string; state?: JobState; labels?: Record<string, string>; inputs?: string[] } = {}): Job {
  const at = new Date(T0 + minutes * MINUTE);
  const iso = at.toISOString();
  const job: Job = {
    id: newJobId(at.getTime(), randomBytes(8)),
    pipeline: fields.pipeline ?? 'sales',
    state: 'queued',
    attempt: 1,
    maxAttempts: 1,
    priority: 10,
    parameters: {},
    inputs: fields.inputs ?? [`/landing/${fields.pipeline ?? 'sales'}/day-${minutes}.parquet`],
    labels: fields.labels ?? {},
    createdAt: iso,
    updatedAt: iso,
    history: [{ state: 'queued', at: iso, attempt: 1, reason: 'submitted' }],
  };
  // Only the state matters to the list: set as a store holding jobs in every state would have it.
  return fields.state ? { ...job, state: fields.state } : job;
}

function freshStore(): { store: JobStore; prefix: string } {
  const prefix = `s${randomBytes(4).toString('hex')}`;
  return { store: new JobStore(redis, redisKeys(prefix)), prefix };
}

/** Every page of a filter, following cursors; the ids newest first and the number of requests. */
async function allPages(store: JobStore, filter: Omit<JobFilter, 'limit' | 'cursor'>, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list({ ...filter, limit, ...(cursor ? { cursor } : {}) });
    pages += 1;
    ids.push(...page.items.map((job) => job.id));
    cursor = page.nextCursor;
  } while (cursor && pages < 1_000);
  return { ids, pages };
}

const newestFirst = (jobs: Job[]) => jobs.map((job) => job.id).sort().reverse();

describe('jobs list filters', () => {
  let store: JobStore;
  const jobs: Job[] = [];

  beforeAll(async () => {
    store = freshStore().store;
    for (let minute = 0; minute < 60; minute += 1) {
      const pipeline = minute % 3 === 0 ? 'returns' : 'sales';
      const team = minute % 2 === 0 ? 'finance' : 'ops';
      const state: JobState = minute % 5 === 0 ? 'failed' : 'succeeded';
      const inputs = minute === 42 ? ['s3://bucket/in/special-2025-06-01.parquet', '/landing/folder/day=7/'] : undefined;
      jobs.push(jobAt(minute, { pipeline, state, labels: { team, shift: String(minute % 4) }, ...(inputs ? { inputs } : {}) }));
    }
    for (const job of jobs) await store.create(job);
  });

  it('filters by one label, by several, and with state and pipeline, newest first', async () => {
    const finance = jobs.filter((job) => job.labels.team === 'finance');
    expect((await store.list({ labels: ['team=finance'], limit: 200 })).items.map((job) => job.id)).toEqual(newestFirst(finance));
    const both = finance.filter((job) => job.labels.shift === '2');
    expect((await store.list({ labels: ['team=finance', 'shift=2'], limit: 200 })).items.map((job) => job.id)).toEqual(newestFirst(both));
    const combined = finance.filter((job) => job.state === 'failed' && job.pipeline === 'returns');
    expect(combined.length).toBeGreaterThan(0);
    expect((await store.list({ labels: ['team=finance'], state: 'failed', pipeline: 'returns', limit: 200 })).items.map((job) => job.id)).toEqual(newestFirst(combined));
    expect((await store.list({ labels: ['team=nobody'], limit: 200 })).items).toEqual([]);
    // A value is matched exactly, not as a prefix.
    expect((await store.list({ labels: ['team=fin'], limit: 200 })).items).toEqual([]);
  });

  it('filters by creation time: from inclusive, until exclusive, alone and with other filters', async () => {
    const from = new Date(T0 + 10 * MINUTE);
    const until = new Date(T0 + 20 * MINUTE);
    const inRange = jobs.filter((job) => Date.parse(job.createdAt) >= from.getTime() && Date.parse(job.createdAt) < until.getTime());
    expect(inRange).toHaveLength(10);
    expect((await store.list({ from, until, limit: 200 })).items.map((job) => job.id)).toEqual(newestFirst(inRange));
    expect((await store.list({ from, limit: 200 })).items).toHaveLength(50);
    expect((await store.list({ until, limit: 200 })).items).toHaveLength(20);
    const sales = inRange.filter((job) => job.pipeline === 'sales' && job.labels.team === 'ops');
    expect((await store.list({ from, until, pipeline: 'sales', labels: ['team=ops'], limit: 200 })).items.map((job) => job.id)).toEqual(newestFirst(sales));
    expect((await store.list({ from: until, until: from, limit: 200 })).items).toEqual([]);
  });

  it('searches by id (exact and prefix), by path prefix and by file name', async () => {
    const target = jobs[42]!;
    const ids = async (q: string, extra: Partial<JobFilter> = {}) => (await store.list({ q, limit: 200, ...extra })).items.map((job) => job.id);
    expect(await ids(target.id)).toEqual([target.id]);
    expect(await ids(target.id.slice(0, 16))).toContain(target.id);
    // A full path, a path prefix, a file name and its start, a folder input's name.
    expect(await ids('s3://bucket/in/special-2025-06-01.parquet')).toEqual([target.id]);
    expect(await ids('s3://bucket/in/')).toEqual([target.id]);
    expect(await ids('special-2025')).toEqual([target.id]);
    expect(await ids('day=7')).toEqual([target.id]);
    // Not a substring search: the middle of a name matches nothing.
    expect(await ids('2025-06-01.parquet')).toEqual([]);
    // A prefix many paths share, combined with the pipeline and a label.
    const returnsDays = jobs.filter((job) => job.inputs.some((path) => path.startsWith('/landing/returns/')));
    expect(await ids('/landing/returns/')).toEqual(newestFirst(returnsDays));
    const underLanding = jobs.filter((job) => job.pipeline === 'returns' && job.labels.team === 'finance' && job.inputs.some((path) => path.startsWith('/landing/')));
    expect(underLanding).toContain(target);
    expect(await ids('/landing/', { pipeline: 'returns', labels: ['team=finance'] })).toEqual(newestFirst(underLanding));
    expect(await ids('day-1', { from: new Date(T0 + 11 * MINUTE) })).toEqual(newestFirst(jobs.filter((job, minute) => minute >= 11 && job.inputs[0]!.includes('/day-1'))));
  });

  it('pages every filter with the cursor, without repeats or gaps', async () => {
    for (const filter of [{}, { labels: ['team=ops'] }, { q: '/landing/sales/' }, { from: new Date(T0 + 7 * MINUTE), pipeline: 'sales' }, { state: 'succeeded' as const, labels: ['shift=1'] }]) {
      const expected = (await store.list({ ...filter, limit: 200 })).items.map((job) => job.id);
      const { ids } = await allPages(store, filter, 4);
      expect(ids).toEqual(expected);
    }
  });
});

describe('paging across batches', () => {
  it('a rare match behind many non-matching jobs: each request reads a bounded number, the cursor carries on, none lost', async () => {
    const { store } = freshStore();
    // Two large sets (a label, a pipeline) with 3 jobs in both, the oldest behind more jobs than one request reads.
    const both = new Set([5, 2_600, 4_900]);
    const jobs = Array.from({ length: 5_000 }, (_, i) =>
      jobAt(i, { labels: { side: i < 2_500 || both.has(i) ? 'left' : 'right' }, pipeline: i >= 2_500 || both.has(i) ? 'right' : 'sales' }),
    );
    for (const job of jobs) await store.create(job);
    const expected = newestFirst(jobs.filter((_, i) => both.has(i)));
    const first = await store.list({ labels: ['side=left'], pipeline: 'right', limit: 10 });
    expect(first.items.map((job) => job.id)).toEqual(expected.slice(0, 1));
    expect(first.nextCursor).toBeDefined();
    const { ids, pages } = await allPages(store, { labels: ['side=left'], pipeline: 'right' }, 10);
    expect(ids).toEqual(expected);
    expect(pages).toBe(2);
    // The same with a search in place of the label, and paging a broad match in full pages.
    expect((await allPages(store, { q: '/landing/right/', labels: ['side=left'] }, 10)).ids).toEqual(expected);
    expect((await allPages(store, { labels: ['side=right'], q: '/landing/right/' }, 200)).ids).toEqual(newestFirst(jobs.filter((job) => job.labels.side === 'right')));
  });

  it('a search with more matches than are read whole walks the newest jobs and checks each', async () => {
    const { store } = freshStore();
    const sharedPrefix = Array.from({ length: 5_100 }, (_, i) => jobAt(i, { inputs: [`/landing/bulk/f${i}.parquet`, `/landing/bulk/g${i}.parquet`] }));
    for (const job of sharedPrefix) await store.create(job);
    // 10,200 path entries and as many names: more than SEARCH_MATCHES_READ_AT_MOST.
    const page = await store.list({ q: '/landing/bulk/', limit: 5 });
    expect(page.items.map((job) => job.id)).toEqual(newestFirst(sharedPrefix).slice(0, 5));
    expect(page.nextCursor).toBe(page.items.at(-1)!.id);
  });
});

describe('index entries follow the record', () => {
  it('delete removes every entry; a rewrite keeps them; changed labels move them', async () => {
    const { store, prefix } = freshStore();
    const keys = redisKeys(prefix);
    const job = jobAt(1, { labels: { team: 'a' }, inputs: ['/landing/x/one.parquet', '/landing/x/two.parquet'] });
    await store.create(job);
    const entries = async () => ({
      label: await redis.zrange(keys.byLabel('team=a'), 0, -1),
      moved: await redis.zrange(keys.byLabel('team=b'), 0, -1),
      paths: await redis.zcard(keys.inputPaths),
      names: await redis.zcard(keys.inputNames),
    });
    expect(await entries()).toEqual({ label: [job.id], moved: [], paths: 2, names: 2 });
    const running = await store.update(job.id, (current) => transition(current, 'launching', new Date(), 'test'));
    expect(await entries()).toEqual({ label: [job.id], moved: [], paths: 2, names: 2 });
    await store.update(job.id, (current) => ({ ...current, labels: { team: 'b' }, inputs: ['/landing/x/one.parquet'] }));
    expect(await entries()).toEqual({ label: [], moved: [job.id], paths: 1, names: 1 });
    expect((await store.list({ q: 'two', limit: 10 })).items).toEqual([]);
    expect(running?.state).toBe('launching');
    const stored = (await store.read(job.id))!;
    expect(await store.delete(stored)).toBe(true);
    expect(await entries()).toEqual({ label: [], moved: [], paths: 0, names: 0 });
    expect((await store.list({ q: '/landing/x/', limit: 10 })).items).toEqual([]);
  });
});

describe('search index backfill', () => {
  it('indexes jobs written before the indexes, in bounded batches, once, and skips deleted ones', async () => {
    const { store, prefix } = freshStore();
    const keys = redisKeys(prefix);
    const logger = pino({ level: 'silent' });
    const old = Array.from({ length: 25 }, (_, i) => jobAt(i, { labels: { team: i % 2 === 0 ? 'even' : 'odd' }, inputs: [`/landing/old/f${i}.parquet`] }));
    for (const job of old) await store.create(job);
    // As the previous version wrote them: the record and the state, pipeline and all-jobs sets, no search entries.
    await redis.del(keys.inputPaths, keys.inputNames, keys.byLabel('team=even'), keys.byLabel('team=odd'));
    expect((await store.list({ labels: ['team=even'], limit: 100 })).items).toEqual([]);
    expect((await store.list({ q: 'f1', limit: 100 })).items).toEqual([]);
    // A job that vanishes mid-backfill gets no entries.
    await redis.del(keys.job(old[24]!.id));

    expect(await backfillSearchIndex({ store, logger }, 10)).toBe(10);
    expect((await store.list({ labels: ['team=even'], limit: 100 })).items).toHaveLength(5);
    expect(await backfillSearchIndex({ store, logger }, 10)).toBe(10);
    expect(await backfillSearchIndex({ store, logger }, 10)).toBe(4);
    expect(await store.searchBackfillMark()).toBe('done');
    expect(await backfillSearchIndex({ store, logger }, 10)).toBe(0);

    expect((await store.list({ labels: ['team=even'], limit: 100 })).items.map((job) => job.id)).toEqual(newestFirst(old.filter((job, i) => i % 2 === 0 && i !== 24)));
    expect((await store.list({ q: 'f1', limit: 100 })).items).toHaveLength(11);
    expect(await redis.zcard(keys.inputPaths)).toBe(24);
  });
});

describe('GET /v1/jobs filters', () => {
  let api: ApiTestServer;
  let ctx: ApiContext;
  let tagged: JobBody;
  let other: JobBody;

  beforeAll(async () => {
    api = await ApiTestServer.start();
    ctx = await api.context();
    const submit = async (labels: Record<string, string>) =>
      (await (await ctx.call('/v1/jobs', { method: 'POST', body: JSON.stringify({ pipeline: 'sales', inputs: [join(ctx.landing, 'sales', 'part-0.parquet')], labels }), headers: { 'Content-Type': 'application/json' } })).json()) as JobBody;
    tagged = await submit({ team: 'finance', 'run/kind': 'backfill' });
    other = await submit({ team: 'ops' });
  });
  afterAll(async () => {
    await ctx?.close();
    await api?.stop();
  });

  const ids = async (query: string) => {
    const response = await ctx.call(`/v1/jobs?${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: JobBody[] }).items.map((job) => job.id);
  };

  it('takes repeatable labels, a time range and a search', async () => {
    expect(await ids('label=team%3Dfinance')).toEqual([tagged.id]);
    expect(await ids('label=team%3Dfinance&label=run%2Fkind%3Dbackfill')).toEqual([tagged.id]);
    expect(await ids('label=team%3Dfinance&label=run%2Fkind%3Dother')).toEqual([]);
    expect(await ids(`from=${encodeURIComponent(tagged.createdAt)}`)).toEqual([other.id, tagged.id]);
    expect(await ids(`until=${encodeURIComponent(other.createdAt)}&from=2000-01-01`)).toEqual(other.createdAt === tagged.createdAt ? [] : [tagged.id]);
    expect(await ids(`q=${other.id}`)).toEqual([other.id]);
    expect(await ids('q=part-0')).toEqual([other.id, tagged.id]);
    expect(await ids(`q=${encodeURIComponent(join(ctx.landing, 'sales'))}&label=team%3Dops`)).toEqual([other.id]);
  });

  it('answers 422 with the field path for a bad label, time or search, and for a filter it does not know', async () => {
    const problem = async (query: string) => {
      const response = await ctx.call(`/v1/jobs?${query}`);
      expect(response.status).toBe(422);
      expect(response.headers.get('Content-Type')).toContain(PROBLEM);
      return ((await response.json()) as { errors: { path: string }[] }).errors.map((error) => error.path);
    };
    expect(await problem('label=team')).toEqual(['label.0']);
    expect(await problem('label=team%3Dok&label=Team%3Dx')).toEqual(['label.1']);
    expect(await problem('from=yesterday')).toEqual(['from']);
    expect(await problem('until=2025-13-01')).toEqual(['until']);
    expect(await problem('from=2025-06-02&until=2025-06-01')).toEqual(['until']);
    expect(await problem('q=')).toEqual(['q']);
    expect(await problem('q=a%0Ab')).toEqual(['q']);
    // A misspelt filter would otherwise list every job, and a script acting on the list would act on all of them.
    expect(await problem('status=failed')).toEqual(['status']);
    expect(await problem('pipline=returns&state=failed')).toEqual(['pipline']);
  });
});
