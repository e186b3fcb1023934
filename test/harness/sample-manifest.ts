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
