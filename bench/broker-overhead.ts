// Broker overhead: 5,000 jobs through POST /v1/jobs, run by a launcher that finishes at
// once, against raw BullMQ add + process of the same count on the same Redis, in the same
// run. The HTTP clients run in a process of their own, as real clients do; raw BullMQ adds
// from its own process, as a producer would. Prints the throughput ratio and the p99 submit-to-start latency Sluice adds.
//   BENCH api_submit_vs_bullmq <ratio> x       (target ≥ 0.5)
//   BENCH submit_to_start_p99_added <ms> ms     (target < 5)
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { loadConfig } from '../broker/config.ts';
import { PipelineSchema } from '../broker/core/pipeline.ts';
import { pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { redisOptions, startSluice } from '../broker/sluice.ts';
import { createSluiceEnv } from '../test/harness/sluice-env.ts';
import { InstantLauncher, MemoryLake } from './instant-launcher.ts';
import { inParallel } from '../broker/in-parallel.ts';
import { percentile, report } from './stats.ts';

const JOBS = 5_000;
const CLIENTS = 32;
const WORKER_CONCURRENCY = 32;
const PACED_JOBS = 1_000;
// Latency is measured at a steady, moderate rate (well under either path's capacity, as a
// broker normally runs), so that it shows the cost of the path rather than queueing.
const PACED_PER_SECOND = 50;

type Phase = { throughput: number; p99Ms: number };

/** Sends `count` items either as fast as `CLIENTS` lanes allow, or paced at a steady rate. */
async function drive(count: number, paced: boolean, send: (i: number) => Promise<void>): Promise<void> {
  if (!paced) return inParallel(Array.from({ length: count }, (_, i) => i), CLIENTS, (i) => send(i));
  const gap = 1_000 / PACED_PER_SECOND;
  const start = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const wait = start + i * gap - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(send(i));
  }
  await Promise.all(sends);
}

async function rawBullmq(redisUrl: string, count: number, paced: boolean, round: number): Promise<Phase> {
  const connection = redisOptions(redisUrl);
  const prefix = `raw${round}`;
  const queue = new Queue('raw', { connection, prefix });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let done = 0;
  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker(
    'raw',
    async (job) => {
      latencies.push(performance.now() - sentAt.get(job.id!)!);
      done += 1;
      if (done === count) finish();
    },
    { connection, prefix, concurrency: WORKER_CONCURRENCY },
  );
  await worker.waitUntilReady();
  const start = performance.now();
  await drive(count, paced, async (i) => {
    const id = `r${i}`;
    sentAt.set(id, performance.now());
    await queue.add('job', { pipeline: 'bench', inputs: ['bench/input.parquet'] }, { jobId: id, removeOnComplete: true });
  });
  await allDone;
  const seconds = (performance.now() - start) / 1_000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { throughput: count / seconds, p99Ms: percentile(latencies, 99) };
}

/** Runs the load generator in its own process; resolves with each job's submit time. */
async function loadClient(url: string, apiKey: string, count: number, rate: number): Promise<Record<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-client.ts', url, apiKey, String(count), String(CLIENTS), String(rate)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load client exited with ${code}`);
  return JSON.parse(out) as Record<string, number>;
}

async function throughSluice(settings: Record<string, string>, redisUrl: string, apiKey: string, count: number, paced: boolean, round: number): Promise<Phase> {
  const config = loadConfig({ ...settings, SLUICE_REDIS_URL: redisUrl, SLUICE_QUEUE_PREFIX: `bench${round}` });
  const lake = new MemoryLake();
  const launcher = new InstantLauncher(lake);
  const pipeline = PipelineSchema.parse({
    name: 'bench',
    input: { columns: { x: 'long' } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: 'bench' } },
    policy: { concurrency: 1_000 },
  });
  const sluice = await startSluice(config, { api: true, worker: true }, { launcher, lake, pipelines: pipelineRegistry([pipeline]) });
  const startedAt = new Map<string, number>();
  let done = 0;
  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finish = resolve));
  launcher.onLaunch = (jobId) => startedAt.set(jobId, performance.timeOrigin + performance.now());
  sluice.store.onTransition((job) => {
    if (job.state !== 'succeeded') return;
    done += 1;
    if (done === count) finish();
  });
  const start = performance.now();
  const sentAt = await loadClient(`http://127.0.0.1:${sluice.port}`, apiKey, count, paced ? PACED_PER_SECOND : 0);
  await allDone;
  const seconds = (performance.now() - start) / 1_000;
  const latencies = Object.entries(sentAt).map(([id, at]) => startedAt.get(id)! - at);
  await sluice.close();
  return { throughput: count / seconds, p99Ms: percentile(latencies, 99) };
}

export async function brokerOverhead(): Promise<void> {
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'silent', SLUICE_MAX_RUNNING: '1000', SLUICE_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) });
  try {
    // Warm both paths once (JIT, Redis script cache), then measure.
    await rawBullmq(env.redis.url, 300, false, 0);
    await throughSluice(env.env, env.redis.url, env.apiKey, 300, false, 0);
    const raw = await rawBullmq(env.redis.url, JOBS, false, 1);
    const sluice = await throughSluice(env.env, env.redis.url, env.apiKey, JOBS, false, 1);
    process.stdout.write(`broker: raw BullMQ ${raw.throughput.toFixed(0)} jobs/s, Sluice ${sluice.throughput.toFixed(0)} jobs/s (${JOBS} jobs, ${CLIENTS} clients)\n`);
    report('api_submit_vs_bullmq', sluice.throughput / raw.throughput, 'x');
    const rawPaced = await rawBullmq(env.redis.url, PACED_JOBS, true, 2);
    const sluicePaced = await throughSluice(env.env, env.redis.url, env.apiKey, PACED_JOBS, true, 2);
    process.stdout.write(`broker: submit-to-start p99 at ${PACED_PER_SECOND}/s: raw BullMQ ${rawPaced.p99Ms.toFixed(2)} ms, Sluice ${sluicePaced.p99Ms.toFixed(2)} ms\n`);
    report('submit_to_start_p99_added', sluicePaced.p99Ms - rawPaced.p99Ms, 'ms');
  } finally {
    await env.close();
  }
}
