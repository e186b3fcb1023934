// Engine benchmarks (issue 12), on meter readings from examples/generate_meter_readings.py,
// through a real Sluice (API and worker in this process, real spark-apps, one run at a time).
// 1. The same meter-daily job on ~50 MB of landings, forced onto each engine
//    (engine.kind: spark / embedded), submit → succeeded; median of the rounds (Spark 2, embedded 5).
//      BENCH engine_spark_vs_embedded <ratio> x     (Spark seconds / embedded seconds; reported, no target)
// 2. The embedded runs of (1) against the same query in a plain DuckDB process (read_parquet,
//    filter, group, write Parquet; spawn → exit), alternating in the same run; medians.
//      BENCH embedded_vs_duckdb <ratio> x           (embedded seconds / plain seconds; target <= 1.5)
// 3. A ~100 MB landing written into a watched folder (fs source with the default readiness:
//    stable, quiet 2 s) until its rows are committed in PostgreSQL (a SQL output, merged on
//    site and day into an emptied table, seen by polling its row count); 3 rounds.
//      BENCH landing_to_sql_p50 <seconds> s         (target < quiet + 3 s)
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SluiceClient } from '../broker/cli/sluice-client.ts';
import { isFinal, type Job, type JobState } from '../broker/core/job.ts';
import { FsReadySchema } from '../broker/core/landing-config.ts';
import { PipelineSchema, type Pipeline } from '../broker/core/pipeline.ts';
import type { JobStore } from '../broker/jobs/job-store.ts';
import { loadPipelines, pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { startSluice } from '../broker/sluice.ts';
import { PostgresServer } from '../test/harness/postgres-server.ts';
import { PYTHON, python } from '../test/harness/python.ts';
import { createSluiceEnv, type SluiceEnv } from '../test/harness/sluice-env.ts';
import { median, percentile, report } from './stats.ts';

// The generator writes about 11.2 bytes a row (Parquet, its default compression).
const ENGINE_ROWS = 4_500_000; // ≈ 50 MB
const LANDING_ROWS = 9_000_000; // ≈ 100 MB
const FILES = 4;
const SPARK_ROUNDS = 2;
const EMBEDDED_ROUNDS = 5;
const SQL_ROUNDS = 3;
const SQL_TABLE = 'meter_daily_bench';
const POLL_MS = 50;
const say = (line: string) => process.stdout.write(`engine: ${line}\n`);

/** meter-daily's query as one DuckDB statement; the embedded engine also sets the UTC time zone (days are UTC days). */
const PLAIN_DUCKDB = `
import sys, duckdb
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"""COPY (
  SELECT site, CAST(ts AS DATE) AS day, count(*) AS readings, sum(kwh) AS kwh_sum, avg(kwh) AS kwh_avg,
         max(kwh) AS kwh_max, quantile_disc(kwh, 0.95) AS kwh_p95
  FROM read_parquet('{sys.argv[1]}/*.parquet') WHERE status = 'ok' GROUP BY site, day
) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION snappy)""")
`;

async function generate(dir: string, rows: number): Promise<number> {
  await python(['examples/generate_meter_readings.py', '--out', dir, '--rows', String(rows), '--files', String(FILES)]);
  const sizes = await Promise.all((await readdir(dir)).map(async (name) => (await stat(join(dir, name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** Resolves a job once final, from one transition listener (the store keeps every listener it is given). */
function finalJobs(store: JobStore): (jobId: string) => Promise<Job> {
  const ended = new Map<string, Job>();
  const waiting = new Map<string, (job: Job) => void>();
  store.onTransition((job) => {
    if (!isFinal(job.state)) return;
    ended.set(job.id, job);
    waiting.get(job.id)?.(job);
  });
  return (jobId) => {
    const job = ended.get(jobId);
    return job ? Promise.resolve(job) : new Promise((resolve) => waiting.set(jobId, resolve));
  };
}

/** Where a job's time went: each state change, in seconds from `from` (ms since the epoch). */
function timeline(job: Job, from: number): string {
  return job.history.map((change) => `${change.state} +${((Date.parse(change.at) - from) / 1_000).toFixed(2)}`).join(', ');
}

/** Wall time of one process from spawn to exit, in seconds. */
async function timedProcess(command: string, args: string[]): Promise<number> {
  const start = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return (performance.now() - start) / 1_000;
}

async function engineRatios(env: SluiceEnv, meterDaily: Pipeline): Promise<void> {
  const inputDir = join(env.landing, 'meter-readings');
  const bytes = await generate(inputDir, ENGINE_ROWS);
  say(`${ENGINE_ROWS.toLocaleString('en')} readings in ${FILES} files, ${(bytes / 1e6).toFixed(1)} MB`);
  const onEngine = (kind: 'spark' | 'embedded') =>
    PipelineSchema.parse({ ...meterDaily, name: `meter-daily-${kind}`, outputs: { lake: { table: `meter_daily_${kind}` } }, engine: { ...meterDaily.engine, kind } });
  const sluice = await startSluice(env.config(), { api: true, worker: true }, { pipelines: pipelineRegistry([onEngine('spark'), onEngine('embedded')]) });
  const client = new SluiceClient(`http://127.0.0.1:${sluice.port}`, env.apiKey);
  const finished = finalJobs(sluice.store);
  const throughSluice = async (pipeline: string): Promise<{ seconds: number; steps: string }> => {
    const start = performance.now();
    const submittedAt = Date.now();
    const { id } = await client.submit({ pipeline, inputs: ['meter-readings'] });
    const job = await finished(id);
    if (job.state !== 'succeeded') throw new Error(`job ${id} of ${pipeline} ended ${job.state}: ${JSON.stringify(job.failure)}`);
    return { seconds: (performance.now() - start) / 1_000, steps: timeline(job, submittedAt) };
  };
  const embeddedTimes: number[] = [];
  const plainTimes: number[] = [];
  const sparkTimes: number[] = [];
  try {
    for (let round = 0; round < EMBEDDED_ROUNDS; round += 1) {
      plainTimes.push(await timedProcess(PYTHON, ['-c', PLAIN_DUCKDB, inputDir, join(env.dir, `plain-duckdb-${round}.parquet`)]));
      const embedded = await throughSluice('meter-daily-embedded');
      embeddedTimes.push(embedded.seconds);
      say(`round ${round + 1}: plain DuckDB ${plainTimes.at(-1)!.toFixed(2)} s, embedded via Sluice ${embedded.seconds.toFixed(2)} s (${embedded.steps})`);
    }
    for (let round = 0; round < SPARK_ROUNDS; round += 1) {
      const spark = await throughSluice('meter-daily-spark');
      sparkTimes.push(spark.seconds);
      say(`round ${round + 1}: Spark via Sluice ${spark.seconds.toFixed(2)} s (${spark.steps})`);
    }
  } finally {
    await sluice.close();
  }
  say(`medians: Spark ${median(sparkTimes).toFixed(2)} s, embedded ${median(embeddedTimes).toFixed(2)} s, plain DuckDB ${median(plainTimes).toFixed(2)} s`);
  report('engine_spark_vs_embedded', median(sparkTimes) / median(embeddedTimes), 'x');
  process.stdout.write('# engine: embedded_vs_duckdb target <= 1.5 x\n');
  report('embedded_vs_duckdb', median(embeddedTimes) / median(plainTimes), 'x');
}

/** The row count of the SQL table, 0 while the sink has not created it yet. */
async function sqlRows(client: pg.Client): Promise<number> {
  try {
    return Number((await client.query(`SELECT count(*)::int AS n FROM ${SQL_TABLE}`)).rows[0].n);
  } catch {
    return 0;
  }
}

/** Seconds from `from` (ms since the epoch) to a state's last entry in the job's history. */
function secondsTo(job: Job, state: JobState, from: number): string {
  const change = job.history.findLast((entry) => entry.state === state);
  return change ? ((Date.parse(change.at) - from) / 1_000).toFixed(2) : '?';
}

async function landingToSql(env: SluiceEnv, meterDaily: Pipeline): Promise<void> {
  const staged = join(env.dir, 'landing-sql-staged');
  const bytes = await generate(staged, LANDING_ROWS);
  const files = (await readdir(staged)).sort();
  const watched = join(env.landing, 'landing-sql');
  await mkdir(watched, { recursive: true });
  // The fs source's readiness as a pipeline gets it when it says nothing about it.
  const quietMs = FsReadySchema.parse({}).quiet;
  const pipeline = PipelineSchema.parse({
    ...meterDaily,
    name: 'meter-daily-sql',
    outputs: { lake: { table: 'meter_daily_sql' }, sql: { connection: 'reporting', table: SQL_TABLE, keys: ['site', 'day'], mode: 'merge' } },
    sources: [{ kind: 'fs', path: watched }],
    // One landing is one job: the batch closes on its last file rather than max_wait.
    batch: { max_files: FILES },
  });
  const postgres = await PostgresServer.start();
  const db = new pg.Client({ connectionString: postgres.url() });
  const config = env.config({ SLUICE_QUEUE_PREFIX: 'landing-sql', SLUICE_SQL_REPORTING_URL: postgres.url() });
  const sluice = await startSluice(config, { api: true, worker: true, watch: true }, { pipelines: pipelineRegistry([pipeline]) });
  const latencies: number[] = [];
  try {
    await db.connect();
    for (let round = 0; round < SQL_ROUNDS; round += 1) {
      if (round > 0) await db.query(`TRUNCATE ${SQL_TABLE}`);
      // A new folder each round: new paths, so new landings.
      const folder = join(watched, `round-${round}`);
      await mkdir(folder);
      for (const file of files) await copyFile(join(staged, file), join(folder, file));
      const lastWrite = Date.now();
      while ((await sqlRows(db)) === 0) {
        if (Date.now() - lastWrite > 300_000) throw new Error(`round ${round + 1}: no rows in ${SQL_TABLE} 5 minutes after the landing`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      latencies.push((Date.now() - lastWrite) / 1_000);
      const [job] = (await sluice.jobs.list({ pipeline: 'meter-daily-sql', limit: 1 })).items;
      const where = job ? `queued +${secondsTo(job, 'queued', lastWrite)} s, running +${secondsTo(job, 'running', lastWrite)} s, loading +${secondsTo(job, 'loading', lastWrite)} s, engine ${job.engine?.engine ?? '?'}` : 'no job listed';
      say(`round ${round + 1}: ${(bytes / 1e6).toFixed(1)} MB in ${FILES} files, last write → rows in PostgreSQL ${latencies.at(-1)!.toFixed(2)} s (${where})`);
    }
  } finally {
    await db.end().catch(() => undefined);
    await sluice.close();
    await postgres.destroy();
  }
  process.stdout.write(`# engine: landing_to_sql_p50 target < quiet + 3 s = ${(quietMs / 1_000 + 3).toFixed(0)} s (default ready: stable, quiet ${quietMs / 1_000} s)\n`);
  report('landing_to_sql_p50', percentile(latencies, 50), 's');
}

export async function engineBench(): Promise<void> {
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'warn', SLUICE_MAX_RUNNING: '1' });
  try {
    const meterDaily = (await loadPipelines('examples/pipelines')).get('meter-daily')!;
    await engineRatios(env, meterDaily);
    await landingToSql(env, meterDaily);
  } finally {
    await env.close();
  }
}
