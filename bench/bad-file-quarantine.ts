// Bad landings stopped at the door: 100 files land in a watched folder at a steady rate, 10
// of them bad (5 with a corrupt footer, 5 with the wrong type for a declared column), with
// the pipeline's default readiness (stable rule, quiet 2 s). The figure is the time from a
// bad file's last write to its quarantine in the ledger:
//   BENCH bad_file_to_quarantine_p95 <ms> ms      (target < quiet + 500 ms = 2,500 ms)
// Before the door, a bad file was found by Spark: the batch's max_wait (30 s by default),
// a Spark start (10–30 s, as issue 8 observed it; not measured here) and the failure, with its
// good neighbours held back meanwhile.
// Measured in the same run, for scale: the good files' last write → ready, which is the
// readiness rule alone (the door's own cost is the difference).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineSchema } from '../broker/core/pipeline.ts';
import { pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { startSluice } from '../broker/sluice.ts';
import { parquetBytes } from '../test/harness/parquet-bytes.ts';
import { writeCorruptParquet } from '../test/harness/sample-data.ts';
import { createSluiceEnv } from '../test/harness/sluice-env.ts';
import { waitFor } from '../test/harness/wait-for.ts';
import { percentile, report } from './stats.ts';

const FILES = 100;
const BAD_EVERY = 10;
const FILES_PER_SECOND = 20;

export async function badFileQuarantine(): Promise<void> {
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'silent' });
  const folder = join(env.landing, 'door');
  await mkdir(folder, { recursive: true });
  // Every landing setting at its default: readiness, rescan, batching.
  const pipeline = PipelineSchema.parse({
    name: 'bench-door',
    input: { columns: { x: 'long' } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: 'bench_door' } },
    sources: [{ kind: 'fs', path: folder }],
    after: { quarantine: join(env.dir, 'quarantine') },
  });
  const quietMs = pipeline.sources[0]!.kind === 'fs' ? pipeline.sources[0]!.ready.quiet : 0;
  const [good, wrongType] = await parquetBytes({ rows: 10 }, { rows: 10, x: 'string' });
  const sluice = await startSluice(env.config(), { api: false, worker: false, watch: true }, { pipelines: pipelineRegistry([pipeline]) });
  const lastWrite = new Map<string, number>();
  const bad = new Set<string>();
  try {
    const start = Date.now();
    for (let i = 0; i < FILES; i += 1) {
      const wait = start + (i * 1_000) / FILES_PER_SECOND - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const path = join(folder, `f-${String(i).padStart(3, '0')}.parquet`);
      if (i % BAD_EVERY === 0) {
        bad.add(path);
        // Corrupt footers and wrong types alike, written in place as a careless producer does.
        if ((i / BAD_EVERY) % 2 === 0) await writeCorruptParquet(path);
        else await writeFile(path, wrongType!);
      } else {
        await writeFile(`${path}.tmp`, good!);
        await rename(`${path}.tmp`, path);
      }
      lastWrite.set(path, Date.now());
    }
    await waitFor('every landing ready or quarantined', async () => {
      const counts = await sluice.landings.countByState();
      return counts.quarantined >= bad.size && counts.quarantined + counts.ready + counts.batched >= FILES ? true : undefined;
    }, 120_000, 250);
    const quarantinedAfter: number[] = [];
    const readyAfter: number[] = [];
    for await (const landing of sluice.landings.each({})) {
      const written = lastWrite.get(landing.uri);
      if (written === undefined) continue;
      if (bad.has(landing.uri)) {
        if (landing.state !== 'quarantined') throw new Error(`${landing.uri} was not quarantined (${landing.state})`);
        quarantinedAfter.push(Date.parse(landing.quarantinedAt!) - written);
      } else if (landing.readyAt) {
        if (landing.state === 'quarantined') throw new Error(`${landing.uri} is good but was quarantined: ${landing.reason}`);
        readyAfter.push(Date.parse(landing.readyAt) - written);
      }
    }
    process.stdout.write(
      `door: ${FILES} files at ${FILES_PER_SECOND}/s, ${bad.size} bad, quiet ${quietMs} ms: bad last write → quarantined p50 ${percentile(quarantinedAfter, 50)} ms, p95 ${percentile(quarantinedAfter, 95)} ms; good last write → ready p95 ${percentile(readyAfter, 95)} ms (target < ${quietMs + 500} ms)\n`,
    );
    report('bad_file_to_quarantine_p95', percentile(quarantinedAfter, 95), 'ms', 0);
  } finally {
    await sluice.close();
    await env.close();
  }
}
