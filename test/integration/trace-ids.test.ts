// A job's trace id end to end: from the request's traceparent (or its request id) to the job
// record, the run spec the launcher hands to the app, the committed manifest and the SQL load
// ledger, and the driver log. Real Redis, the real local launcher and spark-submit running the stand-in app, and
// a real PostgreSQL. (The real Spark app's own log lines and manifest are proven by
// spark-apps/tests/test_trace.py.)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http, type Http } from '../harness/http.ts';
import { PostgresServer } from '../harness/postgres-server.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';

let env: SluiceEnv;
let pg: PostgresServer;
let sluice: RunningSluice | undefined;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const pipelines = pipelineRegistry([standInPipeline('traced', {}, { outputs: { sql: { connection: 'reporting', table: 'reports.traced', keys: ['x'], mode: 'merge' } } })]);

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  pg = await PostgresServer.start({ settings: { fsync: 'off' } });
});
afterAll(async () => {
  await sluice?.close();
  await pg?.destroy();
  await env?.close();
});

async function start(database: string): Promise<Http> {
  await sluice?.close();
  sluice = await startSluice(env.config({ SLUICE_SQL_REPORTING_URL: pg.url(database) }), { api: true, worker: true }, { pipelines });
  return http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
}

async function submit(headers: Record<string, string>): Promise<Job> {
  const response = await fetch(`http://127.0.0.1:${sluice!.port}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ pipeline: 'traced', parameters: { rows: 5 }, inputs: ['a.parquet'] }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Job;
}

const manifestOf = async (job: Job) => JSON.parse(await readFile(join(env.lakeDir, 'traced', `run=${job.id}-${job.attempt}`, '_manifest.json'), 'utf8')) as { trace_id?: string };
const ledgerTrace = async (database: string, jobId: string) => (await pg.query('SELECT trace_id FROM sluice_load_ledger WHERE job_id = $1', database, [jobId]))[0]?.trace_id;

describe('a job\'s trace id', () => {
  it('goes from the traceparent to the job, the spec, the manifest and the SQL load ledger', async () => {
    const api = await start('sluice');
    const job = await api.finished((await submit({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` })).id, 120_000);
    expect(job).toMatchObject({ state: 'succeeded', traceId: TRACE });
    expect((await manifestOf(job)).trace_id).toBe(TRACE);
    expect(await ledgerTrace('sluice', job.id)).toBe(TRACE);
    // The app got it in its spec: its driver log names it.
    const logs = await api.get(`/v1/jobs/${job.id}/logs`);
    expect(await logs.text()).toContain(`trace=${TRACE}`);
    // The worker counted the load it made: its rows and its time, by pipeline, sink and result.
    const metrics = await sluice!.metrics.registry.metrics();
    expect(metrics).toContain('sluice_sql_load_rows_total{pipeline="traced",sink="reporting:reports.traced",result="loaded"} 5');
    expect(metrics).toContain('sluice_sql_load_duration_seconds_count{pipeline="traced",sink="reporting:reports.traced",result="loaded"} 1');
  });

  it('is the request id when no traceparent came', async () => {
    const api = await start('sluice');
    const job = await api.finished((await submit({ 'x-request-id': 'req-ledger-7' })).id, 120_000);
    expect(job).toMatchObject({ state: 'succeeded', traceId: 'req-ledger-7' });
    expect(await ledgerTrace('sluice', job.id)).toBe('req-ledger-7');
  });

  it('is recorded in a ledger an older Sluice created without the column (the column is added)', async () => {
    await pg.query('CREATE DATABASE older', 'postgres');
    // The ledger as the previous release created it.
    await pg.query(
      `CREATE TABLE sluice_load_ledger (
         job_id text NOT NULL, attempt integer NOT NULL, sink text NOT NULL, target_table text NOT NULL,
         rows bigint NOT NULL, inserted bigint NOT NULL, updated bigint NOT NULL, deleted bigint NOT NULL,
         checksum text NOT NULL, loaded_at timestamptz NOT NULL, PRIMARY KEY (job_id, attempt, sink))`,
      'older',
    );
    await pg.query(`INSERT INTO sluice_load_ledger VALUES ('old-job', 1, 'reporting:reports.traced', 'reports.traced', 1, 1, 0, 0, 'c', now())`, 'older');
    const api = await start('older');
    const job = await api.finished((await submit({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` })).id, 120_000);
    expect(job.state).toBe('succeeded');
    expect(await ledgerTrace('older', job.id)).toBe(TRACE);
    expect(await ledgerTrace('older', 'old-job')).toBeNull();
  });
});
