// Landings start jobs by themselves: files written into a watched folder become one job per
// batch, once, whatever restarts or how many watchers there are. Real Redis, real folders,
// the real local launcher with the stand-in app. Landed files are real Parquet (the watchers
// read each footer at the door); the tests of bad files run at production defaults (quiet
// 2 s, rescan 5 min, max_wait 30 s), so that a wait for a rescan cannot hide.
import { access, appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job } from '../../broker/core/job.ts';
import { pipelineRegistry, type PipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice, type Roles } from '../../broker/sluice.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { corruptParquetBytes } from '../harness/sample-data.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let drop: string;
let archive: string;
let quarantine: string;
let door: string;
let rebatch: string;
let slow: string;
let backlog: string;
let pipelines: PipelineRegistry;
const running: RunningSluice[] = [];

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  drop = join(env.landing, 'drop');
  archive = join(env.dir, 'archive');
  quarantine = join(env.dir, 'quarantine');
  await mkdir(drop, { recursive: true });
  door = join(env.landing, 'door');
  rebatch = join(env.landing, 'rebatch');
  await mkdir(door, { recursive: true });
  await mkdir(rebatch, { recursive: true });
  const watched = (path: string) => ({ kind: 'fs', path, ready: { rule: 'stable', quiet: '400ms' } });
  const afterWork = (name: string) => ({ on_success: 'archive', archive: join(archive, name), quarantine: join(quarantine, name) });
  slow = join(env.landing, 'slow');
  backlog = join(env.landing, 'backlog');
  await mkdir(slow, { recursive: true });
  await mkdir(backlog, { recursive: true });
  pipelines = pipelineRegistry([
    standInPipeline('landed', {}, { sources: [watched(drop)], batch: { max_files: 3, max_wait: '1500ms' } }),
    standInPipeline('slow', {}, { sources: [{ ...watched(slow), ready: { rule: 'stable', quiet: '2s' } }], batch: { max_files: 1 } }),
    standInPipeline('backlog', {}, { sources: [watched(backlog)], batch: { max_files: 200, max_wait: '1s' } }),
    // Production defaults throughout: readiness, rescan, batching.
    standInPipeline('door', {}, { sources: [{ kind: 'fs', path: door }], after: afterWork('door') }),
    standInPipeline('rebatch', {}, { sources: [{ kind: 'fs', path: rebatch }], after: afterWork('rebatch') }),
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
async function land(name: string, content: Buffer, folder = drop): Promise<void> {
  await writeFile(join(folder, `${name}.tmp`), content);
  await rename(join(folder, `${name}.tmp`), join(folder, name));
}

/** A Parquet file of `rows` rows that fits the stand-in pipelines' input (x: long). */
const parquet = async (rows: number): Promise<Buffer> => (await parquetBytes({ rows }))[0]!;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

const allJobs = async (sluice: RunningSluice, pipeline = 'landed'): Promise<Job[]> => (await sluice.jobs.list({ pipeline, limit: 200 })).items;

describe('a watched folder', () => {
  it('turns landed files into one job per batch, lists them as landings, and never starts a second job for them', async () => {
    let sluice = await start({ api: true, worker: true, watch: true });
    await Promise.all(['a', 'b', 'c'].map(async (name, i) => land(`${name}.parquet`, await parquet(i + 1))));
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
    await land('b.parquet', await parquet(20));
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
    for (const [i, name] of names.entries()) await land(name, await parquet(i + 1));
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

  it('defaults: a corrupt file and one with a wrong column type are quarantined before any job starts; the good one is in a job within max_wait; no Spark run fails', async () => {
    const sluice = await start({ api: false, worker: true, watch: true });
    const wrong = (await parquetBytes({ rows: 3, x: 'string' }))[0]!;
    await land('good.parquet', await parquet(3), door);
    await writeFile(join(door, 'broken.parquet'), corruptParquetBytes());
    await land('wrong-type.parquet', wrong, door);
    const landedAt = Date.now();
    const maxWait = pipelines.get('door')!.batch.max_wait;

    const [job] = await waitFor('a job for the good file', async () => {
      const jobs = await allJobs(sluice, 'door');
      return jobs.length > 0 ? jobs : undefined;
    }, 60_000);
    expect(job!.inputs).toEqual([join(door, 'good.parquet')]);
    const good = (await sluice.landings.list({ limit: 10 })).items.find((landing) => landing.path === 'good.parquet' && landing.uri.startsWith(door))!;
    // Ready after the quiet period, then in a job by the batch's max_wait (not a rescan's 5 minutes).
    expect(Date.parse(job!.createdAt) - Date.parse(good.readyAt!)).toBeLessThanOrEqual(maxWait + 1_000);
    expect(Date.parse(job!.createdAt) - landedAt).toBeLessThan(maxWait + 5_000);

    // Both bad files were quarantined before that job was created, with their reasons.
    const byPath = new Map((await sluice.landings.list({ limit: 20 })).items.filter((landing) => landing.uri.startsWith(door)).map((landing) => [landing.path, landing]));
    for (const name of ['broken.parquet', 'wrong-type.parquet']) {
      const landing = byPath.get(name)!;
      expect(landing.state).toBe('quarantined');
      expect(Date.parse(landing.quarantinedAt!)).toBeLessThan(Date.parse(job!.createdAt));
    }
    expect(byPath.get('broken.parquet')!.reason).toContain(`input ${join(door, 'broken.parquet')}: not a readable Parquet file (`);
    expect(byPath.get('wrong-type.parquet')!.reason).toBe(`input ${join(door, 'wrong-type.parquet')}: column "x" is string, expected long`);
    const moved = join(quarantine, 'door');
    expect((await readdir(moved)).sort()).toEqual(['broken.parquet', 'broken.parquet.reason.txt', 'wrong-type.parquet', 'wrong-type.parquet.reason.txt']);
    expect(await readFile(join(moved, 'wrong-type.parquet'))).toEqual(wrong);
    expect(await readFile(join(moved, 'wrong-type.parquet.reason.txt'), 'utf8')).toContain(`input ${join(door, 'wrong-type.parquet')}: column "x" is string, expected long`);

    // The good file's job succeeds and is archived; no job of the pipeline ever failed (no Spark run was spent on a bad file).
    const done = await waitFor('the job to finish', async () => {
      const current = await sluice.jobs.get(job!.id);
      return isFinal(current.state) ? current : undefined;
    }, 60_000);
    expect(done.state).toBe('succeeded');
    await waitFor('the good file archived', async () => ((await exists(join(archive, 'door', 'good.parquet'))) ? true : undefined), 30_000);
    const all = await allJobs(sluice, 'door');
    expect(all.map((current) => [current.state, current.failure?.class ?? null])).toEqual([['succeeded', null]]);
    expect(await readdir(door)).toEqual([]);
  }, 120_000);

  it('defaults, worker and watcher apart: after a data failure Spark finds, the good files are in a new job within max_wait, not after a rescan', async () => {
    // Two Sluice instances with their own Redis connections: the release made by the worker's
    // finish work reaches the watcher only through Redis.
    const worker = await start({ api: false, worker: true, watch: false });
    const watcher = await start({ api: false, worker: false, watch: true });
    // A valid footer the door lets through, whose name makes the stand-in app fail it as Spark would a corrupt page.
    await land('good-1.parquet', await parquet(1), rebatch);
    await land('good-2.parquet', await parquet(2), rebatch);
    await land('corrupt-pages.parquet', await parquet(3), rebatch);
    const maxWait = pipelines.get('rebatch')!.batch.max_wait;

    const [failed] = await waitFor('the first job to fail', async () => {
      const jobs = await allJobs(worker, 'rebatch');
      return jobs.some((job) => job.state === 'failed') ? jobs : undefined;
    }, 90_000);
    expect(failed!.failure?.class).toBe('data');
    expect(failed!.inputs).toHaveLength(3);
    const released = await waitFor('the good files released', async () => {
      const items = (await watcher.landings.list({ limit: 20 })).items.filter((landing) => landing.uri.startsWith(rebatch) && landing.path.startsWith('good-'));
      return items.length === 2 && items.every((landing) => landing.state !== 'batched' || landing.jobId !== failed!.id) ? items : undefined;
    }, 30_000);
    const releasedAt = Math.max(...released.map((landing) => Date.parse(landing.readyAt!)));

    const second = await waitFor('a new job for the good files', async () => {
      const jobs = await allJobs(worker, 'rebatch');
      return jobs.find((job) => job.id !== failed!.id);
    }, maxWait + 15_000);
    expect([...second.inputs].sort()).toEqual([join(rebatch, 'good-1.parquet'), join(rebatch, 'good-2.parquet')]);
    expect(Date.parse(second.createdAt) - releasedAt).toBeLessThanOrEqual(maxWait + 1_000);
    const done = await waitFor('the new job to finish', async () => {
      const current = await worker.jobs.get(second.id);
      return isFinal(current.state) ? current : undefined;
    }, 60_000);
    expect(done.state).toBe('succeeded');
    const reason = await waitFor('the reason file', async () => readFile(join(quarantine, 'rebatch', 'corrupt-pages.parquet.reason.txt'), 'utf8').catch(() => undefined), 30_000);
    expect(reason).toContain(`job ${failed!.id} (attempt 1) failed with class data`);
    expect(reason).toContain(`input ${join(rebatch, 'corrupt-pages.parquet')}: not a Parquet file`);
  }, 180_000);

  it('batches a file written slowly in chunks over 10 s once, after its last write, never before', async () => {
    const sluice = await start({ api: false, worker: false, watch: true });
    const path = join(slow, 'slow.parquet');
    // A real Parquet file, written in 11 pieces: only the whole of it has a footer.
    const whole = await parquet(20_000);
    const piece = Math.ceil(whole.length / 11);
    let lastWriteAt = 0;
    for (let chunk = 0; chunk <= 10; chunk += 1) {
      await appendFile(path, whole.subarray(chunk * piece, (chunk + 1) * piece));
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
    const content = await parquet(2);
    for (const name of names) await land(name, content, backlog);
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
