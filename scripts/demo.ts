// `make demo`: Sluice's main job on its embedded defaults, on this machine alone. It starts
// Redis (AOF on), MinIO (the S3 lake) and PostgreSQL (the reporting database) in
// .sluice/demo, generates 2 million meter readings as Parquet (once), starts `sluice serve` watching a landing folder, lands the
// files there as a producer would, follows the job they start with progress lines, and
// prints what came out, down to the rows read back from SQL. That job runs on the default
// engine (embedded: DuckDB, the landing being small); the same inputs then run on Spark, and
// the demo prints both engines' times and whether their rows are equal. Exits 0 when both
// jobs succeeded with equal rows.
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { formatApiKeyEntry, newApiKey } from '../broker/api/api-keys.ts';
import { SluiceClient, type JobView, type Landing } from '../broker/cli/sluice-client.ts';
import { followJob } from '../broker/cli/follow-job.ts';
import { readCommittedRun } from '../broker/lake/manifests.ts';
import { openLake } from '../broker/lake/open-lake.ts';
import { readRunRows } from '../broker/lake/run-batches.ts';
import { freePort } from '../test/harness/free-port.ts';
import type { ChildServer } from '../test/harness/child-server.ts';
import { MinioServer } from '../test/harness/minio-server.ts';
import { PostgresServer, postgresFolder } from '../test/harness/postgres-server.ts';
import { RedisServer } from '../test/harness/redis-server.ts';
import { waitFor } from '../test/harness/wait-for.ts';

const ROWS = 2_000_000;
const FILES = 4;
const root = resolve('.sluice/demo');
// PostgreSQL runs as user postgres when the demo runs as root; under a home folder it cannot
// reach, its cluster goes to a temporary folder instead (postgresFolder).
const postgresDir = postgresFolder(join(root, 'postgres'));
const samples = join(root, 'samples');
const landingRoot = join(root, 'landing');
const watched = join(landingRoot, 'meter-readings');
const pipelinesDir = join(root, 'pipelines');
const LAKE_URI = 's3://lake/';
const SQL_TABLE = 'reporting.meter_daily';
/** The same files, outside the watched folder, for the Spark job to read after the landings were archived. */
const replay = join(landingRoot, 'replay');
const SPARK_PIPELINE = 'meter-daily-spark';
const say = (line: string) => process.stdout.write(`demo: ${line}\n`);

/** The example pipeline, watching the demo's landing folder and archiving what it read. */
async function writeDemoPipeline(): Promise<void> {
  const pipeline = parseYaml(await readFile('examples/pipelines/meter-daily.yaml', 'utf8')) as Record<string, unknown>;
  pipeline.sources = [{ kind: 'fs', path: watched, ready: { rule: 'stable', quiet: '1s' } }];
  pipeline.batch = { max_files: FILES, max_wait: '10s' };
  pipeline.after = { on_success: 'archive', archive: join(root, 'archive'), quarantine: join(root, 'quarantine') };
  // And into the reporting database, merged on the group-by keys (the connection's URL is
  // SLUICE_SQL_REPORTING_URL, set below).
  (pipeline.outputs as Record<string, unknown>).sql = { connection: 'reporting', table: SQL_TABLE, keys: ['site', 'day'], mode: 'merge' };
  await mkdir(pipelinesDir, { recursive: true });
  await writeFile(join(pipelinesDir, 'meter-daily.yaml'), toYaml(pipeline));
  // The same transform forced onto Spark, for the comparison: jobs only through the API, into a table of its own.
  const onSpark = parseYaml(await readFile('examples/pipelines/meter-daily.yaml', 'utf8')) as Record<string, unknown>;
  onSpark.name = SPARK_PIPELINE;
  onSpark.outputs = { lake: { table: 'meter_daily_spark' } };
  (onSpark.engine as Record<string, unknown>).kind = 'spark';
  await writeFile(join(pipelinesDir, `${SPARK_PIPELINE}.yaml`), toYaml(onSpark));
}

/** How long the engine worked on a job: from its run's start to the commit (the `running` stage). */
function engineSeconds(job: JobView): number {
  const index = job.history.findLastIndex((change) => change.state === 'running');
  const next = job.history[index + 1];
  if (index < 0 || !next) return NaN;
  return (Date.parse(next.at) - Date.parse(job.history[index]!.at)) / 1000;
}

/**
 * Whether two runs of the same aggregate hold the same rows: keys and counts exactly, sums and
 * means of doubles to 12 significant digits (the engines add in different orders), and the
 * approximate percentile counted apart (each engine is within its own rank error).
 */
function compareRuns(embedded: Record<string, unknown>[], spark: Record<string, unknown>[]): { equal: boolean; rows: number; percentileSame: number } {
  const key = (row: Record<string, unknown>) => `${String(row.site)}|${String(row.day)}`;
  const byKey = new Map(spark.map((row) => [key(row), row]));
  let equal = embedded.length === spark.length;
  let percentileSame = 0;
  for (const row of embedded) {
    const other = byKey.get(key(row));
    if (!other) {
      equal = false;
      continue;
    }
    for (const [name, value] of Object.entries(row)) {
      if (name === 'kwh_p95') {
        if (value === other[name]) percentileSame += 1;
        continue;
      }
      const want = other[name];
      const summed = name === 'kwh_sum' || name === 'kwh_avg';
      const same = summed && typeof value === 'number' && typeof want === 'number' ? Math.abs(value - want) <= Math.abs(want) * 1e-12 : String(value) === String(want);
      if (!same) equal = false;
    }
  }
  return { equal, rows: embedded.length, percentileSame };
}

/** Lands a file the way a producer should: written under a temporary name, then renamed. */
async function land(file: string): Promise<void> {
  const name = file.split('/').at(-1)!;
  await copyFile(file, join(watched, `${name}.tmp`));
  await rename(join(watched, `${name}.tmp`), join(watched, name));
}

async function run(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
}

async function waitForHealth(url: string, child: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sluice serve exited with ${child.exitCode}; see ${join(root, 'sluice.log')}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('sluice serve did not answer /healthz within 60 s');
}

/** One aggregate row as `name=value` pairs: dates as days, numbers rounded for reading. */
function formatRow(row: Record<string, unknown>): string {
  const show = (value: unknown): string => {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
    return String(value);
  };
  return Object.entries(row).map(([name, value]) => `${name}=${show(value)}`).join('  ');
}

async function main(): Promise<number> {
  if (!existsSync(join(samples, `readings-${String(FILES - 1).padStart(3, '0')}.parquet`))) {
    say(`generating ${ROWS.toLocaleString('en')} meter readings in ${FILES} Parquet files`);
    await run('.venv/bin/python', ['examples/generate_meter_readings.py', '--out', samples, '--rows', String(ROWS), '--files', String(FILES)]);
  } else {
    say(`sample data already in ${samples}`);
  }
  // Each demo starts from an empty landing folder, archive and S3 lake.
  for (const dir of [landingRoot, join(root, 'archive'), join(root, 'quarantine'), join(root, 'minio'), join(root, 'redis'), postgresDir.dir]) await rm(dir, { recursive: true, force: true });
  await mkdir(watched, { recursive: true });
  await mkdir(replay, { recursive: true });
  for (const file of (await readdir(samples)).filter((name) => name.endsWith('.parquet'))) await copyFile(join(samples, file), join(replay, file));
  await writeDemoPipeline();

  say('starting redis-server (AOF on, noeviction), MinIO (the S3 lake) and PostgreSQL (the reporting database)');
  if (postgresDir.moved) say(`PostgreSQL's folder is ${postgresDir.dir}: user postgres, which it runs as, cannot reach ${root}`);
  const services = await startServices(root);
  const { redis, minio, postgres } = services;
  const apiKey = newApiKey();
  const stay = process.env.SLUICE_DEMO_STAY === '1';
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(join(root, 'sluice.log'), 'a');
  say(`starting sluice serve on ${url}, watching ${watched} (log: ${join(root, 'sluice.log')})`);
  const s3 = minio.settings;
  const sluice = spawn(process.execPath, ['broker/bin/sluice.js', 'serve'], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      SLUICE_REDIS_URL: redis.url,
      SLUICE_API_PORT: String(port),
      SLUICE_METRICS_PORT: '0',
      SLUICE_API_KEYS: formatApiKeyEntry('demo', ['admin'], apiKey),
      SLUICE_PIPELINES_DIR: pipelinesDir,
      SLUICE_LAKE_URI: LAKE_URI,
      SLUICE_S3_ENDPOINT: s3.endpoint!,
      SLUICE_S3_ACCESS_KEY_ID: s3.accessKeyId!,
      SLUICE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey!,
      SLUICE_LANDING_ROOTS: landingRoot,
      SLUICE_RUNS_DIR: join(root, 'runs'),
      SLUICE_AWAIT_POLL: '2s',
      SLUICE_SQL_REPORTING_URL: postgres.url(),
    },
  });
  try {
    await waitForHealth(url, sluice);
    // The demo's own key, made for this run: on-call would sign in with theirs.
    say(`dashboard: ${url}/ui/ (sign in with the API key ${apiKey})${stay ? '' : '; set SLUICE_DEMO_STAY=1 to keep Sluice up after the demo'}`);
    const client = new SluiceClient(url, apiKey);
    const landedAt = Date.now();
    for (const file of (await readdir(samples)).filter((name) => name.endsWith('.parquet')).sort()) await land(join(samples, file));
    say(`landed ${FILES} files in ${watched}; waiting for the watcher to start a job`);
    const queued = await waitForJob(client);
    say(`job ${queued.id} queued ${Date.now() - landedAt} ms after the last file landed; following it`);
    const job = await followJob(client, queued.id, { print: (line) => process.stdout.write(`  ${line}\n`) });
    const seconds = ((Date.now() - landedAt) / 1000).toFixed(1);
    if (job.engine) say(`engine: ${job.engine.reason}`);

    process.stdout.write(`\njob ${job.id}: ${job.state} in ${seconds} s from landing (attempt ${job.attempt})\n`);
    process.stdout.write('state history:\n');
    for (const change of job.history) process.stdout.write(`  ${change.at}  ${change.state.padEnd(9)} ${change.reason ?? ''}\n`);
    if (job.state !== 'succeeded' || !job.output) {
      process.stdout.write(`failure: ${JSON.stringify(job.failure, null, 2)}\n`);
      return 1;
    }
    process.stdout.write(`rows read:    ${job.output.rowsIn.toLocaleString('en')}\n`);
    process.stdout.write(`rows written: ${job.output.rowsOut.toLocaleString('en')}\n`);
    process.stdout.write(`lake run:     ${job.output.runUri} (${job.output.files} files, ${job.output.bytes} bytes, on MinIO)\n`);
    const lake = openLake(LAKE_URI, s3);
    try {
      const manifest = await readCommittedRun(lake, job.output.table, job.id, job.run?.attempt ?? job.attempt);
      if (!manifest) throw new Error('the job succeeded but its run has no manifest');
      const rows = await readRunRows(lake, manifest, 5);
      process.stdout.write('first aggregate rows:\n');
      for (const row of rows) process.stdout.write(`  ${formatRow(row)}\n`);
    } finally {
      lake.close?.();
    }
    for (const load of job.loads ?? []) {
      process.stdout.write(
        `sql load:     ${load.table} (${load.dialect}, ${load.mode}): ${load.rowsStaged.toLocaleString('en')} rows staged, ${load.inserted} inserted, ${load.updated} updated, ${load.deleted} deleted in ${load.durationMs} ms\n`,
      );
    }
    const [{ count }] = (await postgres.query(`SELECT count(*)::int AS count FROM ${SQL_TABLE}`)) as [{ count: number }];
    process.stdout.write(`sql rows:     ${count.toLocaleString('en')} in ${SQL_TABLE} on PostgreSQL, read back:\n`);
    for (const row of await postgres.query(`SELECT * FROM ${SQL_TABLE} ORDER BY site, day LIMIT 5`)) process.stdout.write(`  ${formatRow(row)}\n`);
    const landings = await waitForLandingsDone(client, job.id);
    process.stdout.write(`landings:     ${landings.map((landing) => `${landing.path} ${landing.state}`).join(', ')} (archived to ${join(root, 'archive')})\n`);

    say(`the same ${FILES} files on Spark (pipeline ${SPARK_PIPELINE}, engine.kind: spark), for comparison`);
    const sparkJob = await followJob(client, (await client.submit({ pipeline: SPARK_PIPELINE, inputs: [replay] })).id, { print: (line) => process.stdout.write(`  ${line}\n`) });
    if (sparkJob.state !== 'succeeded') {
      process.stdout.write(`the Spark job ${sparkJob.state}: ${JSON.stringify(sparkJob.failure, null, 2)}\n`);
      return 1;
    }
    const comparison = await compareRunsInLake(s3, job, sparkJob);
    const embeddedSeconds = engineSeconds(job);
    const sparkSeconds = engineSeconds(sparkJob);
    process.stdout.write(`engines:      ${job.engine?.engine ?? 'spark'} ${embeddedSeconds.toFixed(1)} s, spark ${sparkSeconds.toFixed(1)} s (running → committed; Spark took ${(sparkSeconds / embeddedSeconds).toFixed(1)}× as long)\n`);
    process.stdout.write(
      `rows equal:   ${comparison.equal ? 'yes' : 'NO'}: ${comparison.rows} rows, keys, counts and max exact, sums and means to 12 digits; kwh_p95 identical in ${comparison.percentileSame} of ${comparison.rows} (each engine within its rank error)\n`,
    );
    process.stdout.write(`dashboard:    ${url}/ui/jobs/${encodeURIComponent(job.id)} (API key ${apiKey})\n`);
    if (!comparison.equal) return 1;
    if (stay) {
      say('Sluice stays up for the dashboard; press Ctrl-C to stop it');
      await new Promise((stopped) => process.once('SIGINT', stopped));
    }
    return 0;
  } finally {
    sluice.kill('SIGTERM');
    await new Promise((done) => (sluice.exitCode !== null ? done(null) : sluice.once('exit', done)));
    await services.stop();
  }
}

/**
 * Starts Redis, MinIO (with the lake's bucket) and PostgreSQL in the demo's folder, and gives
 * the one way to stop them: the last started first. If one fails to start, those already
 * running are stopped before the error goes on, so a failed demo leaves no server behind.
 */
async function startServices(root: string): Promise<{ redis: RedisServer; minio: MinioServer; postgres: PostgresServer; stop: () => Promise<void> }> {
  const started: ChildServer[] = [];
  const running = <T extends ChildServer>(server: T): T => {
    started.push(server);
    return server;
  };
  const stop = async () => {
    for (const server of started.reverse()) await server.stop();
  };
  try {
    const redis = running(await RedisServer.start({ dir: join(root, 'redis') }));
    const minio = running(await MinioServer.start({ dir: join(root, 'minio') }));
    const postgres = running(await PostgresServer.start({ dir: postgresDir.dir }));
    await minio.createBucket('lake');
    return { redis, minio, postgres, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads both jobs' committed runs from the lake and compares their rows. */
async function compareRunsInLake(s3: Parameters<typeof openLake>[1], embedded: JobView, spark: JobView): Promise<ReturnType<typeof compareRuns>> {
  const lake = openLake(LAKE_URI, s3);
  try {
    const rowsOf = async (job: JobView) => {
      const manifest = await readCommittedRun(lake, job.output!.table, job.id, job.run?.attempt ?? job.attempt);
      if (!manifest) throw new Error(`job ${job.id} succeeded but its run has no manifest`);
      return readRunRows(lake, manifest, Number.MAX_SAFE_INTEGER);
    };
    return compareRuns(await rowsOf(embedded), await rowsOf(spark));
  } finally {
    lake.close?.();
  }
}

/** The first job the landings started. */
async function waitForJob(client: SluiceClient): Promise<JobView> {
  return waitFor(
    'a job started by the landings',
    async () => (await client.data(client.api.GET('/v1/jobs', { params: { query: { pipeline: 'meter-daily', limit: 1 } } }))).items[0],
    120_000,
    100,
  );
}

/** The landings of the job once their finish work is done (archived, marked done), or as they are after 30 s. */
async function waitForLandingsDone(client: SluiceClient, jobId: string): Promise<Landing[]> {
  const ofJob = async () => (await client.data(client.api.GET('/v1/landings', { params: { query: { limit: 50 } } }))).items.filter((landing) => landing.jobId === jobId);
  const done = await waitFor('the landings to be done', async () => {
    const landings = await ofJob();
    return landings.length > 0 && landings.every((landing) => landing.state === 'done') ? landings : undefined;
  }, 30_000, 200).catch(() => undefined);
  return done ?? ofJob();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
