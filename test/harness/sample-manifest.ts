import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunManifest } from '../../broker/core/manifest.ts';

/** A small committed-run manifest of the "orders" table, for lake tests; `lakeRoot` like file:///lake or s3a://bucket/runs. */
export function sampleManifest(jobId: string, attempt: number, lakeRoot: string): RunManifest {
  return {
    version: 1,
    job_id: jobId,
    attempt,
    pipeline: 'daily-orders',
    table: 'orders',
    run_uri: `${lakeRoot}/orders/run=${jobId}-${attempt}`,
    committed_at: '2025-01-01T00:00:00Z',
    rows_in: 10,
    rows_out: 2,
    inputs: [{ path: 'landing/a.parquet', rows: 10, bytes: 100 }],
    files: [{ name: 'part-0.parquet', rows: 2, bytes: 50 }],
    schema: [{ name: 'region', type: 'string', nullable: false }],
  };
}

/**
 * The manifest of a run written by hand (by pyarrow or DuckDB) as one part file in `runDir`,
 * named `<table>/run=<table>-1` below a folder lake: what the Spark app would have committed.
 */
export async function oneFileRunManifest(table: string, runDir: string, part: string, rows: number, schema: RunManifest['schema']): Promise<RunManifest> {
  return {
    version: 1,
    job_id: table,
    attempt: 1,
    pipeline: table,
    table,
    run_uri: pathToFileURL(runDir).href,
    committed_at: new Date().toISOString(),
    rows_in: rows,
    rows_out: rows,
    inputs: [],
    files: [{ name: part, rows, bytes: (await stat(join(runDir, part))).size }],
    schema,
  };
}
