// The Sluice side of the SQL load benchmark, in a process of its own so that its peak RSS
// is its own: streams a committed run from a folder lake through the real PostgreSQL sink.
// Arguments: <lake file:// URI> <manifest JSON path> <postgres URL> <job id>. Prints JSON.
import { readFile } from 'node:fs/promises';
import { RunManifestSchema } from '../broker/core/manifest.ts';
import { createFsStorage } from '../broker/lake/fs-storage.ts';
import { manifestChecksum } from '../broker/lake/manifests.ts';
import { readRunBatches } from '../broker/lake/run-batches.ts';
import { openSinks } from '../sql-sinks/open-sinks.ts';

const [lakeUri, manifestPath, url, jobId] = process.argv.slice(2);
const manifest = RunManifestSchema.parse(JSON.parse(await readFile(manifestPath!, 'utf8')));
const lake = createFsStorage(lakeUri!);
const sinks = openSinks({ urls: { SLUICE_SQL_BENCH_URL: url! }, poolMax: 2, connectTimeoutMs: 10_000 });
const started = process.hrtime.bigint();
const phases: Record<string, number> = {};
const outcome = await sinks.get('bench').load({
  jobId: jobId!,
  runAttempt: 1,
  output: { connection: 'bench', table: 'bench_sink', keys: ['site_id', 'day'], mode: 'merge', partition_by: [] },
  columns: manifest.schema,
  rows: () => readRunBatches(lake, manifest),
  checksum: manifestChecksum(manifest),
  timeoutMs: 600_000,
  onProgress: ({ phase }) => {
    if (phase === 'staging' && phases.staging) return;
    phases[phase] = Number(process.hrtime.bigint() - started) / 1e9;
  },
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await sinks.close();
process.stdout.write(`${JSON.stringify({ seconds, rows: outcome.inserted, peakRssMb: process.resourceUsage().maxRSS / 1024, phases })}\n`);
