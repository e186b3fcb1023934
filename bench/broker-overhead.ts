// Broker overhead: 5,000 jobs through POST /v1/jobs, run by a launcher that finishes at
// once, against raw BullMQ add + process of the same count on the same Redis, in the same
// run. Prints the throughput ratio and the p99 submit-to-start latency Sluice adds.
//   BENCH api_submit_vs_bullmq <ratio> x       (target ≥ 0.5)
//   BENCH submit_to_start_p99_added <ms> ms     (target < 5)
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { PipelineSchema } from '../broker/core/pipeline.ts';
import { createFsStorage } from '../broker/lake/fs-storage.ts';
import { pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { redisOptions, startSluice } from '../broker/sluice.ts';
import { createSluiceEnv } from '../test/harness/sluice-env.ts';
import { InstantLauncher } from './instant-launcher.ts';
import { inParallel, percentile, report } from './stats.ts';

const JOBS = 5_000;
const CLIENTS = 32;
const WORKER_CONCURRENCY = 32;
const PACED_JOBS = 1_000;
const PACED_PER_SECOND = 200;

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

async function throughSluice(settings: Record<string, string>, redisUrl: string, apiKey: string, count: number, paced: boolean, round: number): Promise<Phase> {
  const env = { ...settings, SLUICE_REDIS_URL: redisUrl, SLUICE_QUEUE_PREFIX: `bench${round}` };
  const { loadConfig } = await import('../broker/config.ts');
  const config = loadConfig(env);
  const launcher = new InstantLauncher(createFsStorage(config.SLUICE_LAKE_URI));
  const pipeline = PipelineSchema.parse({
    name: 'bench',
    input: { columns: { x: 'long' } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: 'bench' } },
    policy: { concurrency: 1_000 },
  });
  const sluice = await startSluice(config, { api: true, worker: true }, { launcher, pipelines: pipelineRegistry([pipeline]) });
  const url = `http://127.0.0.1:${sluice.port}/v1/jobs`;
  const sentAt: number[] = [];
  const startedAt = new Map<string, number>();
  const indexOf = new Map<string, number>();
  let done = 0;
  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finish = resolve));
  launcher.onLaunch = (jobId) => startedAt.set(jobId, performance.now());
  sluice.store.onTransition((job) => {
    if (job.state !== 'succeeded') return;
    done += 1;
    if (done === count) finish();
  });
  const body = JSON.stringify({ pipeline: 'bench', inputs: ['bench/input.parquet'] });
  const start = performance.now();
  await drive(count, paced, async (i) => {
    sentAt[i] = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body });
    if (response.status !== 201) throw new Error(`submit failed: ${response.status} ${await response.text()}`);
    indexOf.set(((await response.json()) as { id: string }).id, i);
  });
  await allDone;
  const seconds = (performance.now() - start) / 1_000;
  const latencies = [...startedAt].map(([id, at]) => at - sentAt[indexOf.get(id)!]!);
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
