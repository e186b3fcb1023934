// Event fan-out: 20 SSE clients follow GET /v1/events while 1,000 jobs run through the
// instant launcher, the API and the worker in processes of their own (as `sluice api` and
// `sluice worker`), the clients in a third. For
// every transition (queued, written by the API; launching, running, succeeded, by the worker)
// the time from its write to its delivery at each client. The write's time is the event's
// stream id, Redis's clock (same machine) when the script appended it, in whole ms: rounded
// down, so a latency reads up to 1 ms long, never short. (The writer's own clock after the
// script returns is later still when its event loop is busy: the raw reader got events
// "before" it.)
//   BENCH events_fanout_p99 <ms> ms      (target < 50 ms)
// Measured in the same run, the baseline: a raw XREAD BLOCK reader on the same stream, in
// the clients' process, i.e. what Redis alone costs; the difference is the hub, the feed and
// SSE. Jobs arrive at a steady 100 a second (well under the broker's capacity, as it
// normally runs), so the figure shows the path's cost rather than queueing.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadConfig } from '../broker/config.ts';
import { redisKeys } from '../broker/jobs/redis-keys.ts';
import { startSluice } from '../broker/sluice.ts';
import { createSluiceEnv } from '../test/harness/sluice-env.ts';
import { benchPipelines } from './bench-pipeline.ts';
import { percentile, report } from './stats.ts';

const JOBS = 1_000;
const CLIENTS = 20;
const PER_SECOND = 100;
/** Events per job on the stream: queued (written by the API), launching, running, succeeded (the worker). */
const EVENTS_PER_JOB = 4;

type ClientTimes = { sse: Record<string, number[]>; raw: Record<string, number> };

export async function eventsFanout(): Promise<void> {
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'silent', SLUICE_MAX_RUNNING: '1000' });
  const config = loadConfig(env.env);
  const api = await startSluice(config, { api: true, worker: false }, { pipelines: benchPipelines() });
  const worker = spawn(process.execPath, ['--import', 'tsx', 'bench/events-worker.ts', JSON.stringify(env.env)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const workerExited = new Promise<number | null>((resolve) => worker.on('exit', resolve));
  const url = `http://127.0.0.1:${api.port}`;
  try {
    if ((await createInterface({ input: worker.stdout })[Symbol.asyncIterator]().next()).value !== 'ready') throw new Error('the worker did not start');
    const clients = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/events-clients.ts', url, env.apiKey, env.redis.url, redisKeys(config.SLUICE_QUEUE_PREFIX).events, String(CLIENTS), String(JOBS * EVENTS_PER_JOB)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: clients.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((resolve) => clients.on('exit', resolve));
    if ((await lines.next()).value !== 'ready') throw new Error('the events clients did not start');
    const load = spawn(process.execPath, ['--import', 'tsx', 'bench/load-client.ts', url, env.apiKey, String(JOBS), '1', String(PER_SECOND)], { stdio: ['ignore', 'ignore', 'inherit'] });
    const loadCode = await new Promise<number | null>((resolve) => load.on('exit', resolve));
    if (loadCode !== 0) throw new Error(`load client exited with ${loadCode}`);
    const result = (await lines.next()).value as string | undefined;
    if ((await exited) !== 0 || !result) throw new Error('the events clients failed');
    const times = JSON.parse(result) as ClientTimes;
    const sseLatencies: number[] = [];
    const rawLatencies: number[] = [];
    for (const [id, received] of Object.entries(times.raw)) {
      const writtenAt = Number(id.slice(0, id.indexOf('-')));
      rawLatencies.push(received - writtenAt);
      for (const at of times.sse[id] ?? []) sseLatencies.push(at - writtenAt);
    }
    const expected = JOBS * EVENTS_PER_JOB;
    if (rawLatencies.length !== expected || sseLatencies.length !== expected * CLIENTS) {
      throw new Error(`expected ${expected} transitions at the raw reader and ${expected * CLIENTS} deliveries, got ${rawLatencies.length} and ${sseLatencies.length}`);
    }
    process.stdout.write(
      `events: ${JOBS} jobs at ${PER_SECOND}/s, ${CLIENTS} SSE clients; transition → delivery p50/p99: raw XREAD ${percentile(rawLatencies, 50).toFixed(2)}/${percentile(rawLatencies, 99).toFixed(2)} ms, ` +
        `SSE ${percentile(sseLatencies, 50).toFixed(2)}/${percentile(sseLatencies, 99).toFixed(2)} ms (${sseLatencies.length} deliveries)\n`,
    );
    report('events_fanout_p99', percentile(sseLatencies, 99), 'ms');
  } finally {
    worker.kill('SIGTERM');
    await workerExited;
    await api.close();
    await env.close();
  }
}
