// End to end with real local Spark: HTTP job → queue → spark-submit → committed lake run,
// and the ways a job fails. Values are checked against DuckDB over the same files.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import { loadPipelines, pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { meterDailyOracle } from '../harness/aggregate-oracle.ts';
import { http, type Http } from '../harness/http.ts';
import { generateReadings, writeCorruptParquet, writeWrongTypeParquet } from '../harness/sample-data.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let sluice: RunningSluice;
let api: Http;

beforeAll(async () => {
  // Spark runs are this file's subject: no landing is small enough for the embedded engine
  // (engine.kind auto), whose own end-to-end tests are embedded-engine.test.ts.
  env = await createSluiceEnv({ SLUICE_MAX_RUNNING: '2', SLUICE_EMBEDDED_MAX_BYTES: '0' });
  const examples = await loadPipelines('examples/pipelines');
  const meterDaily = examples.get('meter-daily')!;
  // A pipeline whose driver JVM cannot reserve its heap (100,000 GB): a platform failure,
  // as when a node is short of memory, retried quickly.
  const brokenEngine = PipelineSchema.parse({
    ...meterDaily,
    name: 'broken-engine',
    engine: { ...meterDaily.engine, driver_memory: '100000g' },
    policy: { ...meterDaily.policy, max_attempts: 2, backoff: { initial: '1s', max: '2s', factor: 2 } },
  });
  sluice = await startSluice(env.config(), { api: true, worker: true }, { pipelines: pipelineRegistry([...examples.list(), brokenEngine]) });
  api = http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
  await generateReadings(join(env.landing, 'meter-readings'), 60_000, 3);
}, 120_000);

afterAll(async () => {
  await sluice?.close();
  await env?.close();
});

describe('a meter-daily job over HTTP', () => {
  it('runs on local Spark, commits a manifest, and writes the aggregates DuckDB computes', async () => {
    const submitted = await api.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
    expect(submitted.state).toBe('queued');
    const job = await api.finished(submitted.id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.history.map((change) => change.state)).toEqual(['queued', 'launching', 'running', 'succeeded']);
    expect(job.output?.rowsIn).toBe(60_000);

    const runDir = join(env.lakeDir, 'meter_daily', `run=${job.id}-1`);
    expect((await readdir(runDir)).filter((f) => f.endsWith('.parquet')).length).toBe(job.output?.files);
    const { expected, written } = await meterDailyOracle(join(env.landing, 'meter-readings'), runDir);
    expect(written.length).toBe(expected.length);
    expect(job.output?.rowsOut).toBe(expected.length);
    expected.forEach((want, i) => {
      const got = written[i]!;
      expect([got.site, got.day, got.readings]).toEqual([want.site, want.day, want.readings]);
      expect(got.kwh_sum).toBeCloseTo(want.kwh_sum, 6);
      expect(got.kwh_avg).toBeCloseTo(want.kwh_avg, 9);
      expect(got.kwh_max).toBe(want.kwh_max);
      // approx_percentile is rank-based: its answer lies between the exact 94th and 96th.
      expect(got.kwh_p95).toBeGreaterThanOrEqual(want.p94);
      expect(got.kwh_p95).toBeLessThanOrEqual(want.p96);
    });

    const logs = await api.get(`/v1/jobs/${job.id}/logs?tail=50`);
    expect(logs.status).toBe(200);
    expect(await logs.text()).toContain(job.id);
  });
});

describe('bad landings fail the job with class data, naming the file, without retry', () => {
  it.each([
    ['a missing file', async (dir: string) => join(dir, 'never-landed.parquet'), 'never-landed.parquet'],
    ['a corrupt file', async (dir: string) => { const p = join(dir, 'corrupt.parquet'); await writeCorruptParquet(p); return p; }, 'corrupt.parquet'],
    ['a schema mismatch', async (dir: string) => { const p = join(dir, 'wrong-type.parquet'); await writeWrongTypeParquet(p); return p; }, 'kwh'],
  ])('%s', async (_name, make, named) => {
    const path = await make(env.landing);
    const submitted = await api.submit({ pipeline: 'meter-daily', inputs: [join('meter-readings', 'readings-000.parquet'), path] });
    const job = await api.finished(submitted.id);
    expect(job.state).toBe('failed');
    expect(job.failure?.class).toBe('data');
    expect(job.failure?.message).toContain(named);
    expect(job.attempt).toBe(1);
    expect(job.history.filter((change) => change.state === 'launching')).toHaveLength(1);
  });
});

describe('a platform failure', () => {
  it('is retried with backoff up to the policy, then fails with the driver log tail', async () => {
    const submitted = await api.submit({ pipeline: 'broken-engine', inputs: ['meter-readings'] });
    const job = await api.finished(submitted.id);
    expect(job.state).toBe('failed');
    expect(job.failure?.class).toBe('platform');
    expect(job.attempt).toBe(2);
    const launches = job.history.filter((change) => change.state === 'launching');
    expect(launches).toHaveLength(2);
    const retry = job.history.find((change) => change.state === 'queued' && change.attempt === 2)!;
    const failedAt = Date.parse(retry.at);
    expect(Date.parse(launches[1]!.at) - failedAt).toBeGreaterThanOrEqual(700);
    expect(job.failure?.logTail).toMatch(/Could not reserve enough space/);
  });
});

describe('cancel', () => {
  it('stops a running Spark run and ends the job cancelled', async () => {
    const submitted = await api.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
    const running = await waitFor('the run to start', async () => {
      const job = await api.job(submitted.id);
      return job.state === 'running' ? job : undefined;
    });
    const response = await api.post(`/v1/jobs/${running.id}/cancel`);
    expect(response.status).toBe(202);
    const job = await api.finished(running.id, 60_000);
    expect(job.state).toBe('cancelled');
    expect(job.failure?.class).toBe('cancelled');
    const status = await sluice.launchers.forHandle(job.run!).status(job.run!);
    expect(status.phase).not.toBe('running');
  });
});
