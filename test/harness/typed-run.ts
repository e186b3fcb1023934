// A committed three-row run holding one column of every loadable type, written by pyarrow
// into a folder lake, for the tests that check values reach SQL exactly. Row 1 is ordinary,
// row 2 carries the edge values the caller picks (a float, a string with quoting hazards),
// row 3 is all NULL but its key and name.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunManifest } from '../../broker/core/manifest.ts';
import { createFsStorage } from '../../broker/lake/fs-storage.ts';
import type { LakeStorage } from '../../broker/lake/storage.ts';
import { manifestChecksum } from '../../broker/lake/manifests.ts';
import { readRunBatches } from '../../broker/lake/run-batches.ts';
import type { Sink } from '../../sql-sinks/sink.ts';
import { python } from './python.ts';
import { oneFileRunManifest } from './sample-manifest.ts';

const WRITE = `
import datetime, decimal, json, os, sys, pyarrow as pa, pyarrow.parquet as pq
edge = json.loads(sys.argv[2])
utc = datetime.timezone.utc
t = pa.table({
  "id": pa.array([1, 2, 3], pa.int32()),
  "big": pa.array([9007199254740993, -5, None], pa.int64()),
  "amount": pa.array([decimal.Decimal("12345678901234567.891"), decimal.Decimal("-0.005"), None], pa.decimal128(20, 3)),
  "ratio": pa.array([0.1, float(edge["ratio"]), None], pa.float64()),
  "name": pa.array(["tab\\there", edge["name"], "Zürich ✓"], pa.string()),
  "ok": pa.array([True, False, None], pa.bool_()),
  "day": pa.array([datetime.date(2025, 3, 1), datetime.date(1969, 12, 31), None], pa.date32()),
  "at": pa.array([datetime.datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=utc), datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=utc), None], pa.timestamp("us", tz="UTC")),
  "raw": pa.array([b"\\x00\\x01\\xff", b"", None], pa.binary()),
})
pq.write_table(t, os.path.join(sys.argv[1], "part-0.parquet"), row_group_size=2)
`;

async function writeTypedRun(edge: { ratio: string; name: string }): Promise<{ lakeDir: string; lake: LakeStorage; manifest: RunManifest }> {
  const lakeDir = await mkdtemp(join(tmpdir(), 'sluice-lake-'));
  const runDir = join(lakeDir, 'typed', 'run=typed-1');
  await mkdir(runDir, { recursive: true });
  await python(['-c', WRITE, runDir, JSON.stringify(edge)]);
  const manifest = await oneFileRunManifest('typed', runDir, 'part-0.parquet', 3, [
    { name: 'id', type: 'int', nullable: false },
    { name: 'big', type: 'bigint', nullable: true },
    { name: 'amount', type: 'decimal(20,3)', nullable: true },
    { name: 'ratio', type: 'double', nullable: true },
    { name: 'name', type: 'string', nullable: true },
    { name: 'ok', type: 'boolean', nullable: true },
    { name: 'day', type: 'date', nullable: true },
    { name: 'at', type: 'timestamp', nullable: true },
    { name: 'raw', type: 'binary', nullable: true },
  ]);
  return { lakeDir, lake: createFsStorage(pathToFileURL(lakeDir).href), manifest };
}

/** Loads the typed run through `sink` into `table` (merged on id), the way a job's load step does. */
export async function loadTypedRun(sink: Sink, connection: string, table: string, edge: { ratio: string; name: string }): Promise<void> {
  const { lakeDir, lake, manifest } = await writeTypedRun(edge);
  try {
    await sink.load({
      jobId: 'typed',
      runAttempt: 1,
      output: { connection, table, keys: ['id'], mode: 'merge', partition_by: [] },
      columns: manifest.schema,
      rows: () => readRunBatches(lake, manifest, 2),
      checksum: manifestChecksum(manifest),
      timeoutMs: 30_000,
    });
  } finally {
    await rm(lakeDir, { recursive: true, force: true });
  }
}
