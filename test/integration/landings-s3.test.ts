// Objects landing under an S3 prefix start jobs by themselves, once: a real MinIO, a real
// Redis, and the real local launcher running the stand-in app (so a run takes seconds).
// The first block drives the S3Source alone (cursor, full listing, marker, seen records of
// objects deleted before their marker, outage); the second runs whole Sluices with the watch
// role, whose door reads each object's Parquet footer by ranged reads: objects there are real
// Parquet unless a test means them to be bad.
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job } from '../../broker/core/job.ts';
import { S3SourceSchema } from '../../broker/core/landing-config.ts';
import { createS3Client, createS3Storage } from '../../broker/lake/s3-storage.ts';
import { pipelineRegistry, type PipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice, type Roles } from '../../broker/sluice.ts';
import type { ReadyLanding } from '../../watchers/landing-ledger.ts';
import { LandingLedger } from '../../watchers/landing-ledger.ts';
import { FULL_LISTING_EVERY, redisCursorStore, S3Source } from '../../watchers/s3-source.ts';
import { confineInputs, s3LandingRoots } from '../../broker/jobs/input-paths.ts';
import { LandingValidator, Superseded } from '../../watchers/landing-validator.ts';
import { MinioServer } from '../harness/minio-server.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

const BUCKET = 'landing';
/**
 * How long MinIO stays down in the outage tests: 30 s, longer than what one listing call
 * rides out with its own retries, so the source's backoff and the next listings are at work.
 */
const OUTAGE_MS = 30_000;

let minio: MinioServer;
let env: SluiceEnv;
let redis: Redis;
let client: S3Client;
let pipelines: PipelineRegistry;
const running: RunningSluice[] = [];
const sources: S3Source[] = [];
const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

beforeAll(async () => {
  minio = await MinioServer.start();
  await minio.createBucket(BUCKET);
  env = await createSluiceEnv({
    SLUICE_SPARK_APPS_DIR: await standInAppsDir(),
    SLUICE_AWAIT_POLL: '500ms',
    SLUICE_S3_ENDPOINT: minio.endpoint,
    SLUICE_S3_ACCESS_KEY_ID: minio.settings.accessKeyId!,
    SLUICE_S3_SECRET_ACCESS_KEY: minio.settings.secretAccessKey!,
  });
  redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  client = createS3Client(minio.settings);
  const watched = (prefix: string, ready: Record<string, unknown> = {}) => ({ kind: 's3', bucket: BUCKET, prefix, interval: '500ms', ready });
  const batch = { max_files: 3, max_wait: '1500ms' };
  pipelines = pipelineRegistry([
    standInPipeline('s3-landed', {}, { sources: [watched('drop/')], batch }),
    standInPipeline('s3-marked', {}, { sources: [watched('marked/', { rule: 'marker' })], batch }),
    standInPipeline('s3-outage', {}, { sources: [watched('outage/')], batch }),
    standInPipeline('s3-curated', {}, {
      sources: [watched('curated/')],
      batch,
      after: { on_success: 'archive', archive: `s3://${BUCKET}/archive/`, quarantine: `s3://${BUCKET}/quarantine/` },
    }),
  ]);
}, 120_000);

afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
  for (const sluice of running.splice(0)) await sluice.close();
});

afterAll(async () => {
  client?.destroy();
  redis?.disconnect();
  await env?.close();
  await minio?.destroy();
});

async function put(key: string, body: string | Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** A Parquet object of `rows` rows that fits the stand-in pipelines' input (x: long). */
const parquet = async (rows: number): Promise<Buffer> => (await parquetBytes({ rows }))[0]!;

async function remove(key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the door on S3', () => {
  it('gives no verdict on an object uploaded again with another size since its landing was ready (its footer offsets would be the old version\'s)', async () => {
    const validator = new LandingValidator(client);
    const key = 'door/rewritten.parquet';
    const v1 = await parquet(200);
    await put(key, v1);
    const landing = { uri: `s3://${BUCKET}/${key}`, size: v1.length };
    expect(await validator.check(landing, { columns: { x: 'long' } })).toBeUndefined();
    await put(key, await parquet(5_000)); // larger: the footer read lands mid-file
    await expect(validator.check(landing, { columns: { x: 'long' } })).rejects.toBeInstanceOf(Superseded);
    await put(key, Buffer.from('PAR1')); // shorter than the old footer's offset: the range is past its end
    await expect(validator.check(landing, { columns: { x: 'long' } })).rejects.toBeInstanceOf(Superseded);
  });
});

describe('S3Source', () => {
  let run = 0;

  /** A source over a prefix of its own, with a ledger of its own, collecting what it emits. */
  function sourceOver(prefix: string, ledgerPrefix: string, extra: { rule?: 'stable' | 'marker'; fullListingEvery?: number; client?: S3Client } = {}) {
    const ledger = new LandingLedger(redis, ledgerPrefix);
    const source = new S3Source({
      config: S3SourceSchema.parse({ kind: 's3', bucket: BUCKET, prefix, interval: '1h', ready: { rule: extra.rule ?? 'stable' } }),
      client: extra.client ?? client,
      ledger,
      cursor: redisCursorStore(redis, ledger.keys),
      log,
      fullListingEvery: extra.fullListingEvery ?? 3,
    });
    const emitted: ReadyLanding[] = [];
    const errors: Error[] = [];
    source.on('ready', (landing) => emitted.push(landing));
    source.on('error', (error) => errors.push(error));
    sources.push(source);
    return { source, ledger, emitted, errors };
  }

  it('emits each object once, carries on from its cursor after a restart, and finds a rewritten key below the cursor by the full listing', async () => {
    const prefix = `unit${++run}/`;
    const ledgerPrefix = `unit${run}:landings`;
    await put(`${prefix}a.parquet`, 'a');
    await put(`${prefix}c.parquet`, 'c');
    await put(`${prefix}b-notes.txt`, 'not included');
    await put(`${prefix}_temporary/x.parquet`, 'hidden folder');
    const first = sourceOver(prefix, ledgerPrefix);
    await first.source.start();
    expect(first.emitted.map((landing) => landing.uri).sort()).toEqual([`s3://${BUCKET}/${prefix}a.parquet`, `s3://${BUCKET}/${prefix}c.parquet`]);
    expect(first.emitted[0]!.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    await first.source.poll();
    expect(first.emitted).toHaveLength(2);
    expect(await redis.get(`${ledgerPrefix}:landings:s3-cursor:s3:${BUCKET}/${prefix}`)).toBe(`${prefix}c.parquet`);
    await first.source.close();

    // Restarted: the ledger's ready landings go to the batcher again (its claim drops
    // those already batched), and the listing starts after the cursor.
    const second = sourceOver(prefix, ledgerPrefix);
    await put(`${prefix}d.parquet`, 'd');
    await put(`${prefix}a.parquet`, 'a, rewritten');
    await second.source.start(); // tick 1: incremental
    // Landings the ledger still holds as ready are emitted again on full listings (for the
    // batcher, whose claim makes that harmless): count each fingerprint once.
    const fresh = () => [...new Map(second.emitted.map((landing) => [landing.fingerprint, landing])).values()].filter((landing) => !first.emitted.some((old) => old.fingerprint === landing.fingerprint));
    expect(fresh().map((landing) => landing.path)).toEqual([`${prefix}d.parquet`]);
    await second.source.poll(); // tick 2: incremental, still below the cursor
    expect(fresh().map((landing) => landing.path)).toEqual([`${prefix}d.parquet`]);
    await second.source.poll(); // tick 3: full listing
    expect(fresh().map((landing) => landing.path).sort()).toEqual([`${prefix}a.parquet`, `${prefix}d.parquet`]);
    const records = (await second.ledger.list({ limit: 10 })).items;
    expect(records.map((record) => [record.path, record.state]).sort()).toEqual([
      [`${prefix}a.parquet`, 'ready'],
      [`${prefix}a.parquet`, 'ready'],
      [`${prefix}c.parquet`, 'ready'],
      [`${prefix}d.parquet`, 'ready'],
    ]);
    expect(second.errors).toEqual([]);
  });

  it('takes a prefix without a trailing "/" as a folder: "sales" lists sales/ and not sales-eu/ or salesforce/, nor lets a job read them; EXPORT.PARQUET matches the default include', async () => {
    const base = `unit${++run}`;
    const ledgerPrefix = `unit${run}:landings`;
    for (const key of [`${base}/sales/a.parquet`, `${base}/sales/EXPORT.PARQUET`, `${base}/sales-eu/b.parquet`, `${base}/salesforce/export.parquet`]) await put(key, 'x');
    const { source, emitted } = sourceOver(`${base}/sales`, ledgerPrefix);
    await source.start();
    expect(emitted.map((landing) => landing.path).sort()).toEqual([`${base}/sales/EXPORT.PARQUET`, `${base}/sales/a.parquet`]);
    // A job's inputs are confined to the same folder.
    const roots = s3LandingRoots([{ sources: [S3SourceSchema.parse({ kind: 's3', bucket: BUCKET, prefix: `${base}/sales` })] }]);
    expect(confineInputs([`s3://${BUCKET}/${base}/sales/a.parquet`], [], 'inputs', roots)).toEqual([`s3://${BUCKET}/${base}/sales/a.parquet`]);
    for (const outside of [`s3://${BUCKET}/${base}/salesforce/export.parquet`, `s3://${BUCKET}/${base}/sales-eu/b.parquet`]) {
      expect(() => confineInputs([outside], [], 'inputs', roots), outside).toThrow('an input is outside the landing roots');
    }
  });

  it('refuses keys with an empty, "." or ".." part (S3 keeps them; no job\'s s3:// input can name them), logging each once, and takes in the rest', async () => {
    const prefix = `unit${++run}/`;
    await put(`${prefix}ok.parquet`, 'ok');
    // Listed as a producer joining "in/" and "/x.parquet" would have made them on S3 (MinIO
    // refuses such names, even as a listing's StartAfter: they sort before ok.parquet, so the
    // cursor stays a real key).
    const odd = [`${prefix}./y.parquet`, `${prefix}a/../z.parquet`, `${prefix}in//x.parquet`];
    const listing = {
      send: async (command: unknown) => {
        const answer = (await client.send(command as never)) as { Contents?: Array<Record<string, unknown>> };
        if (answer.Contents?.length) answer.Contents.unshift(...odd.map((Key) => ({ Key, Size: 10, ETag: '"e"', LastModified: new Date() })));
        return answer;
      },
    } as unknown as S3Client;
    const { source, emitted, errors } = sourceOver(prefix, `unit${run}:landings`, { client: listing });
    const warned: string[] = [];
    const warn = log.warn.bind(log);
    log.warn = ((fields: { key?: string }, message: string) => (fields.key && warned.push(fields.key), warn(fields, message))) as typeof log.warn;
    try {
      await source.start();
      await source.poll();
    } finally {
      log.warn = warn;
    }
    expect(emitted.map((landing) => landing.path)).toEqual([`${prefix}ok.parquet`]);
    expect(warned.sort()).toEqual([...odd].sort());
    expect(errors).toEqual([]);
  });

  it('marker rule: objects wait, recorded as seen, until a _SUCCESS at least as new is in their folder', async () => {
    const prefix = `unit${++run}/`;
    const { source, ledger, emitted } = sourceOver(prefix, `unit${run}:landings`, { rule: 'marker' });
    await put(`${prefix}old/_SUCCESS`, '');
    await sleep(1_100); // S3 keeps times to the millisecond at best; one second apart for AWS-like servers
    await put(`${prefix}d1/a.parquet`, 'a');
    await put(`${prefix}d1/b.parquet`, 'b');
    await put(`${prefix}old/late.parquet`, 'written after the old marker');
    await source.start();
    await source.poll();
    expect(emitted).toEqual([]);
    expect(source.waiting).toBe(3);
    expect((await ledger.list({ state: 'seen', limit: 10 })).items).toHaveLength(3);
    await put(`${prefix}d1/_SUCCESS`, '');
    await source.poll();
    expect(emitted.map((landing) => landing.path).sort()).toEqual([`${prefix}d1/a.parquet`, `${prefix}d1/b.parquet`]);
    expect(source.waiting).toBe(1);
    await put(`${prefix}old/_SUCCESS`, '');
    await source.poll();
    expect(emitted.map((landing) => landing.path)).toContain(`${prefix}old/late.parquet`);
    expect(emitted).toHaveLength(3);
  });

  /** The paths the ledger holds as seen (GET /v1/landings' waiting ones). */
  const seenLandings = async (ledger: LandingLedger): Promise<string[]> =>
    (await ledger.list({ state: 'seen', limit: 100 })).items.map((record) => record.path).sort();

  /** Ticks until the next is a full listing at the production cadence (poll() is the source's own tick). */
  async function pollUntilFullListingDue(source: S3Source, ticksSoFar: number): Promise<void> {
    for (let tick = ticksSoFar + 1; tick < FULL_LISTING_EVERY; tick += 1) await source.poll();
  }

  it('marker rule: an object deleted before its marker takes its seen landing along at the next full listing; the others keep waiting', async () => {
    const prefix = `unit${++run}/`;
    // The production cadence: every FULL_LISTING_EVERY-th tick lists the whole prefix; an
    // incremental listing (StartAfter the cursor) cannot see a key go.
    const { source, ledger, emitted, errors } = sourceOver(prefix, `unit${run}:landings`, { rule: 'marker', fullListingEvery: FULL_LISTING_EVERY });
    await put(`${prefix}d1/a.parquet`, 'a');
    await put(`${prefix}d1/b.parquet`, 'b');
    await source.start(); // tick 1: full (no cursor yet)
    expect(await seenLandings(ledger)).toEqual([`${prefix}d1/a.parquet`, `${prefix}d1/b.parquet`]);
    await remove(`${prefix}d1/a.parquet`); // an aborted upload cleaned up, say
    await pollUntilFullListingDue(source, 1);
    expect(await seenLandings(ledger)).toHaveLength(2);
    await source.poll(); // tick FULL_LISTING_EVERY: full
    expect(await seenLandings(ledger)).toEqual([`${prefix}d1/b.parquet`]);
    expect([...(await ledger.seenPaths(source.id)).keys()]).toEqual([`${prefix}d1/b.parquet`]);
    expect(source.waiting).toBe(1);
    await sleep(1_100); // the marker no older than b, on AWS-like servers too
    await put(`${prefix}d1/_SUCCESS`, '');
    await source.poll();
    expect(emitted.map((landing) => landing.path)).toEqual([`${prefix}d1/b.parquet`]);
    expect(await seenLandings(ledger)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('marker rule: when the marker comes before the next full listing, an object deleted or replaced meanwhile is not made ready as it was seen', async () => {
    const prefix = `unit${++run}/`;
    const { source, ledger, emitted, errors } = sourceOver(prefix, `unit${run}:landings`, { rule: 'marker', fullListingEvery: FULL_LISTING_EVERY });
    await put(`${prefix}d1/gone.parquet`, 'gone');
    await put(`${prefix}d1/kept.parquet`, 'kept');
    await put(`${prefix}d1/redone.parquet`, 'first version');
    await put(`${prefix}d1/sub/other.parquet`, 'another folder');
    await source.start(); // tick 1: full
    expect(source.waiting).toBe(4);
    await remove(`${prefix}d1/gone.parquet`);
    // Rewritten under the same key: it sorts below the cursor, so no incremental listing sees it.
    await put(`${prefix}d1/redone.parquet`, 'second version, longer');
    await sleep(1_100); // the marker no older than the objects, on AWS-like servers too
    await put(`${prefix}d1/_SUCCESS`, '');
    await source.poll(); // tick 2: incremental, long before the next full listing
    expect(emitted.map((landing) => landing.path).sort()).toEqual([`${prefix}d1/kept.parquet`, `${prefix}d1/redone.parquet`]);
    // The version emitted is the one there now, not the one seen first.
    expect(emitted.find((landing) => landing.path.endsWith('redone.parquet'))?.size).toBe('second version, longer'.length);
    // The deleted one's seen record went with it; the sub-folder still waits for its own marker.
    expect(await seenLandings(ledger)).toEqual([`${prefix}d1/sub/other.parquet`]);
    expect(source.waiting).toBe(1);
    expect(errors).toEqual([]);
  });

  it('marker rule: an object deleted while no source ran loses its seen landing at the next full listing, so a later restart does not make it ready when a marker comes', async () => {
    const prefix = `unit${++run}/`;
    const ledgerPrefix = `unit${run}:landings`;
    const first = sourceOver(prefix, ledgerPrefix, { rule: 'marker', fullListingEvery: FULL_LISTING_EVERY });
    await put(`${prefix}d1/gone.parquet`, 'gone');
    await put(`${prefix}d2/kept.parquet`, 'kept');
    await first.source.start();
    expect(await seenLandings(first.ledger)).toEqual([`${prefix}d1/gone.parquet`, `${prefix}d2/kept.parquet`]);
    await first.source.close();
    await remove(`${prefix}d1/gone.parquet`);

    // Restarted: it carries on from its cursor, its waiting objects read from the ledger.
    const second = sourceOver(prefix, ledgerPrefix, { rule: 'marker', fullListingEvery: FULL_LISTING_EVERY });
    await second.source.start(); // tick 1: incremental
    expect(second.source.waiting).toBe(2);
    await pollUntilFullListingDue(second.source, 1);
    await second.source.poll(); // full
    expect(await seenLandings(second.ledger)).toEqual([`${prefix}d2/kept.parquet`]);
    expect(second.source.waiting).toBe(1);
    await second.source.close();

    // A marker for d1 comes later (a producer's rerun that wrote nothing else): no landing of
    // d1 is left to wait for it, so a restart has nothing of d1 to make ready.
    await sleep(1_100);
    await put(`${prefix}d1/_SUCCESS`, '');
    const third = sourceOver(prefix, ledgerPrefix, { rule: 'marker', fullListingEvery: FULL_LISTING_EVERY });
    await third.source.start();
    expect(third.source.waiting).toBe(1);
    expect(third.emitted).toEqual([]);
    expect(await seenLandings(third.ledger)).toEqual([`${prefix}d2/kept.parquet`]);
    expect([...first.errors, ...second.errors, ...third.errors]).toEqual([]);
  });

  it('survives MinIO going away: the failed listings are reported and backed off, and afterwards every object is emitted exactly once', async () => {
    const prefix = `unit${++run}/`;
    // One attempt per call, so the outage reaches the source rather than the client's retries.
    const impatient = createS3Client(minio.settings, { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 100 });
    try {
      const { source, ledger, emitted, errors } = sourceOver(prefix, `unit${run}:landings`, { client: impatient });
      // As the batcher does: a landing goes into a batch by a claim, which a re-emit cannot win again.
      const claimed: string[] = [];
      source.on('ready', (landing) => void ledger.claimForBatch([landing.fingerprint], `b-${landing.fingerprint}`).then((won) => claimed.push(...won.map(() => landing.path))));
      await put(`${prefix}before.parquet`, 'before');
      await source.start();
      expect(emitted.map((landing) => landing.path)).toEqual([`${prefix}before.parquet`]);
      const outage = minio.restart(OUTAGE_MS);
      await sleep(1_000);
      await source.poll();
      await source.poll();
      await source.poll(); // a full listing that fails, so the next one is full again
      expect(errors.length).toBeGreaterThanOrEqual(3);
      await outage;
      await put(`${prefix}after.parquet`, 'after');
      await source.poll();
      await source.poll();
      await source.poll();
      expect(new Set(emitted.map((landing) => landing.path))).toEqual(new Set([`${prefix}after.parquet`, `${prefix}before.parquet`]));
      expect(claimed.sort()).toEqual([`${prefix}after.parquet`, `${prefix}before.parquet`]);
    } finally {
      impatient.destroy();
    }
  }, 90_000);
});

describe('a watched S3 prefix', () => {
  async function start(roles: Roles): Promise<RunningSluice> {
    const sluice = await startSluice(env.config(), roles, { pipelines });
    running.push(sluice);
    return sluice;
  }

  const allJobs = async (sluice: RunningSluice, pipeline: string): Promise<Job[]> => (await sluice.jobs.list({ pipeline, limit: 200 })).items;
  const finished = (sluice: RunningSluice, id: string) =>
    waitFor('the job to finish', async () => {
      const job = await sluice.jobs.get(id);
      return isFinal(job.state) ? job : undefined;
    }, 60_000);

  it('turns uploaded objects into one job with their s3:// uris, starts none after a restart, and a new one for a rewritten key', async () => {
    let sluice = await start({ api: false, worker: true, watch: true });
    // Made first, then uploaded together: made one by one (a Python process each), the three
    // arrived seconds apart on a busy machine, past the batch's 1.5 s wait, in two batches.
    const bodies = await parquetBytes({ rows: 1 }, { rows: 2 }, { rows: 3 });
    await Promise.all(['a', 'b', 'c'].map((name, i) => put(`drop/${name}.parquet`, bodies[i]!)));
    const [job] = await waitFor('a job from the objects', async () => {
      const jobs = await allJobs(sluice, 's3-landed');
      return jobs.length > 0 ? jobs : undefined;
    }, 30_000);
    expect([...job!.inputs].sort()).toEqual(['a', 'b', 'c'].map((name) => `s3://${BUCKET}/drop/${name}.parquet`));
    expect(job!.labels).toEqual({ trigger: 'landing' });
    expect((await finished(sluice, job!.id)).state).toBe('succeeded');

    // Restarted: the cursor and the ledger know every object; wait past a full listing (10 × 500 ms).
    await sluice.close();
    running.splice(running.indexOf(sluice), 1);
    sluice = await start({ api: false, worker: true, watch: true });
    await sleep(7_000);
    expect(await allJobs(sluice, 's3-landed')).toHaveLength(1);

    // The same key with new content has a new ETag: a new landing, a new job.
    await put('drop/b.parquet', await parquet(20));
    const second = await waitFor('a job for the rewritten object', async () => {
      const jobs = await allJobs(sluice, 's3-landed');
      return jobs.length === 2 ? jobs[0] : undefined;
    }, 30_000);
    expect(second!.inputs).toEqual([`s3://${BUCKET}/drop/b.parquet`]);
    expect((await finished(sluice, second!.id)).state).toBe('succeeded');
  });

  it('marker rule: waits for _SUCCESS, then starts one job for the folder', async () => {
    const sluice = await start({ api: false, worker: true, watch: true });
    await put('marked/2024-06-01/part-0.parquet', await parquet(1));
    await put('marked/2024-06-01/part-1.parquet', await parquet(2));
    await sleep(3_000);
    expect(await allJobs(sluice, 's3-marked')).toHaveLength(0);
    await put('marked/2024-06-01/_SUCCESS', '');
    const [job] = await waitFor('a job once the marker is there', async () => {
      const jobs = await allJobs(sluice, 's3-marked');
      return jobs.length > 0 ? jobs : undefined;
    }, 30_000);
    expect([...job!.inputs].sort()).toEqual([`s3://${BUCKET}/marked/2024-06-01/part-0.parquet`, `s3://${BUCKET}/marked/2024-06-01/part-1.parquet`]);
    await sleep(2_000);
    expect(await allJobs(sluice, 's3-marked')).toHaveLength(1);
  });

  it(`MinIO stopped for ${OUTAGE_MS / 1000} s during listing: afterwards a new object is picked up, one job per object set, no duplicate`, async () => {
    const sluice = await start({ api: false, worker: true, watch: true });
    await put('outage/one.parquet', await parquet(1));
    const [first] = await waitFor('a job before the outage', async () => {
      const jobs = await allJobs(sluice, 's3-outage');
      return jobs.length > 0 ? jobs : undefined;
    }, 30_000);
    expect((await finished(sluice, first!.id)).state).toBe('succeeded');
    await minio.restart(OUTAGE_MS);
    await put('outage/two.parquet', await parquet(2));
    const jobs = await waitFor('a job for the object landed after the outage', async () => {
      const current = await allJobs(sluice, 's3-outage');
      return current.length >= 2 ? current : undefined;
    }, 120_000);
    // Past a full listing (and the source's backoff): still one job per object set.
    await sleep(8_000);
    const all = await allJobs(sluice, 's3-outage');
    expect(all).toHaveLength(2);
    expect(all.map((job) => job.inputs)).toEqual([[`s3://${BUCKET}/outage/two.parquet`], [`s3://${BUCKET}/outage/one.parquet`]]);
    expect(jobs[0]!.id).toBe(all[0]!.id);
    expect((await finished(sluice, all[0]!.id)).state).toBe('succeeded');
  }, 240_000);

  it('quarantines a wrong-typed object at the door (ranged reads of its footer) and the object a data failure names later; re-batches the others and archives them on S3', async () => {
    const sluice = await start({ api: false, worker: true, watch: true });
    const [good1, good2, corrupt, wrong] = await parquetBytes({ rows: 1 }, { rows: 2 }, { rows: 3 }, { rows: 3, x: 'string' });
    await put('curated/good-1.parquet', good1!);
    await put('curated/good-2.parquet', good2!);
    // A footer the door lets through, whose name makes the stand-in app fail it as Spark would bad pages.
    await put('curated/corrupt.parquet', corrupt!);
    await put('curated/wrong-type.parquet', wrong!);
    const jobs = await waitFor('a failed job and a succeeded one', async () => {
      const current = await allJobs(sluice, 's3-curated');
      return current.some((job) => job.state === 'failed') && current.some((job) => isFinal(job.state) && job.state === 'succeeded') ? current : undefined;
    }, 90_000);
    const failed = jobs.find((job) => job.state === 'failed')!;
    expect(failed.failure?.class).toBe('data');
    // The wrong-typed object never joined a batch.
    expect(jobs.flatMap((job) => job.inputs)).not.toContain(`s3://${BUCKET}/curated/wrong-type.parquet`);
    expect(jobs.find((job) => job.state === 'succeeded')!.inputs.sort()).toEqual([`s3://${BUCKET}/curated/good-1.parquet`, `s3://${BUCKET}/curated/good-2.parquet`]);
    const bucket = createS3Storage(`s3://${BUCKET}`, minio.settings);
    try {
      // An S3 landing keeps its key below the archive or quarantine prefix; the watched prefix is left empty.
      const moved = [
        'archive/curated/good-1.parquet',
        'archive/curated/good-2.parquet',
        'quarantine/curated/corrupt.parquet',
        'quarantine/curated/corrupt.parquet.reason.txt',
        'quarantine/curated/wrong-type.parquet',
        'quarantine/curated/wrong-type.parquet.reason.txt',
      ];
      // The finish work moves the objects one after another: waited for until every one has
      // moved (it once looked after good-2 only and found good-1 still on its way).
      const listing = async () => [...(await bucket.list('archive/')), ...(await bucket.list('quarantine/'))].map((object) => object.key).sort();
      const keys = await waitFor('the objects to move', async () => {
        const listed = await listing();
        return moved.every((key) => listed.includes(key)) ? listed : undefined;
      }, 30_000).catch(async () => listing());
      expect(keys).toEqual(moved);
      expect((await bucket.read('quarantine/curated/corrupt.parquet.reason.txt'))!.toString()).toContain(`s3://${BUCKET}/curated/corrupt.parquet: not a Parquet file`);
      expect((await bucket.read('quarantine/curated/wrong-type.parquet.reason.txt'))!.toString()).toContain(`input s3://${BUCKET}/curated/wrong-type.parquet: column "x" is string, expected long`);
      expect(await bucket.read('archive/curated/good-1.parquet')).toEqual(good1);
      expect(await bucket.list('curated/')).toEqual([]);
    } finally {
      bucket.close();
    }
  }, 180_000);
});
