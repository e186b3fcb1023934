// Reading committed runs. A run is committed when its `_manifest.json` exists: the Spark
// app writes it after every part file. Everything the broker reads from the lake goes
// through here, so nothing reads an uncommitted run.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../jobs/canonical-json.ts';
import { AttemptError, zodErrorLines } from '../core/errors.ts';
import { MANIFEST_FILE, RunManifestSchema, runKey, type RunManifest } from '../core/manifest.ts';
import type { LakeStorage } from './storage.ts';

/**
 * A manifest that exists but cannot be trusted: the run is broken, not merely uncommitted.
 * Reading it again would read the same bytes, so the attempt fails `platform` at once and a
 * new attempt runs the job again into a run folder of its own.
 */
export class InvalidManifestError extends AttemptError {
  override readonly name = 'InvalidManifestError';
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('platform', `run manifest ${key} is invalid: ${reason}`, options);
  }
}

export const manifestKey = (table: string, jobId: string, attempt: number): string =>
  `${runKey(table, jobId, attempt)}/${MANIFEST_FILE}`;

/** The manifest of a committed run, or undefined when the run is not committed (no manifest yet, or no run). */
export async function readCommittedRun(storage: LakeStorage, table: string, jobId: string, attempt: number): Promise<RunManifest | undefined> {
  const key = manifestKey(table, jobId, attempt);
  const body = await storage.read(key);
  if (body === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidManifestError(key, 'not JSON', { cause: error });
  }
  const parsed = RunManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidManifestError(key, zodErrorLines(parsed.error).join('; '));
  }
  const manifest = parsed.data;
  // A manifest copied or written into the wrong folder would commit someone else's files.
  if (manifest.table !== table || manifest.job_id !== jobId || manifest.attempt !== attempt) {
    throw new InvalidManifestError(key, `it describes ${runKey(manifest.table, manifest.job_id, manifest.attempt)}`);
  }
  return manifest;
}

/** Identifies a committed run's content (files, sizes, rows, schema): the checksum a load ledger records. */
export function manifestChecksum(manifest: RunManifest): string {
  const { job_id, attempt, table, rows_out, files, schema } = manifest;
  return createHash('sha256').update(canonicalJson({ job_id, attempt, table, rows_out, files, schema })).digest('hex');
}
