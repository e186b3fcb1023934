// Watcher benchmarks, on real folders with the real watch role.
// 1. Landing latency: 1,000 files written at a steady rate into a watched folder (stable rule,
//    quiet 500 ms, one file per batch); time from a file's close to its job being queued.
//      BENCH landing_to_queued_p95 <ms> ms        (target < quiet + 250 ms = 750 ms)
//    The baseline a DAG author knows is Airflow's FileSensor, which pokes every 60 s by default:
//    it notices a file 30 s after it lands on average, 60 s at worst.
// 2. Idle cost: 100,000 files under watch (all landed already), `sluice watch` in its own
//    process; resident memory, and CPU over one quiet minute as a percentage of one core.
//      BENCH idle_watch_100k_rss <MB> MB
//      BENCH idle_watch_100k_cpu <percent> %
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { Redis } from 'ioredis';
import { PipelineSchema } from '../broker/core/pipeline.ts';
import { pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { startSluice } from '../broker/sluice.ts';
import { parquetBytes } from '../test/harness/parquet-bytes.ts';
import { createSluiceEnv, type SluiceEnv } from '../test/harness/sluice-env.ts';
import { waitFor } from '../test/harness/wait-for.ts';
import { percentile, report } from './stats.ts';
import { landingKeys } from '../watchers/landing-keys.ts';

const LATENCY_FILES = 1_000;
const FILES_PER_SECOND = 50;
const QUIET = '500ms';
const IDLE_FILES = 100_000;
const IDLE_FOLDERS = 100;
const IDLE_WINDOW_MS = 60_000;

const pipelineFor = (folder: string, maxFiles: number) => ({
  name: 'bench-landing',
  input: { columns: { x: 'long' } },
  transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
  outputs: { lake: { table: 'bench_landing' } },
  sources: [{ kind: 'fs', path: folder, ready: { rule: 'stable', quiet: QUIET } }],
  batch: { max_files: maxFiles, max_wait: '1s' },
});

async function landingLatency(env: SluiceEnv): Promise<void> {
  const folder = join(env.landing, 'latency');
  await mkdir(folder, { recursive: true });
  const pipelines = pipelineRegistry([PipelineSchema.parse(pipelineFor(folder, 1))]);
  const sluice = await startSluice(env.config({ SLUICE_QUEUE_PREFIX: 'latency' }), { api: false, worker: false, watch: true }, { pipelines });
  const closedAt = new Map<string, number>();
  const queuedAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  // Real Parquet: the watchers read each landing's footer before batching it.
  const [content] = await parquetBytes({ rows: 10 });
  try {
    const start = Date.now();
    for (let i = 0; i < LATENCY_FILES; i += 1) {
      const wait = start + (i * 1_000) / FILES_PER_SECOND - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const path = join(folder, `f-${String(i).padStart(5, '0')}.parquet`);
      await writeFile(`${path}.tmp`, content!);
      await rename(`${path}.tmp`, path);
      closedAt.set(path, Date.now());
    }
    await waitFor('every landing queued', async () => {
      let cursor: string | undefined;
      do {
        const page = await sluice.jobs.list({ pipeline: 'bench-landing', limit: 200, ...(cursor ? { cursor } : {}) });
        for (const job of page.items) queuedAt.set(job.inputs[0]!, Date.parse(job.createdAt));
        cursor = page.nextCursor;
      } while (cursor);
      return queuedAt.size >= LATENCY_FILES ? true : undefined;
    }, 60_000, 500);
    // Where the time goes: close → ready (the readiness rule) and ready → queued (batch, submit).
    let cursor: string | undefined;
    do {
      const page = await sluice.landings.list({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const landing of page.items) if (landing.readyAt) readyAt.set(landing.uri, Date.parse(landing.readyAt));
      cursor = page.nextCursor;
    } while (cursor);
  } finally {
    await sluice.close();
  }
  const latencies = [...closedAt].map(([path, at]) => queuedAt.get(path)! - at);
  const toReady = [...closedAt].map(([path, at]) => readyAt.get(path)! - at);
  process.stdout.write(`landing: ${LATENCY_FILES} files at ${FILES_PER_SECOND}/s, quiet ${QUIET}: close → queued p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms (close → ready p95 ${percentile(toReady, 95)} ms)\n`);
  report('landing_to_queued_p95', percentile(latencies, 95), 'ms', 0);
}

/** utime + stime of a process, in seconds, and its resident memory in MB, from /proc. */
async function processUsage(pid: number): Promise<{ cpuSeconds: number; rssMb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuSeconds: ticks / 100, rssMb: rssKb / 1024 };
}

async function idleWatch(env: SluiceEnv): Promise<void> {
  const folder = join(env.landing, 'idle');
  const [content] = await parquetBytes({ rows: 10 });
  for (let d = 0; d < IDLE_FOLDERS; d += 1) {
    const dir = join(folder, `d-${String(d).padStart(3, '0')}`);
    await mkdir(dir, { recursive: true });
    const perFolder = IDLE_FILES / IDLE_FOLDERS;
    await Promise.all(Array.from({ length: perFolder }, (_, i) => writeFile(join(dir, `f-${i}.parquet`), content!)));
  }
  const pipelinesDir = join(env.dir, 'idle-pipelines');
  await mkdir(pipelinesDir, { recursive: true });
  await writeFile(join(pipelinesDir, 'bench-landing.yaml'), toYaml(pipelineFor(folder, 200)));
  const child = spawn(process.execPath, ['broker/bin/sluice.js', 'watch'], {
    env: { ...process.env, ...env.env, SLUICE_PIPELINES_DIR: pipelinesDir, SLUICE_QUEUE_PREFIX: 'idle', SLUICE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const redis = new Redis(env.redis.url);
  try {
    const started = Date.now();
    // Every file landed and batched: the watcher has nothing left to do.
    await waitFor('all 100,000 files batched', async () => {
      const batched = await redis.zcard(landingKeys('idle').byState('batched'));
      return batched >= IDLE_FILES ? true : undefined;
    }, 600_000, 2_000);
    process.stdout.write(`idle: ${IDLE_FILES} files taken in by the watcher in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const before = await processUsage(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const after = await processUsage(child.pid!);
    const cpuPercent = ((after.cpuSeconds - before.cpuSeconds) / (IDLE_WINDOW_MS / 1_000)) * 100;
    process.stdout.write(`idle: ${IDLE_FILES} files under watch: RSS ${after.rssMb.toFixed(0)} MB, CPU ${cpuPercent.toFixed(2)} % of a core over ${IDLE_WINDOW_MS / 1000} s\n`);
    report('idle_watch_100k_rss', after.rssMb, 'MB', 0);
    report('idle_watch_100k_cpu', cpuPercent, '%');
  } finally {
    child.kill('SIGTERM');
    redis.disconnect();
  }
}

export async function landingWatch(parts: Array<'latency' | 'idle'> = ['latency', 'idle']): Promise<void> {
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'silent' });
  try {
    if (parts.includes('latency')) await landingLatency(env);
    if (parts.includes('idle')) await idleWatch(env);
  } finally {
    await env.close();
  }
}
