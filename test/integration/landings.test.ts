// Landings start jobs by themselves: files written into a watched folder become one job per
// batch, once, whatever restarts or how many watchers there are. Real Redis, real folders,
// the real local launcher with the stand-in app.
import { access, appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
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
let curated: string;
let archive: string;
let quarantine: string;
let slow: string;
let backlog: string;
let pipelines: PipelineRegistry;
const running: RunningSluice[] = [];

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  drop = join(env.landing, 'drop');
  curated = join(env.landing, 'curated');
  archive = join(env.dir, 'archive');
  quarantine = join(env.dir, 'quarantine');
  await mkdir(drop, { recursive: true });
  await mkdir(curated, { recursive: true });
  const watched = (path: string) => ({ kind: 'fs', path, ready: { rule: 'stable', quiet: '400ms' }, rescan: '2s' });
  slow = join(env.landing, 'slow');
  backlog = join(env.landing, 'backlog');
  await mkdir(slow, { recursive: true });
  await mkdir(backlog, { recursive: true });
  pipelines = pipelineRegistry([
    standInPipeline('landed', {}, { sources: [watched(drop)], batch: { max_files: 3, max_wait: '1500ms' } }),
    standInPipeline('slow', {}, { sources: [{ ...watched(slow), ready: { rule: 'stable', quiet: '2s' } }], batch: { max_files: 1 } }),
    standInPipeline('backlog', {}, { sources: [watched(backlog)], batch: { max_files: 200, max_wait: '1s' } }),
    standInPipeline('curated', {}, {
      sources: [watched(curated)],
      batch: { max_files: 3, max_wait: '1500ms' },
      after: { on_success: 'archive', archive, quarantine },
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
async function land(name: string, content: string, folder = drop): Promise<void> {
  await writeFile(join(folder, `${name}.tmp`), content);
  await rename(join(folder, `${name}.tmp`), join(folder, name));
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

const allJobs = async (sluice: RunningSluice, pipeline = 'landed'): Promise<Job[]> => (await sluice.jobs.list({ pipeline, limit: 200 })).items;

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
    // The finish work (landings done) follows the job's final state by a step.
    const landings = await waitFor('the landings to be done', async () => {
      const listed = await fetch(`http://127.0.0.1:${sluice.port}/v1/landings?limit=10`, { headers: { authorization: `Bearer ${env.apiKey}` } });
      const items = ((await listed.json()) as { items: Array<{ path: string; state: string; jobId?: string }> }).items;
      return items.length === 3 && items.every((landing) => landing.state === 'done') ? items : undefined;
    }, 30_000);
    expect(landings.map((landing) => [landing.path, landing.state, landing.jobId]).sort()).toEqual([
      ['a.parquet', 'done', job!.id],
      ['b.parquet', 'done', job!.id],
      ['c.parquet', 'done', job!.id],
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

  it('quarantines the file a data failure names, batches the others again, and archives them when their job succeeds', async () => {
    const sluice = await start({ api: false, worker: true, watch: true });
    await land('good-1.parquet', 'good one', curated);
    await land('good-2.parquet', 'good two', curated);
    await land('corrupt.parquet', 'not parquet at all', curated);
    const jobs = await waitFor('a failed job and a succeeded one', async () => {
      const current = await allJobs(sluice, 'curated');
      return current.some((job) => job.state === 'failed') && current.some((job) => job.state === 'succeeded') ? current : undefined;
    }, 60_000);
    const failed = jobs.find((job) => job.state === 'failed')!;
    const succeeded = jobs.find((job) => job.state === 'succeeded')!;
    expect(failed.failure?.class).toBe('data');
    expect(failed.failure?.input).toBe(join(curated, 'corrupt.parquet'));
    expect(failed.inputs).toHaveLength(3);
    expect(succeeded.inputs.sort()).toEqual([join(curated, 'good-1.parquet'), join(curated, 'good-2.parquet')]);

    const quarantined = join(quarantine, 'corrupt.parquet');
    await waitFor('the files to move', async () => ((await exists(join(archive, 'good-2.parquet'))) && (await exists(quarantined)) ? true : undefined), 30_000);
    expect(await readFile(quarantined, 'utf8')).toBe('not parquet at all');
    expect(await readFile(`${quarantined}.reason.txt`, 'utf8')).toContain(`${join(curated, 'corrupt.parquet')}: not a Parquet file`);
    expect(await readFile(join(archive, 'good-1.parquet'), 'utf8')).toBe('good one');
    expect(await readdir(curated)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await allJobs(sluice, 'curated')).toHaveLength(2);
  });

  it('batches a file written slowly in chunks over 10 s once, after its last write, never before', async () => {
    const sluice = await start({ api: false, worker: false, watch: true });
    const path = join(slow, 'slow.parquet');
    let lastWriteAt = 0;
    for (let chunk = 0; chunk <= 10; chunk += 1) {
      await appendFile(path, `chunk ${chunk}\n`.repeat(1_000));
      lastWriteAt = Date.now();
      expect(await allJobs(sluice, 'slow')).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const [job] = await waitFor('the job for the slow file', async () => {
      const jobs = await allJobs(sluice, 'slow');
      return jobs.length > 0 ? jobs : undefined;
    }, 20_000);
    expect(Date.parse(job!.createdAt)).toBeGreaterThanOrEqual(lastWriteAt);
    expect(job!.inputs).toEqual([path]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await allJobs(sluice, 'slow')).toHaveLength(1);
  });

  it('takes in 500 files that landed while Sluice was stopped, each exactly once', async () => {
    const names = Array.from({ length: 500 }, (_, i) => `b-${String(i).padStart(3, '0')}.parquet`);
    for (const name of names) await land(name, `backlog ${name}`, backlog);
    const sluice = await start({ api: false, worker: false, watch: true });
    const inputs = await waitFor('every file in a job', async () => {
      const all = (await allJobs(sluice, 'backlog')).flatMap((job) => job.inputs);
      return all.length >= names.length ? all : undefined;
    }, 60_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const settled = (await allJobs(sluice, 'backlog')).flatMap((job) => job.inputs);
    expect(settled.length).toBe(inputs.length);
    expect(new Set(settled).size).toBe(settled.length);
    expect(settled.sort()).toEqual(names.map((name) => join(backlog, name)));
  });
});
