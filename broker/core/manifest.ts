// The run manifest: the commit marker that the Spark app writes last, after every part
// file. A run without one is not committed and is never read. This schema is shared with
// spark-apps/ (which writes it) and sql-sinks/ (which reads committed runs).
import { z } from 'zod';

export const MANIFEST_FILE = '_manifest.json';

export const ManifestFileSchema = z.object({ name: z.string(), rows: z.number().int(), bytes: z.number().int() });
export const ManifestInputSchema = z.object({ path: z.string(), rows: z.number().int(), bytes: z.number().int() });
export const ManifestColumnSchema = z.object({ name: z.string(), type: z.string(), nullable: z.boolean() });

export const RunManifestSchema = z.object({
  version: z.literal(1),
  job_id: z.string(),
  attempt: z.number().int(),
  pipeline: z.string(),
  table: z.string(),
  run_uri: z.string(),
  committed_at: z.string(),
  rows_in: z.number().int(),
  rows_out: z.number().int(),
  inputs: z.array(ManifestInputSchema),
  files: z.array(ManifestFileSchema),
  schema: z.array(ManifestColumnSchema),
  spark_seconds: z.number().optional(),
  /** The job's trace id, from the run spec (absent in manifests written before it existed). */
  trace_id: z.string().optional(),
});
export type RunManifest = z.infer<typeof RunManifestSchema>;

/** What the job record keeps of a committed run. */
export const ManifestSummarySchema = z.object({
  runUri: z.string(),
  table: z.string(),
  rowsIn: z.number().int(),
  rowsOut: z.number().int(),
  files: z.number().int(),
  bytes: z.number().int(),
  committedAt: z.string(),
  columns: z.array(z.string()),
});
export type ManifestSummary = z.infer<typeof ManifestSummarySchema>;

export function summarizeManifest(manifest: RunManifest): ManifestSummary {
  return {
    runUri: manifest.run_uri,
    table: manifest.table,
    rowsIn: manifest.rows_in,
    rowsOut: manifest.rows_out,
    files: manifest.files.length,
    bytes: manifest.files.reduce((sum, file) => sum + file.bytes, 0),
    committedAt: manifest.committed_at,
    columns: manifest.schema.map((column) => column.name),
  };
}

/** `run=<job>-<attempt>`: a run's folder name, the same in every lake. */
export const runFolderName = (jobId: string, attempt: number): string => `run=${jobId}-${attempt}`;

/** `<table>/run=<job>-<attempt>`: a run's key below the lake root. */
export const runKey = (table: string, jobId: string, attempt: number): string => `${table}/${runFolderName(jobId, attempt)}`;
