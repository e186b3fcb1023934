// Re-admitting a quarantined landing through the API (POST /v1/landings/{fingerprint}/readmit)
// and finding landings by path, against real Redis and real folders: the file goes back where
// it landed, the landing is ready again with who and when, and every refusal says why and
// changes nothing. (The watcher batching a re-admitted file is landings-readmit.test.ts.)
import { access, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceId } from '../../broker/core/landing-config.ts';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import { fsFingerprint } from '../../watchers/fingerprint.ts';
import { LandingFiles } from '../../watchers/landing-files.ts';
import type { LandingRecord } from '../../watchers/landing-ledger.ts';
import { quarantineLandings } from '../../watchers/quarantine.ts';
import { type ApiContext, ApiTestServer, expectNoApiKeyLeaked, PROBLEM, salesPipeline } from './api-fixture.ts';

let server: ApiTestServer;
let ctx: ApiContext;
let base: string;
let drop: string;
let inPlace: string;
let quarantine: string;
const files = new LandingFiles(new S3Client({ region: 'us-east-1' }));

/** A pipeline over one folder source: with a quarantine location or without (the file then stays). */
const pipelineOver = (name: string, folder: string, quarantineTo?: string) =>
  PipelineSchema.parse({ ...salesPipeline, name, sources: [{ kind: 'fs', path: folder }], after: quarantineTo ? { quarantine: quarantineTo } : {} });

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'sluice-readmit-'));
  drop = join(base, 'drop');
  inPlace = join(base, 'in-place');
  quarantine = join(base, 'quarantine');
  await mkdir(drop, { recursive: true });
  await mkdir(inPlace, { recursive: true });
  server = await ApiTestServer.start();
  ctx = await server.context({ pipelines: [pipelineOver('dropped', drop, quarantine), pipelineOver('kept', inPlace)] });
});

afterAll(async () => {
  await ctx?.close();
  await server?.stop();
});

const exists = (path: string) => access(path).then(() => true, () => false);

/** Lands `name` in `folder` (recorded ready, as the source records it), then quarantines it as the door would. */
async function quarantined(folder: string, name: string, quarantineTo?: string): Promise<LandingRecord> {
  const uri = join(folder, name);
  await mkdir(join(uri, '..'), { recursive: true });
  await writeFile(uri, `corrupt bytes of ${name}`);
  const stats = await stat(uri);
  const source = sourceId({ kind: 'fs', path: folder });
  const landing = { fingerprint: fsFingerprint(source, name, stats.size, stats.mtimeMs), source, path: name, uri, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), ino: stats.ino };
  await ctx.landings.markReady(landing);
  await quarantineLandings({ ledger: ctx.landings, files }, { on_success: 'keep', ...(quarantineTo ? { quarantine: quarantineTo } : {}) }, [landing], 'not a readable Parquet file', 'refused when it landed');
  return (await ctx.landings.get(landing.fingerprint))!;
}

const readmit = (fingerprint: string, key?: string) => ctx.call(`/v1/landings/${fingerprint}/readmit`, { method: 'POST', ...(key ? { key } : {}) });

async function problemOf(response: Response, status: number): Promise<{ type: string; detail: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('Content-Type')).toBe(PROBLEM);
  return (await response.json()) as { type: string; detail: string };
}

describe('re-admitting a quarantined landing', () => {
  it('puts the fixed file back where it landed, makes the landing ready, and records who and when', async () => {
    const landing = await quarantined(drop, 'day=1/a.parquet', quarantine);
    const held = join(quarantine, 'day=1/a.parquet');
    expect(await exists(`${held}.reason.txt`)).toBe(true);
    // The operator fixes the file where quarantine put it.
    await writeFile(held, 'the fixed file, longer than the corrupt one');

    const response = await readmit(landing.fingerprint, ctx.keys.producer);
    expect(response.status).toBe(200);
    const body = (await response.json()) as LandingRecord;
    expect(body).toMatchObject({ fingerprint: landing.fingerprint, state: 'ready', readmittedBy: 'API key "producer"', size: 43 });
    expect(Date.parse(body.readmittedAt!)).toBeGreaterThan(Date.now() - 10_000);
    expect(await readFile(landing.uri, 'utf8')).toBe('the fixed file, longer than the corrupt one');
    expect(await exists(held)).toBe(false);
    expect(await exists(`${held}.reason.txt`)).toBe(false);
    // The source's path index knows the file put back as this landing (not a new one).
    expect(await ctx.landings.pathRecord(landing.source, landing.path)).toMatchObject({ fingerprint: landing.fingerprint, size: 43 });

    // What GET /v1/landings then shows, found by a part of its path.
    const listed = await ctx.call('/v1/landings?path=day%3D1%2F');
    const items = ((await listed.json()) as { items: LandingRecord[] }).items;
    expect(items.map((item) => [item.path, item.state, item.readmittedBy])).toEqual([['day=1/a.parquet', 'ready', 'API key "producer"']]);

    // Its history in the event stream: the move out of quarantine, naming who made it.
    const events = await eventsOf(landing.fingerprint);
    expect(events.at(-1)).toMatchObject({ type: 'landing.ready', from: 'quarantined', reason: 're-admitted by API key "producer"' });

    // A second click changes nothing and says what the landing is now.
    const again = await problemOf(await readmit(landing.fingerprint), 409);
    expect(again.type).toBe('urn:sluice:problem:landing-not-quarantined');
    expect(again.detail).toContain('is ready, not quarantined');
    expect((await eventsOf(landing.fingerprint)).length).toBe(events.length);
  });

  it('without a quarantine location only the ledger changes (the file stayed where it landed)', async () => {
    const landing = await quarantined(inPlace, 'b.parquet');
    expect(await exists(landing.uri)).toBe(true);
    const response = await readmit(landing.fingerprint, ctx.keys.writer);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ state: 'ready', readmittedBy: 'API key "airflow"', size: landing.size });
    expect(await readFile(landing.uri, 'utf8')).toBe('corrupt bytes of b.parquet');
  });

  it('a file that changed in place since is refused: the watcher takes it in as a new landing', async () => {
    const landing = await quarantined(inPlace, 'c.parquet');
    await writeFile(landing.uri, 'rewritten in place, a new landing of its own');
    const problem = await problemOf(await readmit(landing.fingerprint), 409);
    expect(problem.type).toBe('urn:sluice:problem:landing-file-changed');
    expect((await ctx.landings.get(landing.fingerprint))!.state).toBe('quarantined');
  });

  it('refuses to overwrite a file that landed at the same path meanwhile', async () => {
    const landing = await quarantined(drop, 'd.parquet', quarantine);
    await writeFile(landing.uri, 'a new delivery');
    const problem = await problemOf(await readmit(landing.fingerprint), 409);
    expect(problem.type).toBe('urn:sluice:problem:landing-path-occupied');
    expect(problem.detail).toContain(landing.uri);
    expect(await readFile(landing.uri, 'utf8')).toBe('a new delivery');
    expect(await exists(join(quarantine, 'd.parquet'))).toBe(true);
    expect((await ctx.landings.get(landing.fingerprint))!.state).toBe('quarantined');
  });

  it('a file that cannot be moved back answers 503 with the reason, and the ledger is as it was', async () => {
    const landing = await quarantined(drop, 'blocked/e.parquet', quarantine);
    const before = await ctx.landings.pathRecord(landing.source, landing.path);
    // A plain file where the folder should be: the move back cannot create it.
    await rm(join(drop, 'blocked'), { recursive: true });
    await writeFile(join(drop, 'blocked'), 'in the way');
    const problem = await problemOf(await readmit(landing.fingerprint), 503);
    expect(problem.type).toBe('urn:sluice:problem:landing-file-move-failed');
    expect(problem.detail).toMatch(/could not move .*e\.parquet back .*(EEXIST|ENOTDIR)/);
    expect(await ctx.landings.get(landing.fingerprint)).toEqual(landing);
    expect(await ctx.landings.pathRecord(landing.source, landing.path)).toEqual(before);
    expect(await exists(join(quarantine, 'blocked/e.parquet'))).toBe(true);
  });

  it('a file in none of its places is a clear 409', async () => {
    const landing = await quarantined(inPlace, 'f.parquet');
    await files.remove(landing.uri);
    const problem = await problemOf(await readmit(landing.fingerprint), 409);
    expect(problem.type).toBe('urn:sluice:problem:landing-file-missing');
    expect(problem.detail).toContain(landing.uri);
  });

  it('answers 404 for an unknown fingerprint, 409 naming the state of one not quarantined, 422 for a malformed one', async () => {
    const unknown = await problemOf(await readmit('0'.repeat(40)), 404);
    expect(unknown.detail).toContain('0'.repeat(40));

    const uri = join(drop, 'g.parquet');
    await writeFile(uri, 'a good file');
    const source = sourceId({ kind: 'fs', path: drop });
    const fingerprint = fsFingerprint(source, 'g.parquet', 11, 1);
    await ctx.landings.markReady({ fingerprint, source, path: 'g.parquet', uri, size: 11, mtimeMs: 1 });
    const ready = await problemOf(await readmit(fingerprint), 409);
    expect(ready.detail).toContain('is ready, not quarantined');

    const malformed = await problemOf(await readmit('not-a-fingerprint'), 422);
    expect(malformed.type).toBe('urn:sluice:problem:validation-failed');
  });

  it('needs jobs:write: a read-only key gets 403 and nothing changes; no key gets 401', async () => {
    const landing = await quarantined(drop, 'h.parquet', quarantine);
    const refused = await problemOf(await readmit(landing.fingerprint, ctx.keys.reader), 403);
    expect(refused.detail).toContain('jobs:write');
    expect((await ctx.call(`/v1/landings/${landing.fingerprint}/readmit`, { method: 'POST', key: null })).status).toBe(401);
    expect((await ctx.landings.get(landing.fingerprint))!.state).toBe('quarantined');
    expect(await exists(join(quarantine, 'h.parquet'))).toBe(true);
    expectNoApiKeyLeaked(ctx, { bodies: 5, logLines: 5 });
  });
});

describe('finding landings by path', () => {
  it('matches a part of the path within the source and state filters, and pages by cursor', async () => {
    for (const name of ['find/x-1.parquet', 'find/x-2.parquet', 'find/y-1.parquet']) {
      await quarantined(inPlace, name);
      // Newest first is by the time seen, in milliseconds.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const page = async (query: string) => (await (await ctx.call(`/v1/landings?${query}`)).json()) as { items: LandingRecord[]; nextCursor?: string };
    const first = await page('path=find%2Fx-&limit=1');
    expect(first.items.map((item) => item.path)).toEqual(['find/x-2.parquet']);
    const second = await page(`path=find%2Fx-&limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.items.map((item) => item.path)).toEqual(['find/x-1.parquet']);
    expect((await page('path=y-1&state=quarantined')).items.map((item) => item.path)).toEqual(['find/y-1.parquet']);
    expect((await page('path=y-1&state=done')).items).toEqual([]);
    expect((await page(`path=y-1&source=${encodeURIComponent(sourceId({ kind: 'fs', path: drop }))}`)).items).toEqual([]);
  });
});

/** The landing's events in the stream, oldest first, as the API would send them (flat fields). */
async function eventsOf(fingerprint: string): Promise<Array<Record<string, string>>> {
  const redis = new Redis(server.redisServer.url);
  try {
    const prefix = ctx.landings.keys.events;
    const entries = await redis.xrange(prefix, '-', '+');
    return entries
      .map(([, fields]) => Object.fromEntries(fields.flatMap((value, i) => (i % 2 === 0 ? [[value, fields[i + 1]!]] : []))))
      .filter((event) => event.fp === fingerprint);
  } finally {
    redis.disconnect();
  }
}
