// A misconfigured worker fails the job at once with the message that says what to fix
// (issue 8, "One error mapping"): no step-error retries, no new attempts, no Spark run.
// Real Redis and the real local launcher; the S3A jars it is given are not there.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childProcessEnv, s3Settings } from '../../broker/config.ts';
import { isFinal } from '../../broker/core/job.ts';
import { LocalLauncher } from '../../broker/launchers/local.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let appsDir: string;
let sluice: RunningSluice | undefined;

beforeAll(async () => {
  appsDir = await standInAppsDir();
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: appsDir, SLUICE_AWAIT_POLL: '5s', SLUICE_S3_LANDING_ROOTS: 's3://landing/in/' });
});
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});
afterAll(async () => {
  await env?.close();
});

describe('configuration errors', () => {
  it('a missing S3A jar fails the job (user) at once, with the message naming the jar, without retries', async () => {
    const config = env.config();
    const missingJar = join(env.dir, 'no-cache', 'hadoop-aws-3.4.1.jar');
    const launcher = new LocalLauncher({
      runsDir: env.runsDir,
      sparkSubmit: config.SLUICE_SPARK_SUBMIT,
      sparkAppsDir: appsDir,
      localCores: config.SLUICE_SPARK_LOCAL_CORES,
      baseEnv: childProcessEnv(),
      s3: s3Settings(config),
      s3aJars: [missingJar, join(env.dir, 'no-cache', 'bundle-2.24.6.jar')],
    });
    // Default policy: 3 attempts; a retried failure would show as attempt 2.
    const pipeline = standInPipeline('reads-s3', { backoff: { initial: '5s', max: '5m', factor: 2 } });
    sluice = await startSluice(config, { api: false, worker: true }, { pipelines: pipelineRegistry([pipeline]), launcher });
    const started = Date.now();
    const { job: submitted } = await sluice.jobs.submit({ pipeline: pipeline.name, parameters: {}, inputs: ['s3://landing/in/day=1/a.parquet'], labels: {} });
    const job = await waitFor('the job to finish', async () => {
      const current = await sluice!.jobs.get(submitted.id);
      return isFinal(current.state) ? current : undefined;
    }, 30_000, 100);
    expect(job.state).toBe('failed');
    expect(job.failure).toMatchObject({ class: 'user', stage: 'launching', attempt: 1 });
    expect(job.failure!.message).toContain(`the S3A jar ${missingJar} is missing`);
    expect(job.failure!.message).not.toMatch(/internal error|see the worker log/);
    expect(job.attempt).toBe(1);
    expect(job.history.map((change) => change.state)).toEqual(['queued', 'launching', 'failed']);
    // At once: no step-error backoff (0.5 s, 1 s, 2 s …) and no attempt backoff (5 s) in between.
    expect(Date.now() - started).toBeLessThan(5_000);
    // Nothing was started, and nothing is left behind to adopt.
    expect((await readdir(env.runsDir)).filter((name) => name.startsWith(submitted.id))).toEqual([]);
    await launcher.close();
  });
});
