// What the dashboard's overview reads beyond the job counts, over a real Redis: GET
// /v1/stats/runs (runs per pipeline in the last hours, from the `finished` index, bounded to
// RUNS_READ_AT_MOST records) over jobs written through the store with known durations and
// outcomes, and the jobs list oldest first (the oldest queued job), paged by cursor.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJobId } from '../../broker/core/ids.ts';
import type { Job, JobState } from '../../broker/core/job.ts';
import { HOUR_MS } from '../../broker/core/run-stats.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { RUNS_READ_AT_MOST } from '../../broker/api/routes/run-stats.ts';
import type { JobFilter, JobStore } from '../../broker/jobs/job-store.ts';
import { ApiTestServer, PROBLEM, type ApiContext, type JobBody } from './api-fixture.ts';

let server: ApiTestServer;

beforeAll(async () => {
  server = await ApiTestServer.start();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const SECOND = 1_000;

/** A queued job of `pipeline` created at `createdAtMs` (its id says so), as submit writes it. */
function queuedJob(pipeline: string, createdAtMs: number, inputs: string[] = [`/landing/${pipeline}/part-0.parquet`]): Job {
  const iso = new Date(createdAtMs).toISOString();
  return {
    id: newJobId(createdAtMs, randomBytes(8)),
    pipeline,
    state: 'queued',
    attempt: 1,
    maxAttempts: 1,
    priority: 10,
    parameters: {},
    inputs,
    labels: {},
    createdAt: iso,
    updatedAt: iso,
    history: [{ state: 'queued', at: iso, attempt: 1, reason: 'submitted' }],
  };
}

/** Writes a job through the store and moves it as a worker would, ending in `outcome` at `finishedAtMs`. */
async function ran(store: JobStore, pipeline: string, outcome: JobState, createdAtMs: number, finishedAtMs: number): Promise<string> {
  const job = queuedJob(pipeline, createdAtMs);
  await store.create(job);
  const steps: JobState[] = outcome === 'succeeded' ? ['launching', 'running', 'succeeded'] : outcome === 'running' ? ['launching', 'running'] : [outcome];
  for (const state of steps) {
    const at = state === outcome ? finishedAtMs : createdAtMs + 1;
    await store.update(job.id, (current) => transition(current, state, new Date(at), 'test'));
  }
  return job.id;
}

type PipelineRuns = { pipeline: string; succeeded: number; failed: number; cancelled: number; p50Ms: number | null; p95Ms: number | null; trend: { succeeded: number[]; failed: number[] } };
type RunStats = { from: string; until: string; hours: number; total: number; truncated: boolean; countedFrom: string; items: PipelineRuns[] };

describe('GET /v1/stats/runs', () => {
  let ctx: ApiContext;
  beforeAll(async () => {
    ctx = await server.context();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('counts each pipeline\'s outcomes in the window, with p50/p95 from submit to the end and a trend per hour', async () => {
    const now = Date.now();
    const endedAgo = (hours: number) => now - hours * HOUR_MS;
    // sales, succeeded and failed, took 10, 20, 30, 40 and 100 s.
    for (const [took, hoursAgo] of [[10, 0.2], [20, 0.3], [30, 1.5], [40, 5.5]] as const) await ran(ctx.store, 'sales', 'succeeded', endedAgo(hoursAgo) - took * SECOND, endedAgo(hoursAgo));
    await ran(ctx.store, 'sales', 'failed', endedAgo(3.5) - 100 * SECOND, endedAgo(3.5));
    // Counted, not timed.
    await ran(ctx.store, 'sales', 'cancelled', endedAgo(2.5) - 5_000 * SECOND, endedAgo(2.5));
    // Outside the window, or not finished: not counted.
    await ran(ctx.store, 'sales', 'succeeded', endedAgo(25) - SECOND, endedAgo(25));
    await ran(ctx.store, 'sales', 'running', endedAgo(1), endedAgo(1));
    // A pipeline no longer loaded still shows with its runs.
    await ran(ctx.store, 'retired', 'failed', endedAgo(23.5) - 7 * SECOND, endedAgo(23.5));

    const response = await ctx.call('/v1/stats/runs?hours=24', { key: ctx.keys.reader });
    expect(response.status).toBe(200);
    const stats = (await response.json()) as RunStats;
    expect(stats).toMatchObject({ hours: 24, total: 7, truncated: false });
    expect(Date.parse(stats.until) - Date.parse(stats.from)).toBe(24 * HOUR_MS);
    expect(stats.countedFrom).toBe(stats.from);
    expect(stats.items.map((row) => row.pipeline)).toEqual(['retired', 'returns', 'sales']);
    const [retired, returns, sales] = stats.items;
    expect(sales).toMatchObject({ succeeded: 4, failed: 1, cancelled: 1, p50Ms: 30 * SECOND, p95Ms: 100 * SECOND });
    const zeros = new Array(24).fill(0);
    expect(sales!.trend.succeeded).toEqual(zeros.map((_, i) => (i === 23 ? 2 : i === 22 ? 1 : i === 18 ? 1 : 0)));
    expect(sales!.trend.failed).toEqual(zeros.map((_, i) => (i === 20 ? 1 : 0)));
    expect(returns).toMatchObject({ succeeded: 0, failed: 0, cancelled: 0, p50Ms: null, p95Ms: null, trend: { succeeded: zeros, failed: zeros } });
    expect(retired).toMatchObject({ failed: 1, p50Ms: 7 * SECOND });
    expect(retired!.trend.failed[0]).toBe(1);

    // A shorter window: fewer runs, fewer buckets (and the default is 24 hours).
    const recent = (await (await ctx.call('/v1/stats/runs?hours=2')).json()) as RunStats;
    expect(recent.items.find((row) => row.pipeline === 'sales')).toMatchObject({ succeeded: 3, failed: 0, p50Ms: 20 * SECOND, trend: { succeeded: [1, 2], failed: [0, 0] } });
    expect(((await (await ctx.call('/v1/stats/runs')).json()) as RunStats).hours).toBe(24);
  });

  it('refuses a window it does not serve, naming the field', async () => {
    for (const hours of ['0', '169', 'a-day']) {
      const response = await ctx.call(`/v1/stats/runs?hours=${hours}`);
      expect(response.status, hours).toBe(422);
      expect(response.headers.get('Content-Type')).toBe(PROBLEM);
      expect(JSON.stringify(await response.json())).toContain('hours');
    }
  });

  it(`reads at most ${RUNS_READ_AT_MOST} records, the newest, and says the window held more`, async () => {
    const busy = await server.context();
    try {
      const now = Date.now();
      // The oldest run finished 2 h ago, the rest in the last hour: the newest RUNS_READ_AT_MOST are all recent.
      await ran(busy.store, 'sales', 'failed', now - 2 * HOUR_MS - SECOND, now - 2 * HOUR_MS);
      for (let start = 0; start < RUNS_READ_AT_MOST; start += 500) {
        await Promise.all(
          Array.from({ length: 500 }, async (_, i) => {
            const finishedAt = now - HOUR_MS + (start + i) * 100;
            await ran(busy.store, 'sales', 'cancelled', finishedAt - SECOND, finishedAt);
          }),
        );
      }
      const stats = (await (await busy.call('/v1/stats/runs?hours=3')).json()) as RunStats;
      expect(stats).toMatchObject({ total: RUNS_READ_AT_MOST + 1, truncated: true });
      expect(Date.parse(stats.countedFrom)).toBe(now - HOUR_MS);
      expect(stats.items.find((row) => row.pipeline === 'sales')).toMatchObject({ cancelled: RUNS_READ_AT_MOST, failed: 0 });
    } finally {
      await busy.close();
    }
  }, 120_000);
});

describe('the jobs list, oldest first', () => {
  let ctx: ApiContext;
  beforeAll(async () => {
    ctx = await server.context();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  /** Every page of a filter, following cursors: the ids in page order. */
  async function allPages(filter: Omit<JobFilter, 'limit' | 'cursor'>, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await ctx.store.list({ ...filter, limit, ...(cursor ? { cursor } : {}) });
      pages += 1;
      ids.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
    } while (cursor && pages < 100);
    return ids;
  }

  it('pages oldest first and newest first through the same jobs, each cursor carrying on in its order', async () => {
    const t0 = Date.now() - 10 * HOUR_MS;
    const queued: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const job = queuedJob(i % 2 === 0 ? 'sales' : 'returns', t0 + i * 60_000, [`/landing/batch-${i}.parquet`]);
      await ctx.store.create(job);
      queued.push(job.id);
    }
    // Finished jobs in between, which a state filter has to step over.
    await ran(ctx.store, 'sales', 'failed', t0 + 30_000, t0 + 40_000);
    await ran(ctx.store, 'sales', 'failed', t0 + 150_000, t0 + 160_000);

    expect(await allPages({ state: 'queued', order: 'oldest' }, 2)).toEqual(queued);
    expect(await allPages({ state: 'queued', order: 'newest' }, 2)).toEqual([...queued].reverse());
    expect(await allPages({ state: 'queued' }, 3)).toEqual([...queued].reverse());
    // Two filters (one checked per job), a time range, and the search's own source.
    expect(await allPages({ state: 'queued', pipeline: 'sales', order: 'oldest' }, 1)).toEqual([queued[0], queued[2], queued[4], queued[6]]);
    expect(await allPages({ state: 'queued', order: 'oldest', from: new Date(t0 + 120_000), until: new Date(t0 + 300_000) }, 2)).toEqual(queued.slice(2, 5));
    expect(await allPages({ q: '/landing/batch-', order: 'oldest' }, 2)).toEqual(queued);
    expect(await allPages({ q: '/landing/batch-', order: 'newest' }, 2)).toEqual([...queued].reverse());

    // Over HTTP: the oldest queued job in one read, and the next one from its cursor.
    const first = await ctx.call('/v1/jobs?state=queued&order=oldest&limit=1', { key: ctx.keys.reader });
    expect(first.status).toBe(200);
    const page = (await first.json()) as { items: JobBody[]; nextCursor?: string };
    expect(page.items.map((job) => job.id)).toEqual([queued[0]]);
    expect(page.nextCursor).toBe(queued[0]);
    const second = (await (await ctx.call(`/v1/jobs?state=queued&order=oldest&limit=1&cursor=${page.nextCursor}`)).json()) as { items: JobBody[] };
    expect(second.items.map((job) => job.id)).toEqual([queued[1]]);
    const bad = await ctx.call('/v1/jobs?order=sideways');
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('order');
  });
});
