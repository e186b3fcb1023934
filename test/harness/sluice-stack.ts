// One whole Sluice for test suites written in other languages (the Airflow provider's pytest
// suites): a real redis-server, temporary folders and `sluice serve` (API, worker and
// watchers in one process, the local launcher), started on free ports. Run it with
//   node --import tsx test/harness/sluice-stack.ts [--spark stand-in|real] [--readings N]
// It prints one JSON line (url, apiKey, folders) once the API answers, then obeys lines on
// stdin: `stop` stops `sluice serve` (Sluice unreachable; detached Spark runs go on), `start`
// starts it again on the same port, and each is answered by one line `stopped` or `started`.
// When stdin closes (the test process ended) or on SIGTERM it stops everything and removes
// its folders.
//   --spark stand-in  (default) the stand-in app (stand-in-app.ts) in place of Spark's work,
//                     and one pipeline, `stand-in`, whose parameters steer it
//   --spark real      the real spark-apps/ and the example pipelines (examples/pipelines),
//                     with --readings meter readings (default 20000) landed in meter-readings/
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { freePort } from './free-port.ts';
import { generateReadings } from './sample-data.ts';
import { createSluiceEnv, type SluiceEnv } from './sluice-env.ts';
import { standInAppsDir } from './stand-in-app.ts';
import { waitFor } from './wait-for.ts';

const STAND_IN_PIPELINE = [
  'name: stand-in',
  'description: the stand-in app (test/harness/stand-in-app.ts); its parameters steer the run',
  'input: { columns: { x: long } }',
  'parameters:',
  '  seconds: { type: number, default: 0 }',
  '  exit: { type: number, default: 0 }',
  '  rows: { type: number, default: 0 }',
  '  linger: { type: number, default: 0 }',
  'transform: { group_by: [x], metrics: [{ name: n, fn: count }] }',
  'outputs: { lake: { table: stand_in } }',
  'engine: { cores: 1, driver_memory: 256m }',
  "policy: { backoff: { initial: 500ms, max: 1s, factor: 2 } }",
  '',
].join('\n');

const { values: options } = parseArgs({
  options: { spark: { type: 'string', default: 'stand-in' }, readings: { type: 'string', default: '20000' } },
});
if (options.spark !== 'stand-in' && options.spark !== 'real') throw new Error(`--spark is stand-in or real, not "${options.spark}"`);

/** Folders of this process's own, removed at the end. */
const scratch: string[] = [];

async function settingsFor(spark: 'stand-in' | 'real'): Promise<Record<string, string>> {
  if (spark === 'real') return { SLUICE_PIPELINES_DIR: 'examples/pipelines' };
  const pipelines = await mkdtemp(join(tmpdir(), 'sluice-pipelines-'));
  scratch.push(pipelines);
  await writeFile(join(pipelines, 'stand-in.yaml'), STAND_IN_PIPELINE);
  const apps = await standInAppsDir();
  scratch.push(apps);
  return { SLUICE_PIPELINES_DIR: pipelines, SLUICE_SPARK_APPS_DIR: apps };
}

const settings = await settingsFor(options.spark);
const port = await freePort();
const env: SluiceEnv = await createSluiceEnv({ ...settings, SLUICE_API_PORT: String(port), SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'warn' });
if (options.spark === 'real') await generateReadings(join(env.landing, 'meter-readings'), Number(options.readings), 2);
const url = `http://127.0.0.1:${port}`;
let server: ChildProcess | undefined;

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, ['broker/bin/sluice.js', 'serve'], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env.env },
    // Its log goes to this process's stderr, which pytest shows for a failed test.
    stdio: ['ignore', process.stderr, process.stderr],
  });
  server = child;
  await waitFor('sluice serve to answer /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`sluice serve exited with code ${child.exitCode}`);
    return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok || undefined;
  }, 60_000, 100);
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

let closing: Promise<void> | undefined;
function shutdown(): Promise<void> {
  closing ??= (async () => {
    await stopServer();
    await env.close();
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
    process.exit(0);
  })();
  return closing;
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

await startServer();
process.stdout.write(
  `${JSON.stringify({ url, apiKey: env.apiKey, landing: env.landing, lakeDir: env.lakeDir, runsDir: env.runsDir, redisUrl: env.redis.url, spark: options.spark })}\n`,
);
const commands = createInterface({ input: process.stdin });
for await (const line of commands) {
  const command = line.trim();
  if (command === 'stop') {
    await stopServer();
    process.stdout.write('stopped\n');
  } else if (command === 'start') {
    await startServer();
    process.stdout.write('started\n');
  } else if (command) {
    process.stdout.write(`unknown command "${command}" (stop, start)\n`);
  }
}
await shutdown();
