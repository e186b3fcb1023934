import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../broker/core/job.ts';
import { PipelineSchema } from '../broker/core/pipeline.ts';
import { createLogger } from '../broker/logger.ts';
import { pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { createS3Client } from '../broker/lake/s3-storage.ts';
import { LANDING_TRIGGER, LandingFinalizer } from './landing-finalizer.ts';
import { LandingFiles } from './landing-files.ts';
import type { LandingRecord } from './landing-ledger.ts';

let dir: string;
let landing: string;
let quarantine: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-finalizer-'));
  // The watched folder is reached through a symlink, as a mounted share often is.
  await mkdir(join(dir, 'real'));
  landing = join(dir, 'landing');
  await symlink(join(dir, 'real'), landing);
  quarantine = join(dir, 'quarantine');
  for (const name of ['a.parquet', 'b.parquet']) await writeFile(join(landing, name), name);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const record = (name: string): LandingRecord => ({
  fingerprint: `fp-${name}`,
  source: 'fs:landing',
  path: name,
  uri: join(landing, name),
  size: 9,
  state: 'batched',
  seenAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

function finalizer(calls: { quarantined: string[]; released: string[] }) {
  const pipeline = PipelineSchema.parse({
    name: 'drop',
    input: { columns: { x: 'long' } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: 'drop' } },
    after: { quarantine },
  });
  const ledger = {
    jobLandings: async () => [record('a.parquet'), record('b.parquet')],
    markDone: async (fingerprints: string[]) => fingerprints,
    quarantine: async (fingerprints: string[]) => {
      calls.quarantined.push(...fingerprints);
      return fingerprints;
    },
    release: async (fingerprints: string[]) => {
      calls.released.push(...fingerprints);
      return fingerprints;
    },
    openBatches: async () => [],
    batchLandings: async () => [],
    getMany: async () => [],
    assignJob: async () => 0,
    pathRecord: async () => undefined,
    noteMovedTo: async () => true,
  };
  // An S3 client that is never used: these landings are files.
  const files = new LandingFiles(createS3Client({ region: 'us-east-1', forcePathStyle: false }));
  return new LandingFinalizer(ledger, pipelineRegistry([pipeline]), createLogger('silent'), files);
}

const failedJob = (input: string | undefined): Job => ({
  id: 'j1',
  pipeline: 'drop',
  state: 'failed',
  attempt: 1,
  maxAttempts: 1,
  priority: 10,
  parameters: {},
  inputs: [],
  labels: { trigger: LANDING_TRIGGER },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  history: [],
  failure: { class: 'data', message: 'input …: not a readable Parquet file', stage: 'running', attempt: 1, ...(input ? { input } : {}) },
});

describe('LandingFinalizer after a data failure', () => {
  it('quarantines the file the failure names by its real path, even when the landing path runs through a symlink', async () => {
    const calls = { quarantined: [] as string[], released: [] as string[] };
    await finalizer(calls).finalize(failedJob(await realpath(join(landing, 'a.parquet'))));
    expect(calls).toEqual({ quarantined: ['fp-a.parquet'], released: ['fp-b.parquet'] });
    expect(await readdir(quarantine)).toEqual(['a.parquet', 'a.parquet.reason.txt']);
    expect(await readdir(landing)).toEqual(['b.parquet']);
  });

  it('quarantines the whole batch when the failure names none of its files', async () => {
    const calls = { quarantined: [] as string[], released: [] as string[] };
    await finalizer(calls).finalize(failedJob(undefined));
    expect(calls).toEqual({ quarantined: ['fp-a.parquet', 'fp-b.parquet'], released: [] });
  });
});
