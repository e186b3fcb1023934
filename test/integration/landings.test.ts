// Landings start jobs by themselves: files written into a watched folder become one job per
// batch, once, whatever restarts or how many watchers there are. Real Redis, real folders,
// the real local launcher with the stand-in app.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job } from '../../broker/core/job.ts';
import { pipelineRegistry, type PipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice, type Roles } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let drop: string;
let pipelines: PipelineRegistry;
const running: RunningSluice[] = [];

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  drop = join(env.landing, 'drop');
  await mkdir(drop, { recursive: true });
  pipelines = pipelineRegistry([
    standInPipeline('landed', {}, {
      sources: [{ kind: 'fs', path: drop, ready: { rule: 'stable', quiet: '400ms' }, rescan: '2s' }],
      batch: { max_files: 3, max_wait: '1500ms' },
    }),
  ]);
});

afterEach(async () => {
  for (const sluice of running.splice(0)) await sluice.close();
});

afterAll(async () => {
  await env?.close();
});

async function start(roles: Roles): Promise<RunningSluice> {
  const sluice = await startSluice(env.config(), roles, { pipelines });
  running.push(sluice);
  return sluice;
}

/** Lands a file as a producer would: written under a temporary name, then renamed. */
async function land(name: string, content: string): Promise<void> {
  await writeFile(join(drop, `${name}.tmp`), content);
  await rename(join(drop, `${name}.tmp`), join(drop, name));
}

const allJobs = async (sluice: RunningSluice): Promise<Job[]> => (await sluice.jobs.list({ pipeline: 'landed', limit: 200 })).items;

describe('a watched folder', () => {
  it('turns landed files into one job per batch, lists them as landings, and never starts a second job for them', async () => {
    let sluice = await start({ api: true, worker: true, watch: true });
    await Promise.all(['a', 'b', 'c'].map((name) => land(`${name}.parquet`, `first ${name}`)));
    const [job] = await waitFor('a job from the landings', async () => {
      const jobs = await allJobs(sluice);
      return jobs.length > 0 ? jobs : undefined;
    }, 30_000);
    expect(job!.inputs.map((input) => input.replace(`${drop}/`, '')).sort()).toEqual(['a.parquet', 'b.parquet', 'c.parquet']);
    expect(job!.labels).toEqual({ trigger: 'landing' });
    const done = await waitFor('the job to finish', async () => {
      const current = await sluice.jobs.get(job!.id);
      return isFinal(current.state) ? current : undefined;
    }, 60_000);
    expect(done.state).toBe('succeeded');
    const listed = await fetch(`http://127.0.0.1:${sluice.port}/v1/landings?limit=10`, { headers: { authorization: `Bearer ${env.apiKey}` } });
    const landings = ((await listed.json()) as { items: Array<{ path: string; state: string; jobId?: string }> }).items;
    expect(landings.map((landing) => [landing.path, landing.state, landing.jobId]).sort()).toEqual([
      ['a.parquet', 'batched', job!.id],
      ['b.parquet', 'batched', job!.id],
      ['c.parquet', 'batched', job!.id],
    ]);

    // Restarted over the same folder: the ledger knows every file, so no new job.
    await sluice.close();
    running.splice(running.indexOf(sluice), 1);
    sluice = await start({ api: false, worker: true, watch: true });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await allJobs(sluice)).toHaveLength(1);

    // The same path with new content is a new landing, and a new job.
    await land('b.parquet', 'second b, longer than the first');
    const second = await waitFor('a job for the rewritten file', async () => {
      const jobs = await allJobs(sluice);
      return jobs.length === 2 ? jobs[0] : undefined;
    }, 30_000);
    expect(second!.inputs).toEqual([join(drop, 'b.parquet')]);
  });

  it('is shared by two watchers without a leader: each file goes into exactly one job', async () => {
    const first = await start({ api: false, worker: false, watch: true });
    await start({ api: false, worker: false, watch: true });
    const before = (await allJobs(first)).length;
    const names = ['p', 'q', 'r', 's', 't', 'u', 'v'].map((name) => `${name}.parquet`);
    for (const name of names) await land(name, `content of ${name}`);
    const jobs = await waitFor('every landed file in a job', async () => {
      const current = (await allJobs(first)).slice(0, (await allJobs(first)).length - before);
      const inputs = current.flatMap((job) => job.inputs);
      return names.every((name) => inputs.includes(join(drop, name))) ? current : undefined;
    }, 30_000);
    const inputs = jobs.flatMap((job) => job.inputs);
    expect(inputs.length).toBe(new Set(inputs).size);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await allJobs(first)).length - before).toBe(jobs.length);
  });
});
