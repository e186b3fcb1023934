import { describe, expect, it } from 'vitest';
import { RunManifestSchema, runFolderName, summarizeManifest, type RunManifest } from './manifest.ts';

const manifest: RunManifest = {
  version: 1,
  job_id: 'j1',
  attempt: 2,
  pipeline: 'daily-orders',
  table: 'orders_daily',
  run_uri: 'file:///lake/orders_daily/run=j1-2',
  committed_at: '2025-01-01T00:00:00Z',
  rows_in: 1_000,
  rows_out: 12,
  inputs: [{ path: '/landing/a.parquet', rows: 1_000, bytes: 40_000 }],
  files: [
    { name: 'part-0.parquet', rows: 7, bytes: 1_200 },
    { name: 'part-1.parquet', rows: 5, bytes: 800 },
  ],
  schema: [
    { name: 'region', type: 'string', nullable: false },
    { name: 'amount_sum', type: 'double', nullable: true },
  ],
};

describe('summarizeManifest', () => {
  it('keeps the run, the row counts and the column names, and totals the files', () => {
    expect(summarizeManifest(manifest)).toEqual({
      runUri: 'file:///lake/orders_daily/run=j1-2',
      table: 'orders_daily',
      rowsIn: 1_000,
      rowsOut: 12,
      files: 2,
      bytes: 2_000,
      committedAt: '2025-01-01T00:00:00Z',
      columns: ['region', 'amount_sum'],
    });
  });

  it('summarizes an empty run as zero files and zero bytes', () => {
    const summary = summarizeManifest({ ...manifest, rows_out: 0, files: [] });
    expect(summary.files).toBe(0);
    expect(summary.bytes).toBe(0);
  });
});

describe('the manifest schema', () => {
  it('accepts a manifest as the Spark app writes it', () => {
    expect(RunManifestSchema.parse(manifest)).toEqual(manifest);
  });

  it('keeps the trace id the app writes, and still reads a manifest written before there was one', () => {
    expect(RunManifestSchema.parse({ ...manifest, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }).trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(RunManifestSchema.parse(manifest).trace_id).toBeUndefined();
  });

    it('refuses another version', () => {
    expect(RunManifestSchema.safeParse({ ...manifest, version: 2 }).success).toBe(false);
  });
});

describe('runFolderName', () => {
  it('is run=<job>-<attempt>', () => {
    expect(runFolderName('j1', 2)).toBe('run=j1-2');
  });
});
