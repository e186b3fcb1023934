import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsStorage } from './fs-storage.ts';
import type { LakeStorage } from './storage.ts';

let root: string;
let lake: LakeStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-lake-'));
  lake = createFsStorage(pathToFileURL(root).href);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('fs lake storage', () => {
  it('writes, reads and gives file URIs below the root', async () => {
    await lake.write('orders/run=j1-1/part-0.parquet', Buffer.from('abc'));
    expect((await lake.read('orders/run=j1-1/part-0.parquet'))?.toString()).toBe('abc');
    expect(lake.uri('orders/run=j1-1')).toBe(pathToFileURL(join(root, 'orders', 'run=j1-1')).href);
  });

  it('reads a missing key as undefined', async () => {
    expect(await lake.read('orders/nothing.json')).toBeUndefined();
  });

  it.each(['../outside', 'orders/../../outside', '/etc/passwd', 'orders//x', './x', '', 'a\\..\\b'])('refuses the key %j', async (key) => {
    await expect(lake.write(key, 'x')).rejects.toThrow(/not a relative path inside the lake/);
    await expect(lake.read(key)).rejects.toThrow(/not a relative path inside the lake/);
  });

  it('refuses prefixes that escape the root and an empty delete', async () => {
    await expect(lake.list('../')).rejects.toThrow(/inside the lake/);
    await expect(lake.delete('orders/..')).rejects.toThrow(/inside the lake/);
    await expect(lake.delete('')).rejects.toThrow(/whole lake/);
  });

  it('replaces an object atomically and leaves no temporary file', async () => {
    await lake.write('t/_manifest.json', 'old');
    await lake.write('t/_manifest.json', 'new');
    expect((await lake.read('t/_manifest.json'))?.toString()).toBe('new');
    expect(await readdir(join(root, 't'))).toEqual(['_manifest.json']);
  });

  it('lists recursively with sizes, by string prefix like S3, skipping writes in progress', async () => {
    await lake.write('orders/run=j1-1/part-0.parquet', '12345');
    await lake.write('orders/run=j1-1/_manifest.json', '{}');
    await lake.write('orders/run=j1-10/part-0.parquet', '1');
    await lake.write('other/x', '1');
    await writeFile(join(root, 'orders', 'run=j1-1', '.part-1.parquet.sluice-tmp-abc'), 'partial');
    expect(await lake.list('orders/run=j1-1/')).toEqual([
      { key: 'orders/run=j1-1/_manifest.json', size: 2 },
      { key: 'orders/run=j1-1/part-0.parquet', size: 5 },
    ]);
    expect((await lake.list('orders/run=j1-1')).map((o) => o.key)).toHaveLength(3);
    expect((await lake.list('')).map((o) => o.key)).toHaveLength(4);
    expect(await lake.list('missing/')).toEqual([]);
  });

  it('deletes everything under a prefix and nothing else', async () => {
    await lake.write('orders/run=j1-1/part-0.parquet', 'a');
    await lake.write('orders/run=j1-1/sub/part-1.parquet', 'b');
    await lake.write('orders/run=j1-2/part-0.parquet', 'c');
    await lake.delete('orders/run=j1-1/');
    expect((await lake.list('')).map((o) => o.key)).toEqual(['orders/run=j1-2/part-0.parquet']);
    await lake.delete('orders/run=nothing/');
  });

  it('accepts only file:// roots', () => {
    expect(() => createFsStorage('s3://bucket/lake')).toThrow(/not a file:\/\/ URI/);
  });
});
