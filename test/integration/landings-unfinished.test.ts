// A Parquet file still being written is not a bad file: a writer pausing between row groups
// (or an SMB copy whose writes show late) leaves a file with a header and no footer, unchanged
// for longer than the quiet period. It stays seen and is taken once its writer finishes; it is
// never quarantined. A file whose footer is there but corrupt is still quarantined at once.
// Two pipelines that would take the same files refuse start-up. Production defaults
// throughout (quiet 2 s, footer_wait 10 minutes, rescan 5 minutes, max_wait 30 s).
import { access, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let folder: string;
let quarantine: string;
const running: RunningSluice[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir() });
  folder = join(env.landing, 'unfinished');
  quarantine = join(env.dir, 'quarantine');
  await mkdir(folder, { recursive: true });
});

afterEach(async () => {
  for (const sluice of running.splice(0)) await sluice.close();
});

afterAll(async () => {
  await env?.close();
});

async function start(): Promise<RunningSluice> {
  const pipelines = pipelineRegistry([standInPipeline('unfinished', {}, { sources: [{ kind: 'fs', path: folder }], after: { quarantine } })]);
  const sluice = await startSluice(env.config(), { api: false, worker: false, watch: true }, { pipelines });
  running.push(sluice);
  return sluice;
}

describe('a Parquet file without its footer yet', () => {
  it('waits, seen, through a writer pause longer than the quiet period, and is taken once finished; never quarantined', async () => {
    const sluice = await start();
    const path = join(folder, 'extract.parquet');
    const [whole] = await parquetBytes({ rows: 2_000 });
    const half = Math.floor(whole!.length / 2);
    const file = await open(path, 'w');
    try {
      // Header and the first row groups; the writer builds the next one for three quiet periods.
      await file.write(whole!, 0, half, 0);
      await sleep(6_000);
      const waiting = (await sluice.landings.list({ limit: 5, path: 'extract.parquet' })).items;
      expect(waiting.map((landing) => [landing.state, landing.size])).toEqual([['seen', half]]);
      expect(await exists(quarantine)).toBe(false);
      await file.write(whole!, half, whole!.length - half, half);
    } finally {
      await file.close();
    }
    const [job] = await waitFor('a job for the finished file', async () => {
      const jobs = (await sluice.jobs.list({ pipeline: 'unfinished', limit: 10 })).items;
      return jobs.length > 0 ? jobs : undefined;
    }, 60_000);
    expect(job!.inputs).toEqual([path]);
    const landings = (await sluice.landings.list({ limit: 10, path: 'extract.parquet' })).items;
    expect(landings.map((landing) => [landing.state, landing.size])).toEqual([['batched', whole!.length]]);
    expect(await readdir(folder)).toEqual(['extract.parquet']);
    expect(await exists(quarantine)).toBe(false);
  }, 90_000);

  it('but with a footer that is corrupt in other ways is quarantined at once', async () => {
    const sluice = await start();
    const length = Buffer.alloc(4);
    length.writeUInt32LE(100);
    // PAR1, pages, a footer length and PAR1 at the end: finished, and its footer is garbage.
    await open(join(folder, 'garbled.parquet'), 'w').then(async (file) => {
      await file.write(Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(4096, 7), length, Buffer.from('PAR1')]));
      await file.close();
    });
    const landedAt = Date.now();
    const [landing] = await waitFor('the garbled file quarantined', async () => {
      const found = (await sluice.landings.list({ limit: 5, path: 'garbled.parquet' })).items;
      return found[0]?.state === 'quarantined' ? found : undefined;
    }, 30_000);
    expect(landing!.reason).toContain('not a readable Parquet file');
    // The quiet period and the door, not footer_wait's 10 minutes.
    expect(Date.parse(landing!.quarantinedAt!) - landedAt).toBeLessThan(10_000);
    expect(await readdir(quarantine)).toEqual(['garbled.parquet', 'garbled.parquet.reason.txt']);
  }, 60_000);
});

describe('two pipelines that would take the same files', () => {
  it.each([
    ['the same folder', (landing: string) => [join(landing, 'shared'), join(landing, 'shared/')]],
    ['one folder inside the other', (landing: string) => [join(landing, 'all'), join(landing, 'all', 'sales')]],
  ])('refuse start-up (%s) with a ConfigError naming both pipelines and folders', async (_case, folders) => {
    const [first, second] = folders(env.landing);
    await mkdir(second!, { recursive: true });
    const pipelines = pipelineRegistry([
      standInPipeline('first', {}, { sources: [{ kind: 'fs', path: first! }] }),
      standInPipeline('second', {}, { sources: [{ kind: 'fs', path: second! }] }),
    ]);
    const refused = startSluice(env.config(), { api: false, worker: false, watch: true }, { pipelines });
    await expect(refused).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(refused).rejects.toThrow(`pipeline "first" watches ${first}; pipeline "second" watches ${second}`);
  });
});
