// The load stage inside real jobs: real Redis, the real local launcher with the stand-in app
// writing a Parquet run, and a real PostgreSQL as the reporting database.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http } from '../harness/http.ts';
import { PostgresServer } from '../harness/postgres-server.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let pg: PostgresServer;
let sluice: RunningSluice | undefined;

const pipelines = pipelineRegistry([
  standInPipeline('to-sql', { max_attempts: 2 }, { outputs: { sql: { connection: 'reporting', table: 'reports.totals', keys: ['x'], mode: 'merge' } } }),
  standInPipeline('to-sql-progress', { max_attempts: 1 }, { outputs: { sql: { connection: 'reporting', table: 'reports.progress', keys: ['x'], mode: 'merge' } } }),
]);

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  pg = await PostgresServer.start({ settings: { fsync: 'off' } });
});
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});
afterAll(async () => {
  await pg?.destroy();
  await env?.close();
});

async function start(url: string) {
  sluice = await startSluice(env.config({ SLUICE_SQL_REPORTING_URL: url }), { api: true, worker: true }, { pipelines });
  return http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
}

const totals = async () => (await pg.query('SELECT x, n FROM reports.totals ORDER BY x')).map((row) => [Number(row.x), Number(row.n)]);
const ledgerRows = (jobId: string) => pg.query('SELECT rows FROM sluice_load_ledger WHERE job_id = $1', 'sluice', [jobId]);
const runsOf = async (jobId: string) => (await readdir(env.runsDir)).filter((name) => name.startsWith(jobId));

describe('jobs with a SQL output', () => {
  it('load the committed run after Spark, and GET /v1/jobs/{id} shows the sink\'s outcome', async () => {
    const api = await start(pg.url());
    const job = await api.finished((await api.submit({ pipeline: 'to-sql', parameters: { rows: 50, scale: 2 }, inputs: ['a.parquet'] })).id);
    expect(job.state).toBe('succeeded');
    expect(job.history.map((change) => change.state)).toEqual(['queued', 'launching', 'running', 'loading', 'succeeded']);
    expect(job.loads).toEqual([
      expect.objectContaining({ sink: 'reporting:reports.totals', dialect: 'postgres', table: 'reports.totals', mode: 'merge', rowsStaged: 50, inserted: 50, updated: 0, alreadyLoaded: false }),
    ]);
    expect(job.loads![0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect((await totals()).slice(0, 3)).toEqual([
      [0, 0],
      [1, 2],
      [2, 4],
    ]);
    // A later job's run merges over it.
    const later = await api.finished((await api.submit({ pipeline: 'to-sql', parameters: { rows: 60, scale: 5 }, inputs: ['b.parquet'] })).id);
    expect(later.loads![0]).toMatchObject({ inserted: 10, updated: 50 });
    expect((await totals()).at(-1)).toEqual([59, 295]);
  });

  it('GET /v1/jobs/{id} and `sluice status` show the load in progress while it runs (here held up by a session that holds the table), then its outcome in its place', async () => {
    const api = await start(pg.url());
    await pg.query('CREATE SCHEMA IF NOT EXISTS reports');
    await pg.query('CREATE TABLE reports.progress (x bigint PRIMARY KEY, n bigint NOT NULL)');
    // Readers pass, writers wait: the load stages its rows, then waits to apply them, as behind a long report's lock.
    const holder = await pg.holding('LOCK TABLE reports.progress IN EXCLUSIVE MODE');
    try {
      const submitted = await api.submit({ pipeline: 'to-sql-progress', parameters: { rows: 3_000, scale: 2 }, inputs: ['p.parquet'] });
      const held = await waitFor('the load to show it is applying', async () => {
        const job = await api.job(submitted.id);
        return job.loadProgress?.some((load) => load.phase === 'applying') ? job : undefined;
      }, 30_000);
      expect(held.state).toBe('loading');
      expect(held.loadProgress).toEqual([{ sink: 'reporting:reports.progress', phase: 'applying', rowsStaged: 3_000, rowsTotal: 3_000, updatedAt: expect.any(String) }]);
      expect(Date.parse(held.loadProgress![0]!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(held.history.at(-1)!.at));
      expect(held.loads ?? []).toEqual([]);
      // `sluice status` says the same in words; still held, the job keeps loading with the same progress.
      const { stdout } = await promisify(execFile)(process.execPath, ['broker/bin/sluice.js', 'status', submitted.id], {
        env: { ...process.env, ...env.env, SLUICE_URL: `http://127.0.0.1:${sluice!.port}`, SLUICE_API_KEY: env.apiKey },
      });
      expect(stdout).toContain('  loading into reporting:reports.progress: applying 3,000 staged rows to the table\n');
      expect((await api.job(submitted.id)).loadProgress).toEqual(held.loadProgress);
      await holder.end();
      const done = await api.finished(submitted.id);
      expect(done.state).toBe('succeeded');
      expect(done).not.toHaveProperty('loadProgress');
      expect(done.loads).toEqual([expect.objectContaining({ sink: 'reporting:reports.progress', rowsStaged: 3_000, inserted: 3_000 })]);
    } finally {
      await holder.end();
    }
  });

  it('a step re-delivered after the load committed finds the ledger row and writes nothing again', async () => {
    const api = await start(pg.url());
    const job = await api.finished((await api.submit({ pipeline: 'to-sql', parameters: { rows: 70, scale: 7 }, inputs: ['c.parquet'] })).id);
    expect(job.state).toBe('succeeded');
    const before = await totals();
    // As if the worker died between the COMMIT and the job record's write.
    const rewound = await sluice!.store.update(job.id, (current): Job => {
      const { loads: _loads, ...rest } = current;
      return { ...rest, state: 'loading', history: current.history.slice(0, -1) };
    });
    await sluice!.queue.requeue(rewound!);
    const redone = await waitFor('the re-delivered load', async () => {
      const current = await api.job(job.id);
      return current.state === 'succeeded' && current.loads ? current : undefined;
    });
    const { inserted, updated } = job.loads![0]!;
    expect(redone.loads![0]).toMatchObject({ alreadyLoaded: true, rowsStaged: 70, inserted, updated });
    expect(await totals()).toEqual(before);
    expect(await ledgerRows(job.id)).toHaveLength(1);
    expect(await runsOf(job.id)).toHaveLength(1);
  });

  it('a database that refuses the login fails the load with class platform, retried without re-running Spark; POST /retry loads it once the login works', async () => {
    const api = await start(pg.url('sluice', 'wrong-password'));
    const submitted = await api.submit({ pipeline: 'to-sql', parameters: { rows: 5, scale: 1 }, inputs: ['d.parquet'] });
    const failed = await api.finished(submitted.id);
    expect(failed.state).toBe('failed');
    expect(failed.failure).toMatchObject({ class: 'platform', stage: 'loading', attempt: 2 });
    expect(failed.failure!.message).toMatch(/reporting:reports\.totals: PostgreSQL 28P01: password authentication failed/);
    expect(JSON.stringify(failed)).not.toContain('wrong-password');
    expect(JSON.stringify(failed)).not.toContain(pg.password);
    expect(failed.history.map((change) => change.state)).toEqual(['queued', 'launching', 'running', 'loading', 'loading', 'failed']);
    expect(await runsOf(submitted.id)).toHaveLength(1);

    await sluice!.close();
    const fixed = await start(pg.url());
    const retried = await fixed.post(`/v1/jobs/${submitted.id}/retry`);
    expect(retried.status).toBe(202);
    const done = await fixed.finished(submitted.id);
    expect(done.state).toBe('succeeded');
    expect(done.history.slice(-2).map((change) => change.state)).toEqual(['loading', 'succeeded']);
    expect(done.loads![0]).toMatchObject({ runAttempt: 1, inserted: expect.any(Number), alreadyLoaded: false });
    expect(await runsOf(submitted.id)).toHaveLength(1);
    expect(await ledgerRows(submitted.id)).toHaveLength(1);
  });
});
