// The local launcher's decisions that need no Spark: the command line, reading a run
// directory's state, the start grace. test/integration/local-launcher.test.ts runs it for real.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunHandle } from '../core/job.ts';
import { PipelineSchema } from '../core/pipeline.ts';
import { buildRunSpec } from '../core/run-spec.ts';
import { failureLine, LocalLauncher, sparkSubmitArgs } from './local.ts';

const pipeline = PipelineSchema.parse({
  name: 'daily-orders',
  input: { columns: { region: 'string', amount: 'double' } },
  transform: { group_by: ['region'], metrics: [{ name: 'total', fn: 'sum', column: 'amount' }] },
  outputs: { lake: { table: 'orders' } },
  engine: { cores: 4, driver_memory: '2g', conf: { 'spark.sql.shuffle.partitions': '4', 'spark.ui.enabled': 'true' } },
});
const spec = buildRunSpec({ pipeline, jobId: 'j1', attempt: 2, inputs: [], parameters: {}, runUri: 'file:///lake/orders/run=j1-2' });
const handle = (runId: string): RunHandle => ({ launcher: 'local', runId, attempt: 1, startedAt: '' });

let runsDir: string;
let now: number;
let launcher: LocalLauncher;

beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'sluice-runs-'));
  now = Date.now();
  launcher = new LocalLauncher({ runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, clock: () => now });
});
afterEach(async () => {
  launcher.close();
  await rm(runsDir, { recursive: true, force: true });
});

async function runDir(runId: string, files: Record<string, string>): Promise<string> {
  const path = join(runsDir, runId);
  await mkdir(path);
  for (const [name, body] of Object.entries(files)) await writeFile(join(path, name), body);
  return path;
}

describe('local launcher', () => {
  it('builds the spark-submit command from the pipeline, capped by the local cores', () => {
    const args = sparkSubmitArgs(
      { runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, env: { JAVA_HOME: '/jdk' } },
      { jobId: 'j1', attempt: 2, pipeline, spec },
      'j1-2',
      '/runs/j1-2/spec.json',
    );
    expect(args).toEqual([
      'env', 'PYSPARK_PYTHON=/opt/venv/bin/python', 'SPARK_LOCAL_IP=127.0.0.1', 'JAVA_HOME=/jdk',
      '/opt/venv/bin/spark-submit', '--master', 'local[2]', '--name', 'sluice-j1-2', '--driver-memory', '2g',
      '--conf', 'spark.ui.enabled=true', '--conf', 'spark.sql.shuffle.partitions=4',
      '/apps/run_aggregate.py', '--spec', '/runs/j1-2/spec.json',
    ]);
  });

  it('gives an S3 run the S3A jars and settings, with the keys kept out of argv', () => {
    const s3 = { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', accessKeyId: 'AKID', secretAccessKey: 'SECRET', forcePathStyle: true };
    const options = { runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, s3, s3aJars: ['/jars/hadoop-aws.jar', '/jars/bundle.jar'] };
    const s3Spec = { ...spec, inputs: ['s3://landing/a.parquet'], output: { table: 'orders', run_uri: 's3a://lake/orders/run=j1-2' } };
    const args = sparkSubmitArgs(options, { jobId: 'j1', attempt: 2, pipeline, spec: s3Spec }, 'j1-2', '/runs/j1-2/spec.json');
    expect(args.slice(args.indexOf('--jars'), args.indexOf('--jars') + 2)).toEqual(['--jars', '/jars/hadoop-aws.jar,/jars/bundle.jar']);
    expect(args).toEqual(expect.arrayContaining([
      'AWS_REGION=eu-west-1', 'AWS_ENDPOINT_URL=http://127.0.0.1:9000', 'SLUICE_S3_PATH_STYLE=true',
      'spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9000', 'spark.hadoop.fs.s3a.endpoint.region=eu-west-1',
      'spark.hadoop.fs.s3a.path.style.access=true', 'spark.hadoop.fs.s3a.connection.ssl.enabled=false',
      'spark.hadoop.fs.s3a.aws.credentials.provider=software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider',
    ]));
    expect(args.join(' ')).not.toMatch(/AKID|SECRET/);
    // A run on local files gets neither the jars nor the settings.
    const local = sparkSubmitArgs(options, { jobId: 'j1', attempt: 2, pipeline, spec }, 'j1-2', '/runs/j1-2/spec.json');
    expect(local.join(' ')).not.toMatch(/--jars|s3a|AWS_/);
    // An S3 run on a launcher without S3 settings is refused rather than started to fail.
    expect(() => sparkSubmitArgs({ ...options, s3aJars: [] }, { jobId: 'j1', attempt: 2, pipeline, spec: s3Spec }, 'j1-2', '/x')).toThrow(/S3A jars/);
  });

  it('reads the last failure line of the log', () => {
    const log = [
      'SLUICE_FAILURE {"class":"data","message":"first"}',
      'SLUICE_FAILURE {"class":"data","message":"bad file x"}',
      'SLUICE_FAILURE not json',
      'INFO ShutdownHookManager: Shutdown hook called',
    ].join('\n');
    expect(failureLine(log)?.message).toBe('bad file x');
    expect(failureLine('nothing here')).toBeUndefined();
  });

  it('maps exit codes to outcomes', async () => {
    await runDir('j1-1', { pid: '1\n', exit_code: '0\n' });
    await runDir('j2-1', { pid: '1\n', exit_code: '64\n', 'driver.log': 'SLUICE_FAILURE {"class":"user","message":"bad sql"}\n' });
    await runDir('j3-1', { pid: '1\n', exit_code: '137\n', 'driver.log': 'java.lang.OutOfMemoryError\n' });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'succeeded' });
    expect(await launcher.status(handle('j2-1'))).toMatchObject({ phase: 'failed', failureClass: 'user', message: 'bad sql' });
    expect(await launcher.status(handle('j3-1'))).toEqual({
      phase: 'failed', failureClass: 'platform', message: 'spark-submit was killed by signal 9', logTail: 'java.lang.OutOfMemoryError\n',
    });
  });

  it('says pending while a fresh run has no pid, and lost once the start grace has passed', async () => {
    const path = await runDir('j1-1', { 'spec.json': '{}' });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'pending' });
    const old = new Date(now - 31_000);
    await utimes(path, old, old);
    expect(await launcher.status(handle('j1-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/never started/) });
  });

  it('says lost when the supervisor died without an exit code, or the run directory is gone', async () => {
    // A pid above the kernel's pid_max exists nowhere.
    await runDir('j1-1', { pid: '99999999\n' });
    expect(await launcher.status(handle('j1-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/died without an exit code/) });
    expect(await launcher.status(handle('j9-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/does not exist/) });
    await launcher.cancel(handle('j1-1'));
    await launcher.cancel(handle('j9-1'));
  });

  it('finds every run of a job and removes one', async () => {
    expect(await launcher.runsOf('j1')).toEqual([]);
    for (const runId of ['j1-2', 'j1-1', 'j12-1', 'j1-x']) await runDir(runId, { 'spec.json': '{}' });
    const runs = await launcher.runsOf('j1');
    expect(runs.map((run) => [run.runId, run.attempt])).toEqual([['j1-1', 1], ['j1-2', 2]]);
    await launcher.remove(runs[0]!);
    expect((await launcher.runsOf('j1')).map((run) => run.runId)).toEqual(['j1-2']);
  });

  it('refuses run ids that are not plain names', async () => {
    await expect(launcher.status(handle('../etc'))).rejects.toThrow(/not a local run id/);
  });
});
