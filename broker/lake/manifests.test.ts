import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunManifest } from '../core/manifest.ts';
import { createFsStorage } from './fs-storage.ts';
import { InvalidManifestError, readCommittedRun } from './manifests.ts';
import type { LakeStorage } from './storage.ts';
import { sampleManifest } from '../../test/harness/sample-manifest.ts';

let root: string;
let lake: LakeStorage;

const manifest = (jobId: string, attempt: number): RunManifest => sampleManifest(jobId, attempt, 'file:///lake');

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-manifests-'));
  lake = createFsStorage(pathToFileURL(root).href);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('committed runs', () => {
  it('reads the manifest of a committed run', async () => {
    await lake.write('orders/run=j1-1/_manifest.json', JSON.stringify(manifest('j1', 1)));
    expect(await readCommittedRun(lake, 'orders', 'j1', 1)).toEqual(manifest('j1', 1));
  });

  it('reads a run without a manifest as not committed, even when its part files exist', async () => {
    await lake.write('orders/run=j1-1/part-0.parquet', 'data');
    expect(await readCommittedRun(lake, 'orders', 'j1', 1)).toBeUndefined();
    expect(await readCommittedRun(lake, 'orders', 'j9', 1)).toBeUndefined();
  });

  it('rejects a manifest that is not JSON, breaks the schema or names another run', async () => {
    await lake.write('orders/run=j1-1/_manifest.json', '{"version": 1,');
    await expect(readCommittedRun(lake, 'orders', 'j1', 1)).rejects.toThrow(/orders\/run=j1-1\/_manifest.json is invalid: not JSON/);
    await lake.write('orders/run=j1-1/_manifest.json', JSON.stringify({ ...manifest('j1', 1), rows_out: 'two' }));
    await expect(readCommittedRun(lake, 'orders', 'j1', 1)).rejects.toThrow(/invalid: rows_out:/);
    await lake.write('orders/run=j1-1/_manifest.json', JSON.stringify(manifest('j2', 1)));
    await expect(readCommittedRun(lake, 'orders', 'j1', 1)).rejects.toBeInstanceOf(InvalidManifestError);
  });
});
