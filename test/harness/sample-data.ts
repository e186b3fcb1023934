// Test landings: meter readings from the example generator, plus the broken files a data
// engineer meets in real life (not Parquet at all; the right name with the wrong type).
import { writeFile } from 'node:fs/promises';
import { python } from './python.ts';

export async function generateReadings(dir: string, rows: number, files: number, seed = 7): Promise<void> {
  await python(['examples/generate_meter_readings.py', '--out', dir, '--rows', String(rows), '--files', String(files), '--seed', String(seed)]);
}

/**
 * A finished Parquet file whose footer is garbage: PAR1, pages, a footer length and PAR1 at the
 * end, so the door judges it at once. (One without PAR1 at its end is a file still being
 * written, which waits `ready.footer_wait` for its writer: landings-unfinished.test.ts.)
 */
export function corruptParquetBytes(): Buffer {
  const footerLength = Buffer.alloc(4);
  footerLength.writeUInt32LE(100);
  return Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(4096, 7), footerLength, Buffer.from('PAR1')]);
}

export async function writeCorruptParquet(path: string): Promise<void> {
  await writeFile(path, corruptParquetBytes());
}

/** A Parquet file whose kwh column is a string, not a double. */
export async function writeWrongTypeParquet(path: string): Promise<void> {
  await python([
    '-c',
    `import sys, datetime, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({"site": ["site-001"], "meter": ["m-1"], "ts": pa.array([datetime.datetime(2026, 1, 1)], pa.timestamp("us", tz="UTC")), "kwh": ["1.5"], "status": ["ok"]})
pq.write_table(t, sys.argv[1])`,
    path,
  ]);
}
