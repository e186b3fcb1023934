// Watcher health as on-call reads it (GET /v1/watchers): a watched folder shows when a watcher
// last listed it and how many files it held, and a source no watcher lists reads as late.
// Real Redis, the real watch role, production defaults (rescan 5 min: the first listing is the
// one at start). The health record itself: a good listing replaces the last error, an error
// keeps the last good listing (on-call sees both: since when it fails, and when it last worked).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';
import { SourceHealth, sourceHealthKey } from '../../watchers/source-health.ts';

let env: SluiceEnv;
let sluice: RunningSluice | undefined;

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir() });
});
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});
afterAll(async () => {
  await env?.close();
});

type Watcher = { source: string; location: string; pipelines: string[]; lastListingAt?: string; files?: number; late: boolean; expectedEveryMs: number; error?: string };

async function watchers(port: number): Promise<Watcher[]> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/watchers`, { headers: { Authorization: `Bearer ${env.apiKey}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Watcher[] }).items;
}

describe('GET /v1/watchers', () => {
  it('shows when the watcher last listed a folder and how many files it held', async () => {
    const folder = join(env.landing, 'health');
    await mkdir(folder, { recursive: true });
    const [bytes] = await parquetBytes({ rows: 3 });
    for (const name of ['a.parquet', 'b.parquet']) await writeFile(join(folder, name), bytes!);
    const pipelines = pipelineRegistry([standInPipeline('health', {}, { sources: [{ kind: 'fs', path: folder }] })]);
    sluice = await startSluice(env.config(), { api: true, worker: false, watch: true }, { pipelines });
    const started = Date.now();
    const listed = await waitFor('the first listing to be recorded', async () => (await watchers(sluice!.port!)).find((watcher) => watcher.lastListingAt), 30_000, 200);
    expect(listed).toMatchObject({ source: `fs:${folder}`, location: folder, pipelines: ['health'], files: 2, late: false, expectedEveryMs: 300_000 });
    expect(Date.parse(listed.lastListingAt!)).toBeGreaterThanOrEqual(started - 1_000);
    expect(listed.error).toBeUndefined();
  });

  it('reads a source no watcher has listed as late', async () => {
    const folder = join(env.landing, 'unwatched');
    await mkdir(folder, { recursive: true });
    const pipelines = pipelineRegistry([standInPipeline('unwatched', {}, { sources: [{ kind: 'fs', path: folder }] })]);
    // The API alone: no process watches.
    sluice = await startSluice(env.config(), { api: true, worker: false, watch: false }, { pipelines });
    const [watcher] = await watchers(sluice.port!);
    expect(watcher).toMatchObject({ source: `fs:${folder}`, late: true });
    expect(watcher!.lastListingAt).toBeUndefined();
  });
});

describe('SourceHealth', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(env.redis.url);
  });
  afterAll(() => {
    redis?.disconnect();
  });

  it('records listings and errors per source, under the prefix', async () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const health = new SourceHealth(redis, 'health-record', 'host-a:42', () => now);
    await health.listed('fs:/landing/a', { files: 12, ms: 31.6 });
    now += 60_000;
    await health.failed('fs:/landing/a', 'EACCES: permission denied, scandir /landing/a/x');
    expect(await health.read('fs:/landing/a')).toEqual({
      lastListingAt: '2026-12-01T10:00:00.000Z', files: 12, listingMs: 32,
      error: 'EACCES: permission denied, scandir /landing/a/x', errorAt: '2026-12-01T10:01:00.000Z', process: 'host-a:42',
    });
    now += 60_000;
    await health.listed('fs:/landing/a', { files: 13, ms: 20 });
    expect(await health.read('fs:/landing/a')).toEqual({ lastListingAt: '2026-12-01T10:02:00.000Z', files: 13, listingMs: 20, process: 'host-a:42' });
    expect([...(await health.all()).keys()]).toEqual(['fs:/landing/a']);
    expect(await redis.keys('health-record*')).toEqual([sourceHealthKey('health-record')]);
  });

  it('clips a long error', async () => {
    const health = new SourceHealth(redis, 'health-clip', 'h:1');
    await health.failed('s3:b/p', 'x'.repeat(2_000));
    expect((await health.read('s3:b/p'))!.error).toHaveLength(500);
  });
});
