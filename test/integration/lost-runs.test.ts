// A run the launcher lost after it committed (issue 8, "Lost runs"): the manifest is the
// commit, so the job carries on with that run instead of starting another attempt and
// orphaning the committed one. Real Redis, the real local launcher and spark-submit with the
// stand-in app; settings at their production defaults (the await poll included).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job } from '../../broker/core/job.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let sluice: RunningSluice | undefined;

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '5s' });
});
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});
afterAll(async () => {
  await env?.close();
});

const fileExists = (path: string): Promise<boolean> => readFile(path).then(() => true, () => false);

describe('lost runs', () => {
  it('a run killed after it wrote _manifest.json but before its exit was recorded: the job succeeds with that run, one Spark run, nothing orphaned', async () => {
    // Default policy: 3 attempts, 5 s backoff; a lost run without a manifest would be retried.
    const pipeline = standInPipeline('committed-then-killed', { backoff: { initial: '5s', max: '5m', factor: 2 } });
    sluice = await startSluice(env.config(), { api: false, worker: true }, { pipelines: pipelineRegistry([pipeline]) });
    const { job: submitted } = await sluice.jobs.submit({ pipeline: pipeline.name, parameters: { rows: 7, linger: 60 }, inputs: ['none.parquet'], labels: {} });
    const id = submitted.id;
    const table = pipeline.outputs.lake.table;
    const runDir = join(env.runsDir, `${id}-1`);
    const manifest = join(env.lakeDir, table, `run=${id}-1`, '_manifest.json');

    await waitFor('the run to commit its manifest', async () => ((await fileExists(manifest)) ? true : undefined), 60_000, 100);
    // Committed, still lingering: the supervisor has written no exit code.
    expect(await fileExists(join(runDir, 'exit_code'))).toBe(false);
    const pid = Number((await readFile(join(runDir, 'pid'), 'utf8')).trim());
    // The whole process group at once, supervisor included: nobody is left to record an exit.
    process.kill(-pid, 'SIGKILL');

    const job = await waitFor('the job to finish', async () => {
      const current = await sluice!.jobs.get(id);
      return isFinal(current.state) ? current : undefined;
    }, 60_000, 200);
    expect(job.state).toBe('succeeded');
    expect(job.attempt).toBe(1);
    expect(job.failure).toBeUndefined();
    expect(job.history.map((change) => change.state)).toEqual(['queued', 'launching', 'running', 'succeeded']);
    expect(job.output).toMatchObject({ rowsOut: 7 });
    expect(job.output!.runUri).toContain(`run=${id}-1`);
    // One Spark run, and the lake holds that run only: no second attempt, no orphan.
    expect((await readdir(env.runsDir)).filter((name) => name.startsWith(id))).toEqual([`${id}-1`]);
    expect((await readdir(join(env.lakeDir, table))).filter((name) => name.includes(id))).toEqual([`run=${id}-1`]);
    expect(await fileExists(join(runDir, 'exit_code'))).toBe(false);
  }, 120_000);

  it('a run lost before it committed fails its attempt (platform) and is retried', async () => {
    const pipeline = standInPipeline('killed-early', { backoff: { initial: '5s', max: '5m', factor: 2 } });
    sluice = await startSluice(env.config(), { api: false, worker: true }, { pipelines: pipelineRegistry([pipeline]) });
    const { job: submitted } = await sluice.jobs.submit({ pipeline: pipeline.name, parameters: { seconds: 60 }, inputs: ['none.parquet'], labels: {} });
    const runDir = join(env.runsDir, `${submitted.id}-1`);
    const pid = await waitFor('the supervisor pid', async () => {
      const text = await readFile(join(runDir, 'pid'), 'utf8').catch(() => undefined);
      return text?.trim() ? Number(text.trim()) : undefined;
    }, 60_000, 100);
    process.kill(-pid, 'SIGKILL');
    const retried: Job = await waitFor('the second attempt', async () => {
      const current = await sluice!.jobs.get(submitted.id);
      return current.attempt === 2 ? current : undefined;
    }, 60_000, 200);
    expect(retried.failure).toMatchObject({ class: 'platform', stage: 'running', attempt: 1 });
    expect(retried.failure!.message).toMatch(/died without an exit code/);
    const cancelled = await sluice.jobs.cancel(submitted.id);
    expect(cancelled.cancelRequested || cancelled.state === 'cancelled').toBe(true);
    await waitFor('the cancel', async () => (isFinal((await sluice!.jobs.get(submitted.id)).state) ? true : undefined), 60_000, 200);
  }, 120_000);
});
