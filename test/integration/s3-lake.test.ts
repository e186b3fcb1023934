// The S3 lake against a real MinIO (built by scripts/setup, started by test/harness): the
// LakeStorage contract the fs lake keeps, multipart uploads, committed runs, riding out a
// MinIO restart, and errors that never show a credential.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OperationalError } from '../../broker/core/errors.ts';
import type { RunManifest } from '../../broker/core/manifest.ts';
import { readCommittedRun } from '../../broker/lake/manifests.ts';
import { openLake } from '../../broker/lake/open-lake.ts';
import { createS3Client, createS3Storage, type S3LakeStorage, type S3Settings } from '../../broker/lake/s3-storage.ts';
import { MinioServer } from '../harness/minio-server.ts';
import { sampleManifest } from '../harness/sample-manifest.ts';

const BUCKET = 'lake';
const MiB = 1024 * 1024;

let minio: MinioServer;
const opened: S3LakeStorage[] = [];
let counter = 0;

/** A storage on a fresh prefix of the bucket, so tests do not see each other's objects. */
function lakeAt(prefix = `t${++counter}`, settings: S3Settings = minio.settings): S3LakeStorage {
  const storage = createS3Storage(`s3://${BUCKET}/${prefix}`, settings);
  opened.push(storage);
  return storage;
}

beforeAll(async () => {
  minio = await MinioServer.start();
  await minio.createBucket(BUCKET);
});
afterEach(() => opened.splice(0).forEach((storage) => storage.close()));
afterAll(async () => {
  await minio?.destroy();
});

const manifest = (jobId: string, attempt: number): RunManifest => sampleManifest(jobId, attempt, `s3a://${BUCKET}/runs`);

/** `size` bytes of a repeatable pattern, as a stream of 1 MiB chunks (never all in memory). */
function generated(size: number): { stream: Readable; sha256: string } {
  const chunk = createHash('sha256').update('sluice').digest();
  const block = Buffer.alloc(MiB, chunk);
  const hash = createHash('sha256');
  for (let done = 0; done < size; done += MiB) hash.update(block.subarray(0, Math.min(MiB, size - done)));
  async function* chunks() {
    for (let done = 0; done < size; done += MiB) yield block.subarray(0, Math.min(MiB, size - done));
  }
  return { stream: Readable.from(chunks()), sha256: hash.digest('hex') };
}

describe('s3 lake on MinIO', () => {
  it('writes, reads, lists by prefix and deletes under its own prefix only', async () => {
    const lake = lakeAt('rt');
    const neighbour = lakeAt('rt2'); // a string prefix of it must not leak in: "rt/" is not "rt2/"
    await neighbour.write('orders/x', 'not mine');
    await lake.write('orders/run=j1-1/part-0.parquet', Buffer.from('12345'));
    await lake.write('orders/run=j1-1/_manifest.json', '{}');
    await lake.write('orders/run=j1-10/part-0.parquet', '1');
    await lake.write('other/x', '1');

    expect((await lake.read('orders/run=j1-1/part-0.parquet'))?.toString()).toBe('12345');
    expect(lake.rootUri).toBe(`s3://${BUCKET}/rt`);
    expect(lake.uri('orders/run=j1-1')).toBe(`s3a://${BUCKET}/rt/orders/run=j1-1`);
    expect(await lake.list('orders/run=j1-1/')).toEqual([
      { key: 'orders/run=j1-1/_manifest.json', size: 2 },
      { key: 'orders/run=j1-1/part-0.parquet', size: 5 },
    ]);
    expect(await lake.list('orders/run=j1-1')).toHaveLength(3);
    expect(await lake.list('')).toHaveLength(4);
    expect(await lake.list('missing/')).toEqual([]);

    await lake.write('orders/run=j1-1/_manifest.json', '{"v":2}'); // replaced whole
    expect((await lake.read('orders/run=j1-1/_manifest.json'))?.toString()).toBe('{"v":2}');

    await lake.delete('orders/run=j1-1/');
    expect((await lake.list('')).map((o) => o.key)).toEqual(['orders/run=j1-10/part-0.parquet', 'other/x']);
    await lake.delete('orders/run=nothing/');
    await expect(lake.delete('')).rejects.toThrow(/whole lake/);
    expect(await neighbour.list('')).toEqual([{ key: 'orders/x', size: 8 }]);
  });

  it('reads a missing key as undefined', async () => {
    expect(await lakeAt().read('orders/nothing.json')).toBeUndefined();
  });

  it('refuses keys that would leave the lake', async () => {
    const lake = lakeAt();
    for (const key of ['../outside', 'a/../../b', '/abs', 'a//b', '']) {
      await expect(lake.write(key, 'x')).rejects.toThrow(/not a relative path inside the lake/);
    }
    await expect(lake.list('../')).rejects.toThrow(/inside the lake/);
  });

  it('lists and deletes past one page (1,000 keys)', async () => {
    const lake = lakeAt();
    const keys = Array.from({ length: 1_005 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => lake.write(key, 'x')));
    expect((await lake.list('many/')).map((o) => o.key)).toEqual(keys);
    await lake.delete('many/');
    expect(await lake.list('many/')).toEqual([]);
  });

  it('streams a 40 MB object as a multipart upload', async () => {
    const lake = lakeAt();
    const size = 40 * MiB + 12_345;
    const { stream, sha256 } = generated(size);
    await lake.upload('big/part-0.parquet', stream, { partSize: 5 * MiB, size });
    expect(await lake.list('big/')).toEqual([{ key: 'big/part-0.parquet', size }]);
    const client = createS3Client(minio.settings);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${lake.prefix}/big/part-0.parquet` }));
      expect(head.ETag).toMatch(/-9"$/); // a multipart ETag ends in its part count: 8 full 5 MiB parts and the rest
    } finally {
      client.destroy();
    }
    const body = await lake.read('big/part-0.parquet');
    expect(createHash('sha256').update(body!).digest('hex')).toBe(sha256);
  });

  it('reads committed runs through the S3 storage, opened by openLake', async () => {
    const lake = openLake(`s3://${BUCKET}/runs`, minio.settings) as S3LakeStorage;
    opened.push(lake);
    expect(await readCommittedRun(lake, 'orders', 'j1', 1)).toBeUndefined();
    await lake.write('orders/run=j1-1/part-0.parquet', 'data');
    expect(await readCommittedRun(lake, 'orders', 'j1', 1)).toBeUndefined(); // parts but no manifest: not committed
    await lake.write('orders/run=j1-1/_manifest.json', JSON.stringify(manifest('j1', 1)));
    expect(await readCommittedRun(lake, 'orders', 'j1', 1)).toEqual(manifest('j1', 1));
  });

  it('rides out MinIO being down for 3 s during a write', async () => {
    const lake = lakeAt();
    await lake.write('before', 'x'); // connections open, then cut
    await minio.stop();
    const started = Date.now();
    const writing = lake.write('orders/run=j2-1/_manifest.json', JSON.stringify(manifest('j2', 1)));
    const reading = lake.read('before');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await minio.restart();
    await writing;
    expect((await reading)?.toString()).toBe('x');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(JSON.parse((await lake.read('orders/run=j2-1/_manifest.json'))!.toString())).toEqual(manifest('j2', 1));
  }, 30_000);

  it('fails with an OperationalError that shows no credential', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const lake = lakeAt('denied', { ...minio.settings, secretAccessKey: wrong });
    const error = await lake.write('x', 'y').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OperationalError);
    const message = (error as Error).message;
    expect(message).toMatch(/^S3 write of s3:\/\/lake\/denied\/x failed: SignatureDoesNotMatch/);
    for (const secret of [wrong, minio.settings.secretAccessKey!, minio.accessKeyId]) expect(message).not.toContain(secret);
    expect((error as Error).cause).toBeDefined();

    const unknownUser = lakeAt('denied', { ...minio.settings, accessKeyId: `nobody-${randomBytes(6).toString('hex')}` });
    const refused = await unknownUser.read('x').catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(OperationalError);
    expect((refused as Error).message).not.toContain(minio.settings.secretAccessKey!);
  });
});
