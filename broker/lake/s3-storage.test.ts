// The S3 storage's pure parts: URIs, part sizes, key checks (refused before any request),
// the retry backoff, and openLake's choice of storage. Against a real MinIO:
// test/integration/s3-lake.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { openLake } from './open-lake.ts';
import { parseS3Uri } from './s3-uri.ts';
import { backoffRetryStrategy, createS3Storage, DEFAULT_RETRY, partSizeFor, type S3LakeStorage, type S3Settings } from './s3-storage.ts';

// Nothing listens on port 9: a request that got through would fail with a connection error, not a key error.
const settings: S3Settings = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', accessKeyId: 'id', secretAccessKey: 'secret', forcePathStyle: true };
const opened: S3LakeStorage[] = [];
const lake = (uri: string): S3LakeStorage => {
  const storage = createS3Storage(uri, settings, { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  opened.push(storage);
  return storage;
};
afterEach(() => opened.splice(0).forEach((s) => s.close()));

describe('s3 lake storage', () => {
  it('parses s3:// URIs into bucket and prefix', () => {
    expect(parseS3Uri('s3://lake')).toEqual({ bucket: 'lake', prefix: '' });
    expect(parseS3Uri('s3://lake/')).toEqual({ bucket: 'lake', prefix: '' });
    expect(parseS3Uri('s3://lake/tables/prod/')).toEqual({ bucket: 'lake', prefix: 'tables/prod' });
  });

  it.each(['file:///tmp/lake', 's3a://lake/x', 's3://', 's3://Lake/x', 's3://a/x', 's3://lake/a//b', 's3://lake/../b', 's3://lake/./b'])('refuses the lake URI %j', (uri) => {
    expect(() => parseS3Uri(uri, 'lake URI')).toThrow(/lake URI/);
  });

  it('keeps s3:// as the root and gives Spark s3a:// URIs', () => {
    const storage = lake('s3://lake/tables/');
    expect(storage.rootUri).toBe('s3://lake/tables');
    expect(storage.uri('orders/run=j1-1')).toBe('s3a://lake/tables/orders/run=j1-1');
    expect(lake('s3://lake').uri('orders/x')).toBe('s3a://lake/orders/x');
  });

  it.each(['../outside', 'orders/../../outside', '/etc/passwd', 'orders//x', './x', '', 'a\\..\\b'])('refuses the key %j before any request', async (key) => {
    const storage = lake('s3://lake/tables');
    await expect(storage.write(key, 'x')).rejects.toThrow(/not a relative path inside the lake/);
    await expect(storage.read(key)).rejects.toThrow(/not a relative path inside the lake/);
    await expect(storage.upload(key, Buffer.from('x'))).rejects.toThrow(/not a relative path inside the lake/);
    expect(() => storage.uri(key)).toThrow(/not a relative path inside the lake/);
  });

  it('refuses prefixes that escape the root and an empty delete', async () => {
    const storage = lake('s3://lake/tables');
    await expect(storage.list('../')).rejects.toThrow(/inside the lake/);
    await expect(storage.delete('orders/..')).rejects.toThrow(/inside the lake/);
    await expect(storage.delete('')).rejects.toThrow(/whole lake/);
  });

  it('wants both keys or neither', () => {
    expect(() => createS3Storage('s3://lake', { ...settings, secretAccessKey: undefined })).toThrow(/both the access key id and the secret/);
  });

  it('picks part sizes that fit 50 GB and more in 10,000 parts', () => {
    const MiB = 1024 * 1024;
    expect(partSizeFor(undefined)).toBe(16 * MiB);
    expect(partSizeFor(1000)).toBe(16 * MiB);
    for (const size of [50e9, 200 * 1024 ** 3, 5 * 1024 ** 4]) {
      expect(Math.ceil(size / partSizeFor(size))).toBeLessThanOrEqual(9_000);
      expect(partSizeFor(size)).toBeLessThanOrEqual(5 * 1024 ** 3); // S3's largest part
    }
  });

  it('backs off exponentially, retries only transient errors and throttling, and stops after maxAttempts', async () => {
    const strategy = backoffRetryStrategy(DEFAULT_RETRY);
    let token = await strategy.acquireInitialRetryToken('');
    const delays: number[] = [];
    for (let retry = 1; retry < DEFAULT_RETRY.maxAttempts; retry++) {
      token = await strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT' });
      expect(token.getRetryCount()).toBe(retry);
      delays.push(token.getRetryDelay());
    }
    const ceilings = [500, 1_000, 2_000, 4_000, 8_000];
    for (const [i, delay] of delays.entries()) {
      expect(delay).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(delay).toBeLessThanOrEqual(ceilings[i]!);
    }
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT' })).rejects.toThrow();
    const fresh = await strategy.acquireInitialRetryToken('');
    await expect(strategy.refreshRetryTokenForRetry(fresh, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
    await expect(strategy.refreshRetryTokenForRetry(fresh, { errorType: 'SERVER_ERROR' })).rejects.toThrow();
    expect((await strategy.refreshRetryTokenForRetry(fresh, { errorType: 'THROTTLING' })).getRetryCount()).toBe(1);
  });
});

describe('openLake', () => {
  it('opens file:// on the file system and s3:// on S3', () => {
    expect(openLake('file:///tmp/sluice-lake', settings).rootUri).toBe('file:///tmp/sluice-lake');
    const s3 = openLake('s3://lake/tables', settings) as S3LakeStorage;
    opened.push(s3);
    expect(s3.rootUri).toBe('s3://lake/tables');
  });

  it('refuses other schemes, and s3a:// with a hint', () => {
    expect(() => openLake('s3a://lake/tables', settings)).toThrow(/write the lake as s3:\/\//);
    expect(() => openLake('hdfs://nn/lake', settings)).toThrow(/neither file:\/\/ nor s3:\/\//);
    expect(() => openLake('/tmp/lake', settings)).toThrow(/neither file:\/\/ nor s3:\/\//);
  });
});
