// SQL load throughput and memory: 1,000,000 aggregate rows (8 columns) from a committed
// Parquet run into PostgreSQL through Sluice's sink, against `psql \copy` of the same rows
// as CSV into the same table shape, on the same server, in the same run.
//   BENCH sql_load_vs_copy <ratio> x     (\copy seconds / sink seconds; target >= 0.7)
//   BENCH sql_load_peak_rss <MB> MB      (peak RSS of the Sluice process; target <= 250)
// The run is one part file in row groups of 80,000 rows, what the Spark app's 2 MB
// parquet.block.size gives for these 8 columns (4 MB gave 158,936 rows a group), with
// decimals of up to 18 digits stored as integers, as Spark stores them. The sink merges on (site_id, day) into an empty table with that primary key, and
// \copy loads a table with the same primary key.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PostgresServer } from '../test/harness/postgres-server.ts';
import { python } from '../test/harness/python.ts';
import { oneFileRunManifest } from '../test/harness/sample-manifest.ts';
import { report } from './stats.ts';

const ROWS = 1_000_000;
const ROUNDS = 2;
const run = promisify(execFile);

const GENERATE = `
import sys, duckdb, pyarrow.csv as csv, pyarrow.parquet as pq
t = duckdb.sql(f"""
  SELECT i % 20000 AS site_id, DATE '2025-01-01' + CAST(i // 20000 AS INTEGER) AS day, i % 97 + 1 AS readings,
         CAST(CAST(i * 7 AS DECIMAL(18,0)) * 0.001 AS DECIMAL(18,3)) AS kwh_sum, i / 3.0 AS kwh_avg, CAST(i AS DOUBLE) * 1.5 AS kwh_max,
         CASE WHEN i % 3 = 0 THEN 'ok' ELSE 'estimated' END AS status,
         TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_microseconds(i * 1000003) AS last_reading_at
  FROM range({int(sys.argv[3])}) r(i)""").fetch_arrow_table()
pq.write_table(t, sys.argv[1], row_group_size=80000, store_decimal_as_integer=True)
csv.write_csv(t, sys.argv[2], csv.WriteOptions(include_header=False))
print(t.schema)
`;

const TABLE_COLUMNS = `site_id bigint NOT NULL, day date NOT NULL, readings bigint, kwh_sum numeric(18,3), kwh_avg double precision,
  kwh_max double precision, status text, last_reading_at timestamptz, PRIMARY KEY (site_id, day)`;

function sinkChild(lakeUri: string, manifestPath: string, url: string, jobId: string): Promise<{ seconds: number; rows: number; peakRssMb: number; phases: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/sql-load-child.ts', lakeUri, manifestPath, url, jobId], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`sink child exited with ${code}`))));
  });
}

export async function sqlLoad(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-sql-'));
  const server = await PostgresServer.start();
  try {
    const runDir = join(dir, 'lake', 'bench', 'run=bench-1');
    await mkdir(runDir, { recursive: true });
    const part = join(runDir, 'part-00000.parquet');
    const csvPath = join(dir, 'rows.csv');
    await python(['-c', GENERATE, part, csvPath, String(ROWS)]);
    const manifest = await oneFileRunManifest('bench', runDir, 'part-00000.parquet', ROWS, [
      { name: 'site_id', type: 'bigint', nullable: false },
      { name: 'day', type: 'date', nullable: false },
      { name: 'readings', type: 'bigint', nullable: true },
      { name: 'kwh_sum', type: 'decimal(18,3)', nullable: true },
      { name: 'kwh_avg', type: 'double', nullable: true },
      { name: 'kwh_max', type: 'double', nullable: true },
      { name: 'status', type: 'string', nullable: true },
      { name: 'last_reading_at', type: 'timestamp', nullable: true },
    ]);
    const manifestPath = join(dir, 'manifest.json');
    await writeFile(manifestPath, JSON.stringify(manifest));
    const lakeUri = pathToFileURL(join(dir, 'lake')).href;

    const copyTimes: number[] = [];
    const sinkTimes: number[] = [];
    let peakRss = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await server.query(`DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (${TABLE_COLUMNS})`);
      const started = process.hrtime.bigint();
      await run('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy bench_copy FROM '${csvPath}' CSV`], { env: { ...process.env, ...server.clientEnv() } });
      copyTimes.push(Number(process.hrtime.bigint() - started) / 1e9);

      await server.query('DROP TABLE IF EXISTS bench_sink');
      const sink = await sinkChild(lakeUri, manifestPath, server.url(), `bench-${round}`);
      if (sink.rows !== ROWS) throw new Error(`the sink loaded ${sink.rows} rows, expected ${ROWS}`);
      sinkTimes.push(sink.seconds);
      peakRss = Math.max(peakRss, sink.peakRssMb);
      const copied = Number((await server.query('SELECT count(*) AS c FROM bench_copy'))[0]!.c);
      process.stdout.write(`sql: round ${round + 1}: \\copy ${copyTimes.at(-1)!.toFixed(2)} s (${copied} rows), sink ${sink.seconds.toFixed(2)} s, peak RSS ${sink.peakRssMb.toFixed(0)} MB; phases at ${JSON.stringify(sink.phases)}\n`);
    }
    const best = (times: number[]) => Math.min(...times);
    process.stdout.write(`sql: ${ROWS} rows: \\copy ${(ROWS / best(copyTimes)).toFixed(0)} rows/s, sink ${(ROWS / best(sinkTimes)).toFixed(0)} rows/s\n`);
    report('sql_load_vs_copy', best(copyTimes) / best(sinkTimes), 'x', 2);
    report('sql_load_peak_rss', peakRss, 'MB', 0);
  } finally {
    await server.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
