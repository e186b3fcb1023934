// Concurrency caps and priorities, with the real local launcher and spark-submit running a
// stand-in app (test/harness/stand-in-app.ts): caps count Spark runs, globally and per
// pipeline, and a freed slot goes to the job of highest priority (lowest number).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job } from '../../broker/core/job.ts';
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
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: appsDir, SLUICE_AWAIT_POLL: '500ms' });
});

afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});

afterAll(async () => {
  await env?.close();
});

const submit = async (pipeline: string, seconds: number, priority?: number): Promise<string> =>
  (await sluice!.jobs.submit({ pipeline, parameters: { seconds }, inputs: ['none.parquet'], labels: {}, ...(priority ? { priority } : {}) })).job.id;

/** Samples every job's state until all are final; returns the most found running at once. */
async function watchRuns(ids: string[]): Promise<{ jobs: Job[]; maxRunning: Record<string, number> }> {
  const maxRunning: Record<string, number> = {};
  const jobs = await waitFor('every job to finish', async () => {
    const now = await Promise.all(ids.map((id) => sluice!.jobs.get(id)));
    const running: Record<string, number> = { all: 0 };
    for (const job of now) {
      if (job.state !== 'running' && job.state !== 'launching') continue;
      running.all! += 1;
      running[job.pipeline] = (running[job.pipeline] ?? 0) + 1;
    }
    for (const [key, count] of Object.entries(running)) maxRunning[key] = Math.max(maxRunning[key] ?? 0, count);
    return now.every((job) => isFinal(job.state)) ? now : undefined;
  }, 120_000, 100);
  return { jobs, maxRunning };
}

describe('concurrency caps', () => {
  it('hold per pipeline and overall, and still fill every free slot', async () => {
    const pipelines = pipelineRegistry([standInPipeline('capped', { concurrency: 1 }), standInPipeline('open', { concurrency: 5 })]);
    sluice = await startSluice(env.config({ SLUICE_MAX_RUNNING: '2' }), { api: false, worker: true }, { pipelines });
    const ids = [await submit('capped', 3), await submit('capped', 3), await submit('open', 3), await submit('open', 3), await submit('open', 3)];
    const { jobs, maxRunning } = await watchRuns(ids);
    expect(jobs.map((job) => job.state)).toEqual(Array(5).fill('succeeded'));
    expect(maxRunning.capped).toBe(1);
    expect(maxRunning.all).toBe(2);
  });
});

describe('priorities', () => {
  it('give a freed slot to the most urgent waiting job first', async () => {
    const pipelines = pipelineRegistry([standInPipeline('prio', { concurrency: 1 })]);
    sluice = await startSluice(env.config({ SLUICE_MAX_RUNNING: '1' }), { api: false, worker: true }, { pipelines });
    const blocker = await submit('prio', 4);
    await waitFor('the blocker to run', async () => ((await sluice!.jobs.get(blocker)).state === 'running' ? true : undefined));
    const low = await submit('prio', 0, 50);
    const high = await submit('prio', 0, 1);
    const { jobs } = await watchRuns([blocker, low, high]);
    const launchedAt = (job: Job) => Date.parse(job.history.find((change) => change.state === 'launching')!.at);
    const [, lowJob, highJob] = jobs;
    expect(jobs.map((job) => job.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(launchedAt(highJob!)).toBeLessThan(launchedAt(lowJob!));
  });
});
