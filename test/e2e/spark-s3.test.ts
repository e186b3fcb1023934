// End to end with real local Spark and a real MinIO as S3: an HTTP job over local landings
// commits its run into an s3:// lake (Spark writes s3a://, the app writes the manifest last),
// and a run launched straight through the local launcher reads its landings from S3. The
// expected aggregates are computed with pyarrow from the same files. The MinIO secret must
// reach Spark only through its environment: never the spec, the driver log, the job, or any
// process's argv (what `ps` shows every user).
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRunSpec } from '../../broker/core/run-spec.ts';
import { createS3Storage, type S3LakeStorage } from '../../broker/lake/s3-storage.ts';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import { loadPipelines, pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http, type Http } from '../harness/http.ts';
import { MinioServer } from '../harness/minio-server.ts';
import { PYTHON } from '../harness/python.ts';
import { generateReadings } from '../harness/sample-data.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

const ROWS = 20_000;
const run = promisify(execFile);

let minio: MinioServer;
let env: SluiceEnv;
let sluice: RunningSluice;
let api: Http;
/** The lake as a reader sees it, through its own client. */
let lake: S3LakeStorage;
let landingDir: string;

type DailyGroup = { site: string; day: string; readings: number; kwh_sum: number };
type Oracle = { rows_in: number; expected: DailyGroup[]; written?: DailyGroup[] };

/**
 * meter-daily's groups computed with pyarrow from the landing files, and (given a run prefix)
 * the groups the run wrote, read back from MinIO with pyarrow's S3 client.
 */
const ORACLE = `
import sys, json, os, pyarrow as pa, pyarrow.compute as pc, pyarrow.dataset as ds, pyarrow.fs as pafs
landing, run = sys.argv[1], sys.argv[2]
table = ds.dataset(landing, format="parquet").to_table(columns=["site", "ts", "kwh", "status"])
rows_in = table.num_rows
ok = table.filter(pc.equal(table["status"], "ok"))
ok = ok.append_column("day", pc.cast(ok["ts"], pa.date32()))
def groups(t, count, total):
    rows = sorted(t.to_pylist(), key=lambda r: (r["site"], str(r["day"])))
    return [{"site": r["site"], "day": str(r["day"]), "readings": r[count], "kwh_sum": r[total]} for r in rows]
out = {"rows_in": rows_in, "expected": groups(ok.group_by(["site", "day"]).aggregate([([], "count_all"), ("kwh", "sum")]), "count_all", "kwh_sum")}
if run:
    s3 = pafs.S3FileSystem(endpoint_override=os.environ["S3_ENDPOINT"], scheme="http", region="us-east-1",
                           access_key=os.environ["S3_KEY"], secret_key=os.environ["S3_SECRET"])
    parts = [f for f in s3.get_file_info(pafs.FileSelector(run)) if f.base_name.startswith("part-")]
    written = ds.dataset([f.path for f in parts], format="parquet", filesystem=s3).to_table()
    out["written"] = groups(written, "readings", "kwh_sum")
print(json.dumps(out))
`;

async function oracle(runPrefix = ''): Promise<Oracle> {
  const s3 = minio.settings;
  // The test's own child: the keys in its environment, as the launcher gives them to Spark.
  const childEnv = { ...process.env, S3_ENDPOINT: `127.0.0.1:${minio.port}`, S3_KEY: s3.accessKeyId, S3_SECRET: s3.secretAccessKey };
  const { stdout } = await run(PYTHON, ['-c', ORACLE, landingDir, runPrefix], { env: childEnv, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as Oracle;
}

function expectSameGroups(written: DailyGroup[], expected: DailyGroup[]): void {
  expect(written.length).toBe(expected.length);
  expected.forEach((want, i) => {
    const got = written[i]!;
    expect([got.site, got.day, got.readings]).toEqual([want.site, want.day, want.readings]);
    expect(got.kwh_sum).toBeCloseTo(want.kwh_sum, 6);
  });
}

/** Every process's argv on this machine, as `ps` shows it (NUL-separated arguments joined by spaces). */
async function allCommandLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' '));
    } catch {
      // the process ended meanwhile
    }
  }
  return lines;
}

beforeAll(async () => {
  minio = await MinioServer.start();
  await minio.createBucket('lake');
  await minio.createBucket('landing');
  const s3 = minio.settings;
  // Spark runs are this file's subject: no landing is small enough for the embedded engine
  // (engine.kind auto), whose own end-to-end tests are embedded-engine.test.ts.
  env = await createSluiceEnv({
    SLUICE_EMBEDDED_MAX_BYTES: '0',
    SLUICE_LAKE_URI: 's3://lake/runs',
    SLUICE_S3_ENDPOINT: s3.endpoint!,
    SLUICE_S3_REGION: s3.region,
    SLUICE_S3_ACCESS_KEY_ID: s3.accessKeyId!,
    SLUICE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey!,
    SLUICE_S3_FORCE_PATH_STYLE: 'true',
  });
  sluice = await startSluice(env.config(), { api: true, worker: true });
  api = http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
  lake = createS3Storage('s3://lake/runs', s3);
  landingDir = join(env.landing, 'meter-readings');
  await generateReadings(landingDir, ROWS, 2);
}, 120_000);

afterAll(async () => {
  lake?.close();
  await sluice?.close();
  await env?.close();
  await minio?.destroy();
});

describe('an S3 lake on MinIO', () => {
  it('commits a meter-daily run into s3://lake/runs with the aggregates pyarrow computes, and keeps the secret out of argv, spec and log', async () => {
    const secret = minio.settings.secretAccessKey!;
    const submitted = await api.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
    const runId = `${submitted.id}-1`;

    // While the run lives, watch every process's argv: the supervisor's and spark-submit's
    // must show up (so the check is not vacuous) and none may hold the secret.
    let sawRun = false;
    let leaked: string | undefined;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const line of await allCommandLines()) {
          if (line.includes('sluice-supervisor') && line.includes(runId)) sawRun = true;
          if (line.includes(secret)) leaked = line.slice(0, 200);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const job = await api.finished(submitted.id).finally(() => {
      watching = false;
    });
    await watcher;
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(sawRun).toBe(true);
    expect(leaked).toBeUndefined();

    // The run in MinIO: part files, then the manifest naming exactly them.
    const prefix = `meter_daily/run=${runId}`;
    const objects = await lake.list(`${prefix}/`);
    const parts = objects.filter((o) => /\/part-[^/]*\.parquet$/.test(o.key));
    expect(parts.length).toBeGreaterThan(0);
    const manifest = JSON.parse((await lake.read(`${prefix}/_manifest.json`))!.toString('utf8')) as {
      run_uri: string;
      rows_in: number;
      rows_out: number;
      files: Array<{ name: string; rows: number; bytes: number }>;
    };
    expect(manifest.run_uri).toBe(`s3a://lake/runs/${prefix}`);
    expect(manifest.files.map((f) => f.name)).toEqual(parts.map((p) => p.key.slice(prefix.length + 1)));
    expect(manifest.files.map((f) => f.bytes)).toEqual(parts.map((p) => p.size));

    const { rows_in: rowsIn, expected, written } = await oracle(`lake/runs/${prefix}`);
    expect(rowsIn).toBe(ROWS);
    expect(manifest.rows_in).toBe(ROWS);
    expect(manifest.rows_out).toBe(expected.length);
    expect(job.output?.rowsOut).toBe(expected.length);
    expectSameGroups(written!, expected);

    // Nothing the run leaves behind or the API shows holds the secret.
    const runDir = join(env.runsDir, runId);
    const spec = await readFile(join(runDir, 'spec.json'), 'utf8');
    const log = await readFile(join(runDir, 'driver.log'), 'utf8');
    expect(log).toContain(`job=${submitted.id}`);
    expect(spec).not.toContain(secret);
    expect(log).not.toContain(secret);
    expect(JSON.stringify(job)).not.toContain(secret);
    const logs = await api.get(`/v1/jobs/${job.id}/logs`);
    expect(await logs.text()).not.toContain(secret);
  });

  it('rides out MinIO stopped for 30 s during a run: the job succeeds, once, with its run committed', async () => {
    // Its own prefix and a patient retry policy: the Spark write may fail while MinIO is away
    // (a platform failure), and the next attempt must find it back.
    const meterDaily = (await loadPipelines('examples/pipelines')).get('meter-daily')!;
    const patient = PipelineSchema.parse({ ...meterDaily, policy: { ...meterDaily.policy, max_attempts: 6, backoff: { initial: '5s', max: '20s', factor: 2 } } });
    const outage = await startSluice(env.config({ SLUICE_QUEUE_PREFIX: 'outage' }), { api: true, worker: true }, { pipelines: pipelineRegistry([patient]) });
    try {
      const client = http(`http://127.0.0.1:${outage.port}`, env.apiKey);
      const submitted = await client.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
      await waitFor('the run to start', async () => ((await client.job(submitted.id)).state === 'running' ? true : undefined), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await minio.restart(30_000);
      const job = await client.finished(submitted.id, 420_000);
      expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
      expect((await outage.jobs.list({ limit: 10 })).items).toHaveLength(1);
      const committed = await lake.read(`meter_daily/run=${job.id}-${job.attempt}/_manifest.json`);
      expect(JSON.parse(committed!.toString('utf8')).rows_in).toBe(ROWS);
    } finally {
      await outage.close();
    }
  });

  it('reads landings from S3 (s3:// inputs) in a run started through the local launcher', async () => {
    const landingStore = createS3Storage('s3://landing', minio.settings);
    try {
      const files = (await readdir(landingDir)).filter((name) => name.endsWith('.parquet')).sort();
      for (const name of files) await landingStore.write(`meter-readings/${name}`, await readFile(join(landingDir, name)));
      const pipeline = (await loadPipelines('examples/pipelines')).get('meter-daily')!;
      const jobId = 's3-landings';
      const spec = buildRunSpec({
        pipeline,
        jobId,
        attempt: 1,
        inputs: files.map((name) => `s3://landing/meter-readings/${name}`),
        parameters: {},
        runUri: lake.uri(`meter_daily/run=${jobId}-1`),
      });
      const launcher = sluice.launchers.forPipeline(pipeline);
      const handle = await launcher.launch({ jobId, attempt: 1, pipeline, spec });
      const status = await waitFor('the S3 run to end', async () => {
        const current = await launcher.status(handle);
        return current.phase === 'pending' || current.phase === 'running' ? undefined : current;
      }, 240_000, 500);
      expect(status, JSON.stringify(status)).toEqual({ phase: 'succeeded' });

      const manifest = JSON.parse((await lake.read(`meter_daily/run=${jobId}-1/_manifest.json`))!.toString('utf8')) as {
        rows_in: number;
        rows_out: number;
        inputs: Array<{ path: string; rows: number }>;
      };
      const { expected, written } = await oracle(`lake/runs/meter_daily/run=${jobId}-1`);
      expect(manifest.inputs.map((input) => input.path)).toEqual(spec.inputs);
      expect(manifest.rows_in).toBe(ROWS);
      expect(manifest.rows_out).toBe(expected.length);
      expectSameGroups(written!, expected);
    } finally {
      landingStore.close();
    }
  });
});
