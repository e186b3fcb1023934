// The broker's life around its jobs, with real Redis, the real local launcher and the
// stand-in app: it refuses a Redis that could lose jobs, expires finished jobs after the
// retention (their driver logs archived in the lake), stops cleanly on SIGTERM without
// killing Spark runs, and the CLI follows a job to its end.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal } from '../../broker/core/job.ts';
import { createLogger } from '../../broker/logger.ts';
import { expireFinishedJobs } from '../../broker/jobs/maintenance.ts';
import { RunSlots } from '../../broker/jobs/run-slots.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { freePort } from '../harness/free-port.ts';
import { RedisServer } from '../harness/redis-server.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline, standInPipelinesDir } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';
import { Redis } from 'ioredis';

let env: SluiceEnv;
let childEnv: Record<string, string>;
const children: ChildProcess[] = [];
let sluice: RunningSluice | undefined;

beforeAll(async () => {
  const appsDir = await standInAppsDir();
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: appsDir, SLUICE_AWAIT_POLL: '500ms' });
  childEnv = { ...env.env, SLUICE_PIPELINES_DIR: await standInPipelinesDir('stand-in'), SLUICE_API_PORT: String(await freePort()) };
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await sluice?.close();
  sluice = undefined;
});

afterAll(async () => {
  await env?.close();
});

function sluiceProcess(args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['broker/bin/sluice.js', ...args], { env: { ...process.env, ...childEnv, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('start-up', () => {
  it.each([
    [{ appendonly: 'no' }, /appendonly is "no".*appendonly yes/s],
    [{ 'maxmemory-policy': 'allkeys-lru' }, /maxmemory-policy is "allkeys-lru".*noeviction/s],
  ])('refuses a Redis with %o, saying what to change', async (settings, message) => {
    const redis = await RedisServer.start({ settings });
    try {
      await expect(startSluice(env.config({ SLUICE_REDIS_URL: redis.url }), { api: true, worker: true })).rejects.toThrow(message);
      const client = new Redis(redis.url);
      expect(await client.dbsize()).toBe(0);
      client.disconnect();
    } finally {
      await redis.destroy();
    }
  });
  it('stops cleanly however soon after start it is told to (no error left behind by connections still starting)', async () => {
    // Closing BullMQ's queue or worker while its connections start once left an unhandled
    // "Connection is closed" behind, a few stops in a hundred (close-when-ready.ts).
    const leftBehind: unknown[] = [];
    const listener = (reason: unknown): void => void leftBehind.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const pipelines = pipelineRegistry([standInPipeline('stand-in')]);
      for (let round = 0; round < 150; round += 1) {
        const running = await startSluice(env.config(), { api: round % 3 === 0, worker: true }, { pipelines });
        await running.close();
      }
      // An unhandled rejection is reported after the microtask queue drains.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(leftBehind.map((reason) => String(reason))).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  }, 60_000);
});

describe('retention', () => {
  it('removes a finished job after the retention, archiving its driver log in the lake first', async () => {
    const pipelines = pipelineRegistry([standInPipeline('stand-in')]);
    sluice = await startSluice(env.config(), { api: false, worker: true }, { pipelines });
    const { job } = await sluice.jobs.submit({ pipeline: 'stand-in', parameters: {}, inputs: ['none.parquet'], labels: {} });
    const done = await waitFor('the job to finish', async () => {
      const current = await sluice!.jobs.get(job.id);
      return isFinal(current.state) ? current : undefined;
    });
    expect(done.state).toBe('succeeded');
    const deps = {
      store: sluice.store,
      queue: sluice.queue,
      slots: new RunSlots(new Redis(env.redis.url), redisKeys('sluice'), 1),
      launchers: sluice.launchers,
      lake: sluice.lake,
      logger: createLogger('silent'),
      retentionMs: 60_000,
    };
    expect(await expireFinishedJobs(deps)).toBe(0);
    expect(await expireFinishedJobs({ ...deps, now: () => new Date(Date.now() + 61_000) })).toBe(1);
    await expect(sluice.jobs.get(job.id)).rejects.toThrow(/does not exist/);
    const archived = await sluice.lake.read(`_logs/stand-in/${job.id}/attempt-1/driver.log`);
    expect(archived?.toString()).toContain(`stand-in run job=${job.id}`);
    await expect(access(join(env.runsDir, `${job.id}-1`))).rejects.toThrow();
  });
});

describe('SIGTERM', () => {
  it('stops the server promptly with exit 0, leaves the Spark run going, and a restarted server finishes the job', async () => {
    const first = sluiceProcess(['serve']);
    const url = `http://127.0.0.1:${childEnv.SLUICE_API_PORT}`;
    await waitFor('the API', () => fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined), 60_000);
    const response = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline: 'stand-in', parameters: { seconds: 8 }, inputs: ['none.parquet'] }),
    });
    const { id } = (await response.json()) as { id: string };
    const pidFile = join(env.runsDir, `${id}-1`, 'pid');
    const pid = Number(await waitFor('the run to start', () => readFile(pidFile, 'utf8').catch(() => undefined), 60_000));

    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(() => process.kill(pid, 0)).not.toThrow();

    const second = sluiceProcess(['serve']);
    await waitFor('the API again', () => fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined), 60_000);
    const job = await waitFor('the job to finish', async () => {
      const body = (await (await fetch(`${url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${env.apiKey}` } })).json()) as { state: string; history: Array<{ state: string }> };
      return isFinal(body.state as never) ? body : undefined;
    }, 60_000);
    expect(job.state).toBe('succeeded');
    expect(job.history.filter((change) => change.state === 'launching')).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });
});

describe('the CLI', () => {
  it('submit --follow prints progress lines and exits 0 for a succeeded job, 1 with the reason for a failed one', async () => {
    const server = sluiceProcess(['serve']);
    const url = `http://127.0.0.1:${childEnv.SLUICE_API_PORT}`;
    await waitFor('the API', () => fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined), 60_000);
    const client = { SLUICE_URL: url, SLUICE_API_KEY: env.apiKey };

    const ok = sluiceProcess(['submit', 'stand-in', '--input', 'none.parquet', '--param', 'seconds=1', '--follow'], client);
    expect(await ok.exit).toBe(0);
    expect(ok.output()).toMatch(/queued .*submitted/);
    expect(ok.output()).toMatch(/running .*spark run/);
    expect(ok.output()).toMatch(/: succeeded \(attempt 1 of 3/);

    const bad = sluiceProcess(['submit', 'stand-in', '--input', 'none.parquet', '--param', 'exit=65', '--follow'], client);
    expect(await bad.exit).toBe(1);
    expect(bad.output()).toMatch(/failure \(data, running\): stand-in failure/);

    const refused = sluiceProcess(['submit', 'stand-in', '--input', '../outside.parquet'], client);
    expect(await refused.exit).toBe(2);
    expect(refused.output()).toMatch(/inputs\.0: .*outside the landing roots/);
    server.child.kill('SIGTERM');
    await server.exit;
  });
});
