// The embedded engine (DuckDB) beside Spark, end to end at production defaults: a small
// landing runs embedded and says why, its rows equal what Spark writes for the same inputs,
// a transform the engine cannot translate runs on Spark saying which expression, a pipeline
// that forces the engine with such a transform is refused at start, a landing over
// SLUICE_EMBEDDED_MAX_BYTES runs on Spark, and an embedded attempt out of memory is retried
// on Spark (engine.fallback).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';
import { loadPipelines, pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { meterDailyOracle } from '../harness/aggregate-oracle.ts';
import { http, type Http } from '../harness/http.ts';
import { pythonJson } from '../harness/python.ts';
import { generateReadings } from '../harness/sample-data.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';

let env: SluiceEnv;
let meterDaily: Pipeline;
let sluice: RunningSluice | undefined;

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_MAX_RUNNING: '2' });
  meterDaily = (await loadPipelines('examples/pipelines')).get('meter-daily')!;
  await generateReadings(join(env.landing, 'meter-readings'), 60_000, 3);
}, 120_000);

afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});

afterAll(async () => {
  await env?.close();
});

/** meter-daily under another name, with engine and policy changes. */
function variant(name: string, engine: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Pipeline {
  return PipelineSchema.parse({ ...meterDaily, name, outputs: { lake: { table: name.replace(/-/g, '_') } }, engine: { ...meterDaily.engine, ...engine }, ...extra });
}

async function start(pipelines: Pipeline[], settings: Record<string, string> = {}): Promise<Http> {
  sluice = await startSluice(env.config(settings), { api: true, worker: true }, { pipelines: pipelineRegistry(pipelines) });
  return http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
}

const runDir = (table: string, jobId: string, attempt: number) => join(env.lakeDir, table, `run=${jobId}-${attempt}`);

type Cell = string | number | boolean | null;

/** A committed run's rows, sorted (dates and other values JSON cannot hold as text). */
function runRows(dir: string): Promise<Cell[][]> {
  return pythonJson(
    `import sys, json, duckdb
rows = duckdb.sql(f"SELECT * FROM read_parquet('{sys.argv[1]}/part-*.parquet') ORDER BY ALL").fetchall()
print(json.dumps([list(r) for r in rows], default=str))`,
    [dir],
  );
}

/**
 * Equal rows: every value exactly, except sums and means of doubles, which the two engines add
 * in different orders and so may differ in the last bits (the differential pytest proves them
 * exact on values whose sums are exact); those within one part in 10^12.
 */
function expectSameRows(embedded: Cell[][], spark: Cell[][]): void {
  expect(embedded.length).toBe(spark.length);
  embedded.forEach((row, i) =>
    row.forEach((cell, j) => {
      const other = spark[i]![j]!;
      if (typeof cell === 'number' && !Number.isInteger(cell) && typeof other === 'number') expect(Math.abs(cell - other)).toBeLessThanOrEqual(Math.abs(other) * 1e-12);
      else expect(cell, `row ${i} column ${j}`).toEqual(other);
    }),
  );
}

describe('engine.kind auto (the default)', () => {
  it('runs a small landing on the embedded engine, says why, and writes the rows DuckDB computes; Spark writes the same rows', async () => {
    const onSpark = variant('meter-daily-spark', { kind: 'spark' });
    const api = await start([meterDaily, onSpark]);
    const submitted = await api.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
    const job = await api.finished(submitted.id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.engine, JSON.stringify(job.history)).toMatchObject({ attempt: 1, engine: 'embedded' });
    expect(job.engine!.reason).toMatch(/^embedded: [\d.]+ (KB|MB) ≤ 2 GB$/);
    expect(job.run).toMatchObject({ launcher: 'embedded' });
    expect(job.history.find((change) => change.state === 'launching')?.reason).toContain(job.engine!.reason);
    const dir = runDir('meter_daily', job.id, 1);
    const manifest = JSON.parse(await readFile(join(dir, '_manifest.json'), 'utf8')) as { engine: string; rows_in: number };
    expect(manifest).toMatchObject({ engine: 'embedded', rows_in: 60_000 });
    const { expected, written } = await meterDailyOracle(join(env.landing, 'meter-readings'), dir);
    expect(written.map((row) => [row.site, row.day, row.readings])).toEqual(expected.map((row) => [row.site, row.day, row.readings]));

    const spark = await api.finished((await api.submit({ pipeline: 'meter-daily-spark', inputs: ['meter-readings'] })).id);
    expect(spark.state, JSON.stringify(spark.failure)).toBe('succeeded');
    expect(spark.engine).toMatchObject({ engine: 'spark', reason: 'spark: engine.kind is spark' });
    expect(spark.run).toMatchObject({ launcher: 'local' });
    // approx_percentile (the last column) may differ within its rank error (the differential pytest bounds it).
    const withoutPercentile = (rows: Cell[][]) => rows.map((row) => row.slice(0, -1));
    expectSameRows(withoutPercentile(await runRows(dir)), withoutPercentile(await runRows(runDir('meter_daily_spark', spark.id, 1))));
  });

  it('runs a transform the embedded engine cannot translate on Spark, naming the expression', async () => {
    const shouting = variant('meter-shouting', {}, { transform: { ...meterDaily.transform, derive: { ...('derive' in meterDaily.transform ? meterDaily.transform.derive : {}), loud: 'upper(site)' } } });
    const api = await start([shouting]);
    const job = await api.finished((await api.submit({ pipeline: 'meter-shouting', inputs: ['meter-readings'] })).id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.engine?.engine).toBe('spark');
    expect(job.engine?.reason).toMatch(/^spark: the embedded engine cannot run this transform \(.*upper\(site\).*\)$/);
  });

  it('runs a landing over SLUICE_EMBEDDED_MAX_BYTES on Spark', async () => {
    const api = await start([meterDaily], { SLUICE_EMBEDDED_MAX_BYTES: '1KB' });
    const job = await api.finished((await api.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] })).id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.engine?.reason).toMatch(/^spark: [\d.]+ (KB|MB) > 1 KB \(SLUICE_EMBEDDED_MAX_BYTES\)$/);
    expect(job.run?.launcher).toBe('local');
  });

  it('retries an embedded attempt that ran out of memory on Spark (engine.fallback), saying both', async () => {
    const pipeline = variant('meter-fallback', {}, { policy: { ...meterDaily.policy, max_attempts: 2, backoff: { initial: '500ms', max: '1s', factor: 2 } } });
    const api = await start([pipeline], { SLUICE_EMBEDDED_MEMORY: '1MB' });
    const job = await api.finished((await api.submit({ pipeline: 'meter-fallback', inputs: ['meter-readings'] })).id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.attempt).toBe(2);
    expect(job.engine).toMatchObject({ attempt: 2, engine: 'spark', reason: 'spark: attempt 1 on the embedded engine failed (platform) and engine.fallback is spark' });
    const retry = job.history.find((change) => change.state === 'queued' && /retry 2 of 2/.test(change.reason ?? ''));
    expect(retry?.reason, JSON.stringify(job.history)).toMatch(/platform failure.*(memory|Out of Memory)/i);
  });
});

describe('a retry by request', () => {
  it('of a job whose last attempt failed on the embedded engine (platform) runs on Spark, as an automatic retry would', async () => {
    // One attempt: the out-of-memory failure is final, and on-call retries the job by hand.
    const pipeline = variant('meter-one-try', {}, { policy: { ...meterDaily.policy, max_attempts: 1 } });
    const api = await start([pipeline], { SLUICE_EMBEDDED_MEMORY: '1MB' });
    const failed = await api.finished((await api.submit({ pipeline: 'meter-one-try', inputs: ['meter-readings'] })).id);
    expect(failed).toMatchObject({ state: 'failed', engine: { attempt: 1, engine: 'embedded' }, failure: { class: 'platform' } });
    expect((await api.post(`/v1/jobs/${failed.id}/retry`)).status).toBe(202);
    const job = await api.finished(failed.id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.engine).toEqual({ attempt: 2, engine: 'spark', reason: 'spark: attempt 1 on the embedded engine failed (platform) and engine.fallback is spark' });
  });
});

describe('engine.kind embedded', () => {
  it('refuses at start a pipeline whose transform the embedded engine cannot run, naming the pipeline and the expression', async () => {
    const forced = variant('meter-forced', { kind: 'embedded' }, { transform: { ...meterDaily.transform, filter: "upper(status) = 'OK'" } });
    await expect(startSluice(env.config(), { api: false, worker: true }, { pipelines: pipelineRegistry([forced]) })).rejects.toThrow(
      /pipeline "meter-forced" sets engine.kind: embedded, but its transform cannot run there: .*upper\(status\)/,
    );
  });
});
