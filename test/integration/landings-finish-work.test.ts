// The finish work of landing jobs against what a producer and a crash do meanwhile — real
// Redis, real folders, a real MinIO, the real local launcher with the stand-in app:
// - only the landing's own file is archived, deleted or quarantined: a corrected file put at
//   the same path while the job ran is another landing's and stays where it is;
// - a landing batched again after a data failure and a re-admit makes a new job, not a replay
//   of the failed one;
// - a job that ends before its batch got its job id (the watcher died between submit and
//   assignJob) still finishes its landings;
// - archive and quarantine copies never overwrite one another, and re-admit brings back the
//   landing's own quarantined file.
// The test plays the watcher with a real Batcher (real ledger, real jobs.submit), so that a
// crash can be put exactly between submit and assignJob.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { access, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceId } from '../../broker/core/landing-config.ts';
import { isFinal } from '../../broker/core/job.ts';
import { createS3Client } from '../../broker/lake/s3-storage.ts';
import { pipelineRegistry, type PipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { Batcher } from '../../watchers/batcher.ts';
import { fsFingerprint, s3Fingerprint } from '../../watchers/fingerprint.ts';
import { LANDING_TRIGGER, LandingFinalizer } from '../../watchers/landing-finalizer.ts';
import { LandingFiles } from '../../watchers/landing-files.ts';
import type { LandingLedger, LandingRecord } from '../../watchers/landing-ledger.ts';
import { quarantineLandings } from '../../watchers/quarantine.ts';
import { readmitLanding } from '../../watchers/readmit.ts';
import { jobRecord } from '../harness/job-record.ts';
import { MinioServer } from '../harness/minio-server.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

const BUCKET = 'finish';
const log = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
let env: SluiceEnv;
let minio: MinioServer;
let s3: S3Client;
let files: LandingFiles;
let sluice: RunningSluice;
let pipelines: PipelineRegistry;
let archive: string;
let quarantine: string;
const folder = (name: string) => join(env.landing, name);
const exists = (path: string) => access(path).then(() => true, () => false);

beforeAll(async () => {
  minio = await MinioServer.start();
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  s3 = createS3Client(minio.settings);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  files = new LandingFiles(s3);
  archive = join(env.dir, 'archive');
  quarantine = join(env.dir, 'quarantine');
  for (const name of ['rewrite', 'fixable', 'crash', 'daily', 'bad']) await mkdir(folder(name), { recursive: true });
  const after = (name: string, onSuccess = 'archive') => ({ on_success: onSuccess, archive: join(archive, name), quarantine: join(quarantine, name) });
  // No pipeline watches here (the test is the watcher), but re-admit needs the source named.
  const source = (name: string) => ({ sources: [{ kind: 'fs', path: folder(name) }] });
  pipelines = pipelineRegistry([
    standInPipeline('rewrite', {}, { ...source('rewrite'), after: after('rewrite') }),
    standInPipeline('fixable', {}, { ...source('fixable'), after: after('fixable') }),
    standInPipeline('crash', {}, { ...source('crash'), after: after('crash') }),
    standInPipeline('daily', {}, { ...source('daily'), after: after('daily') }),
    standInPipeline('bad', {}, { ...source('bad'), after: after('bad') }),
    standInPipeline('s3-drop', {}, { sources: [{ kind: 's3', bucket: BUCKET, prefix: 'in/' }], after: { on_success: 'delete' } }),
    standInPipeline('s3-archive', {}, { sources: [{ kind: 's3', bucket: BUCKET, prefix: 'arc/' }], after: { on_success: 'archive', archive: `s3://${BUCKET}/archived/` } }),
  ]);
  sluice = await startSluice(env.config(), { api: false, worker: true, watch: false }, { pipelines });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
  s3?.destroy();
  await env?.close();
  await minio?.destroy();
});

/** Writes `name` into the pipeline's folder and records it ready, as the fs source does; returns its landing. */
async function landFile(pipeline: string, name: string, content: Buffer | string): Promise<LandingRecord> {
  const uri = join(folder(pipeline), name);
  await writeFile(uri, content);
  const stats = await stat(uri);
  const source = sourceId({ kind: 'fs', path: folder(pipeline) });
  const fingerprint = fsFingerprint(source, name, stats.size, stats.mtimeMs);
  await sluice.landings.markReady({ fingerprint, source, path: name, uri, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), ino: stats.ino });
  return (await sluice.landings.get(fingerprint))!;
}

/** A batcher of one file per batch, submitting through jobs.submit() as the watch role does; `ledger` may stand in for the real one. */
function batcher(pipeline: string, parameters: Record<string, string | number | boolean> = {}, ledger: LandingLedger = sluice.landings): Batcher {
  return new Batcher({
    pipeline,
    limits: { max_files: 1, max_bytes: 1 << 30, max_wait: 60_000 },
    ledger,
    log,
    submit: async (batch) => {
      const { job } = await sluice.jobs.submit(
        { pipeline, inputs: batch.files.map((file) => file.uri), parameters, labels: { trigger: LANDING_TRIGGER } },
        { idempotencyKey: batch.idempotencyKey, scope: 'watcher' },
      );
      return { jobId: job.id };
    },
  });
}

const add = (b: Batcher, landing: LandingRecord) => b.add({ fingerprint: landing.fingerprint, source: landing.source, uri: landing.uri, size: landing.size });

const landingState = (fingerprint: string, state: string, timeoutMs = 30_000) =>
  waitFor(`landing ${fingerprint} ${state}`, async () => {
    const landing = await sluice.landings.get(fingerprint);
    return landing?.state === state ? landing : undefined;
  }, timeoutMs);

const finalJob = (id: string) =>
  waitFor(`job ${id} final`, async () => {
    const job = await sluice.jobs.get(id);
    return isFinal(job.state) ? job : undefined;
  }, 60_000);

describe('finish work of a landing job', () => {
  it('archives only the version its job read: a corrected file written at the same path while the job runs stays where it is', async () => {
    const [first, corrected] = await parquetBytes({ rows: 4 }, { rows: 40 });
    const landing = await landFile('rewrite', 'f.parquet', first!);
    await add(batcher('rewrite', { seconds: 3 }), landing);
    const { jobId } = (await sluice.landings.get(landing.fingerprint))!;
    await waitFor('job running', async () => ((await sluice.jobs.get(jobId!)).state === 'running' ? true : undefined), 30_000);
    // The producer puts a corrected file in place: a new landing of its own (a new job would take it).
    await writeFile(landing.uri, corrected!);
    expect((await finalJob(jobId!)).state).toBe('succeeded');
    const done = await landingState(landing.fingerprint, 'done');
    expect(done.reason).toContain('replaced by a newer version');
    // The corrected file is still where it landed; nothing of it was archived.
    expect((await stat(landing.uri)).size).toBe(corrected!.length);
    expect(await exists(join(archive, 'rewrite', 'f.parquet'))).toBe(false);
  }, 90_000);

  it('a landing re-admitted after a data failure is in a new job, and ends that job quarantined again rather than batched under the old one', async () => {
    const landing = await landFile('fixable', 'corrupt-a.parquet', (await parquetBytes({ rows: 4 }))[0]!);
    const b = batcher('fixable');
    await add(b, landing);
    const first = (await sluice.landings.get(landing.fingerprint))!.jobId!;
    expect((await finalJob(first)).failure?.class).toBe('data');
    await landingState(landing.fingerprint, 'quarantined');
    expect(await exists(join(quarantine, 'fixable', 'corrupt-a.parquet'))).toBe(true);

    // The operator re-admits it (not really fixed: its name still fails the stand-in).
    const readmitted = await readmitLanding({ ledger: sluice.landings, files, pipelines: pipelines.list() }, landing.fingerprint, 'test');
    expect(readmitted.state).toBe('ready');
    await add(b, readmitted);
    const second = (await sluice.landings.get(landing.fingerprint))!.jobId!;
    expect(second).not.toBe(first);
    expect((await finalJob(second)).failure?.class).toBe('data');
    await landingState(landing.fingerprint, 'quarantined');
    expect((await sluice.jobs.list({ pipeline: 'fixable', limit: 10 })).items).toHaveLength(2);
  }, 90_000);

  it('a job that ends before the watcher wrote its job id on the batch (it died after submit) still finishes its landings; recover() then finds nothing', async () => {
    const landing = await landFile('crash', 'a.parquet', (await parquetBytes({ rows: 4 }))[0]!);
    let killed = false;
    // assignJob never happens in this process: it "dies" right after submit.
    const dying = new Proxy(sluice.landings, {
      get(target, key) {
        if (key === 'assignJob') {
          return async () => {
            killed = true;
            throw new Error('process killed after submit, before assignJob');
          };
        }
        const value = (target as unknown as Record<string | symbol, unknown>)[key];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await add(batcher('crash', {}, dying), landing);
    expect(killed).toBe(true);
    const [job] = (await sluice.jobs.list({ pipeline: 'crash', limit: 5 })).items;
    expect((await finalJob(job!.id)).state).toBe('succeeded');
    const done = await landingState(landing.fingerprint, 'done');
    expect(done.jobId).toBe(job!.id);
    expect(await exists(join(archive, 'crash', 'a.parquet'))).toBe(true);
    expect(await exists(landing.uri)).toBe(false);
    // Another process's recover(), a minute later: nothing left open, no second job.
    expect(await batcher('crash').recover(0)).toEqual([]);
    expect((await sluice.jobs.list({ pipeline: 'crash', limit: 5 })).items).toHaveLength(1);
  }, 90_000);

  it('never overwrites an archived copy: a file of the same path archived the next day goes beside the first, each landing recording where', async () => {
    const finalizer = new LandingFinalizer(sluice.landings, pipelines, log, files);
    const archived: string[] = [];
    for (const [day, content] of [['day 1', 'monday orders'], ['day 2', 'tuesday orders!']] as const) {
      const landing = await landFile('daily', 'orders.parquet', content);
      await sluice.landings.claimForBatch([landing.fingerprint], `daily-${day}`, { pipeline: 'daily' });
      const jobId = `job-daily-${day.replace(' ', '-')}`;
      await sluice.landings.assignJob(`daily-${day}`, jobId);
      await finalizer.finalize({ ...jobRecord(jobId, 'daily', 'succeeded'), labels: { trigger: LANDING_TRIGGER } });
      const done = (await sluice.landings.get(landing.fingerprint))!;
      expect(done.state).toBe('done');
      archived.push(done.movedTo!);
    }
    expect(archived[0]).toBe(join(archive, 'daily', 'orders.parquet'));
    expect(archived[1]).toMatch(/orders\.[0-9a-f]{12}\.parquet$/);
    expect(await readFile(archived[0]!, 'utf8')).toBe('monday orders');
    expect(await readFile(archived[1]!, 'utf8')).toBe('tuesday orders!');
  });

  it('never overwrites a quarantined copy or its reason; re-admitting the first bad file brings back the first, not its namesake', async () => {
    const deps = { ledger: sluice.landings, files };
    const after = pipelines.get('bad')!.after;
    // As the source does when a file leaves its folder, the path is forgotten after each quarantine.
    const first = await landFile('bad', 'x.parquet', 'first bad file');
    await quarantineLandings(deps, after, [first], 'reason one', 'refused at the door');
    await sluice.landings.forgetPath(first.source, first.path, first.fingerprint);
    const second = await landFile('bad', 'x.parquet', 'second bad file, another size');
    await quarantineLandings(deps, after, [second], 'reason two', 'refused at the door');
    await sluice.landings.forgetPath(second.source, second.path, second.fingerprint);
    const held = join(quarantine, 'bad');
    expect((await readdir(held)).sort()).toHaveLength(4);
    const [firstHeld, secondHeld] = [(await sluice.landings.get(first.fingerprint))!.movedTo!, (await sluice.landings.get(second.fingerprint))!.movedTo!];
    expect(firstHeld).toBe(join(held, 'x.parquet'));
    expect(secondHeld).not.toBe(firstHeld);
    expect(await readFile(firstHeld, 'utf8')).toBe('first bad file');
    expect(await readFile(`${firstHeld}.reason.txt`, 'utf8')).toContain('reason one');
    expect(await readFile(`${secondHeld}.reason.txt`, 'utf8')).toContain('reason two');

    await readmitLanding({ ledger: sluice.landings, files, pipelines: pipelines.list() }, first.fingerprint, 'test');
    expect(await readFile(first.uri, 'utf8')).toBe('first bad file');
    // The second stays quarantined, with its reason.
    expect(await readFile(secondHeld, 'utf8')).toBe('second bad file, another size');
    expect(await exists(`${secondHeld}.reason.txt`)).toBe(true);
  });
});

describe('finish work of a landing job on S3', () => {
  /** Puts `key` and records it ready as the S3 source does (size and ETag). */
  async function landObject(pipeline: string, key: string, body: string): Promise<LandingRecord> {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const source = sourceId(pipelines.get(pipeline)!.sources[0]!);
    const fingerprint = s3Fingerprint(source, key, body.length, put.ETag!);
    await sluice.landings.markReady({ fingerprint, source, path: key, uri: `s3://${BUCKET}/${key}`, size: body.length, mtimeMs: Date.now(), etag: put.ETag! });
    return (await sluice.landings.get(fingerprint))!;
  }

  async function succeed(pipeline: string, landing: LandingRecord): Promise<void> {
    await sluice.landings.claimForBatch([landing.fingerprint], `b-${landing.fingerprint}`, { pipeline });
    await sluice.landings.assignJob(`b-${landing.fingerprint}`, `job-${landing.fingerprint}`);
    await new LandingFinalizer(sluice.landings, pipelines, log, files).finalize({ ...jobRecord(`job-${landing.fingerprint}`, pipeline, 'succeeded'), labels: { trigger: LANDING_TRIGGER } });
  }

  const body = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).then((object) => object.Body!.transformToString(), () => undefined));

  it('on_success delete leaves a corrected object put at the same key (another ETag) in place', async () => {
    const landing = await landObject('s3-drop', 'in/f.parquet', 'first version');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/f.parquet', Body: 'corrected version' }));
    await succeed('s3-drop', landing);
    expect(await body('in/f.parquet')).toBe('corrected version');
    expect((await sluice.landings.get(landing.fingerprint))!.reason).toContain('replaced by a newer version');
  });

  it('archive neither copies nor removes a corrected object, and archives and removes its own', async () => {
    const replaced = await landObject('s3-archive', 'arc/g.parquet', 'first version');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'arc/g.parquet', Body: 'corrected version' }));
    await succeed('s3-archive', replaced);
    expect(await body('arc/g.parquet')).toBe('corrected version');
    expect(await body('archived/arc/g.parquet')).toBeUndefined();

    const own = await landObject('s3-archive', 'arc/h.parquet', 'its own version');
    await succeed('s3-archive', own);
    expect(await body('archived/arc/h.parquet')).toBe('its own version');
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'arc/h.parquet' }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});
