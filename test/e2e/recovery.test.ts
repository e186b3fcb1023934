// Faults the broker must survive with real parts: a worker killed with SIGKILL while its
// job's Spark run is going, and Redis restarted under waiting and running jobs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http } from '../harness/http.ts';
import { generateReadings } from '../harness/sample-data.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;

beforeAll(async () => {
  // Spark runs are this file's subject: no landing is small enough for the embedded engine
  // (engine.kind auto), whose own end-to-end tests are embedded-engine.test.ts.
  env = await createSluiceEnv({ SLUICE_MAX_RUNNING: '1', SLUICE_EMBEDDED_MAX_BYTES: '0' });
  await generateReadings(join(env.landing, 'meter-readings'), 30_000, 3);
}, 120_000);

afterAll(async () => {
  await env?.close();
});

const runDirsOf = async (jobId: string) => (await readdir(env.runsDir)).filter((name) => name.startsWith(jobId));

describe('a worker killed with SIGKILL during await', () => {
  let api: RunningSluice | undefined;
  const workers: ChildProcess[] = [];
  const startWorker = () => {
    const child = spawn(process.execPath, ['broker/bin/sluice.js', 'worker'], { env: { ...process.env, ...env.env }, stdio: 'ignore' });
    workers.push(child);
    return child;
  };

  afterEach(async () => {
    for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
    await api?.close();
  });

  it('is replaced by another worker that adopts the same Spark run; exactly one run, and the job succeeds', async () => {
    api = await startSluice(env.config(), { api: true, worker: false });
    const client = http(`http://127.0.0.1:${api.port}`, env.apiKey);
    const first = startWorker();
    const submitted = await client.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
    const running = await waitFor('the run to start', async () => {
      const job = await client.job(submitted.id);
      return job.state === 'running' ? job : undefined;
    });
    const runDir = join(env.runsDir, running.run!.runId);
    const pid = await waitFor('the run pid', () => readFile(join(runDir, 'pid'), 'utf8').catch(() => undefined));

    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    startWorker();

    const job = await client.finished(submitted.id);
    expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
    expect(job.attempt).toBe(1);
    expect(job.history.filter((change) => change.state === 'launching')).toHaveLength(1);
    expect(await runDirsOf(submitted.id)).toEqual([running.run!.runId]);
    expect(await readFile(join(runDir, 'pid'), 'utf8')).toBe(pid);
  });
});

describe('Redis restarted with jobs waiting and running', () => {
  it('loses nothing: every job runs exactly once and succeeds, without restarting Sluice', async () => {
    const sluice = await startSluice(env.config(), { api: true, worker: true });
    try {
      const client = http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
      const inputs = ['readings-000', 'readings-001', 'readings-002'].map((name) => `meter-readings/${name}.parquet`);
      const ids: string[] = [];
      for (const input of inputs) ids.push((await client.submit({ pipeline: 'meter-daily', inputs: [input] })).id);
      await waitFor('one job running and the others queued', async () => {
        const jobs = await Promise.all(ids.map((id) => client.job(id)));
        return jobs.some((job) => job.state === 'running') && jobs.filter((job) => job.state === 'queued').length === 2 ? true : undefined;
      });

      await env.redis.restart(2_000);

      for (const id of ids) {
        const job = await client.finished(id);
        expect(job.state, JSON.stringify(job.failure)).toBe('succeeded');
        expect(job.history.filter((change) => change.state === 'launching')).toHaveLength(1);
        expect(await runDirsOf(id)).toEqual([`${id}-1`]);
      }
    } finally {
      await sluice.close();
    }
  });
});
