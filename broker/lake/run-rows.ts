// Reads the first rows of a committed run's Parquet files (hyparquet), for the demo and
// the CLI. Part files of an aggregate run are small; this is not the bulk reader.
import { parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { runFolderName, type RunManifest } from '../core/manifest.ts';
import type { LakeStorage } from './storage.ts';

function bufferSource(buffer: Buffer): AsyncBuffer {
  return {
    byteLength: buffer.byteLength,
    // Copy the range out: a Node Buffer may be a view into a larger, shared pool.
    slice: (start, end) => Uint8Array.prototype.slice.call(buffer, start, end ?? buffer.byteLength).buffer as ArrayBuffer,
  };
}

export async function readRunRows(storage: LakeStorage, manifest: RunManifest, limit: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const folder = `${manifest.table}/${runFolderName(manifest.job_id, manifest.attempt)}`;
  for (const file of manifest.files) {
    if (rows.length >= limit) break;
    const buffer = await storage.read(`${folder}/${file.name}`);
    if (!buffer) throw new Error(`committed run ${folder} lists ${file.name}, which is missing`);
    const wanted = limit - rows.length;
    rows.push(...(await parquetReadObjects({ file: bufferSource(buffer), rowEnd: wanted })));
  }
  return rows;
}
