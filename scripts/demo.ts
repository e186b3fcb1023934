// `make demo`: Sluice's main job on its embedded defaults, on this machine alone. It starts
// Redis (AOF on) in .sluice/demo, generates 2 million meter readings as Parquet (once),
// starts `sluice serve`, submits the meter-daily pipeline over HTTP, follows it with
// progress lines, and prints what came out. Exits 0 when the job succeeded.
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatApiKeyEntry, newApiKey } from '../broker/api/auth.ts';
import { ApiClient } from '../broker/cli/api-client.ts';
import { followJob } from '../broker/cli/follow-job.ts';
import { createFsStorage } from '../broker/lake/fs-storage.ts';
import { readCommittedRun } from '../broker/lake/manifests.ts';
import { readRunRows } from '../broker/lake/run-rows.ts';
import { freePort } from '../test/harness/free-port.ts';
import { RedisServer } from '../test/harness/redis-server.ts';

const ROWS = 2_000_000;
const FILES = 4;
const root = resolve('.sluice/demo');
const landing = join(root, 'landing');
const lakeUri = pathToFileURL(join(root, 'lake')).href;
const say = (line: string) => process.stdout.write(`demo: ${line}\n`);

async function run(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
}

async function waitForHealth(url: string, child: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sluice serve exited with ${child.exitCode}; see ${join(root, 'sluice.log')}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('sluice serve did not answer /healthz within 60 s');
}

/** One aggregate row as `name=value` pairs: dates as days, numbers rounded for reading. */
function formatRow(row: Record<string, unknown>): string {
  const show = (value: unknown): string => {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
    return String(value);
  };
  return Object.entries(row).map(([name, value]) => `${name}=${show(value)}`).join('  ');
}

async function main(): Promise<number> {
  await mkdir(landing, { recursive: true });
  const readings = join(landing, 'meter-readings');
  if (!existsSync(join(readings, `readings-${String(FILES - 1).padStart(3, '0')}.parquet`))) {
    say(`generating ${ROWS.toLocaleString('en')} meter readings in ${FILES} Parquet files`);
    await run('.venv/bin/python', ['examples/generate_meter_readings.py', '--out', readings, '--rows', String(ROWS), '--files', String(FILES)]);
  } else {
    say(`sample data already in ${readings}`);
  }

  say('starting redis-server (AOF on, noeviction)');
  const redis = await RedisServer.start({ dir: join(root, 'redis') });
  const apiKey = newApiKey();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(join(root, 'sluice.log'), 'a');
  say(`starting sluice serve on ${url} (log: ${join(root, 'sluice.log')})`);
  const sluice = spawn(process.execPath, ['broker/bin/sluice.js', 'serve'], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      SLUICE_REDIS_URL: redis.url,
      SLUICE_API_PORT: String(port),
      SLUICE_API_KEYS: formatApiKeyEntry('demo', ['admin'], apiKey),
      SLUICE_LAKE_URI: lakeUri,
      SLUICE_LANDING_ROOTS: landing,
      SLUICE_RUNS_DIR: join(root, 'runs'),
      SLUICE_AWAIT_POLL: '2s',
    },
  });
  try {
    await waitForHealth(url, sluice);
    const client = new ApiClient(url, apiKey);
    const started = Date.now();
    const submitted = await client.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'], parameters: {}, labels: { source: 'demo' } });
    say(`submitted job ${submitted.id} (POST /v1/jobs); following it`);
    const job = await followJob(client, submitted.id, { print: (line) => process.stdout.write(`  ${line}\n`) });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    process.stdout.write(`\njob ${job.id}: ${job.state} in ${seconds} s (attempt ${job.attempt})\n`);
    process.stdout.write('state history:\n');
    for (const change of job.history) process.stdout.write(`  ${change.at}  ${change.state.padEnd(9)} ${change.reason ?? ''}\n`);
    if (job.state !== 'succeeded' || !job.output) {
      process.stdout.write(`failure: ${JSON.stringify(job.failure, null, 2)}\n`);
      return 1;
    }
    process.stdout.write(`rows read:    ${job.output.rowsIn.toLocaleString('en')}\n`);
    process.stdout.write(`rows written: ${job.output.rowsOut.toLocaleString('en')}\n`);
    process.stdout.write(`lake run:     ${job.output.runUri} (${job.output.files} files, ${job.output.bytes} bytes)\n`);
    const lake = createFsStorage(lakeUri);
    const manifest = await readCommittedRun(lake, job.output.table, job.id, job.attempt);
    if (!manifest) throw new Error('the job succeeded but its run has no manifest');
    const rows = await readRunRows(lake, manifest, 5);
    process.stdout.write('first aggregate rows:\n');
    for (const row of rows) process.stdout.write(`  ${formatRow(row)}\n`);
    return 0;
  } finally {
    sluice.kill('SIGTERM');
    await new Promise((done) => (sluice.exitCode !== null ? done(null) : sluice.once('exit', done)));
    await redis.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
