// Pausing the jobs queue holds launches only (ADR 0025): while paused, no queued job starts a
// run, and everything else goes on: a cancel stops a running job at once, a stage timeout
// fires, a run that ends is recorded. Resume starts the held jobs at once, not at their next
// look. Real Redis, BullMQ, API and worker at their default settings; a launcher whose runs
// go on until cancelled.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunHandle } from '../../broker/core/job.ts';
import type { Launcher, RunRequest, RunStatus } from '../../broker/launchers/launcher.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInPipeline } from '../harness/stand-in-app.ts';

/** Runs that go on until cancelled, or until the test ends them. */
class HeldLauncher implements Launcher {
  readonly name = 'local';
  readonly launched: string[] = [];
  readonly cancelled: string[] = [];
  readonly ended = new Map<string, RunStatus>();
  async launch(request: RunRequest): Promise<RunHandle> {
    this.launched.push(request.jobId);
    return { launcher: this.name, runId: `${request.jobId}-${request.attempt}`, attempt: request.attempt, startedAt: new Date().toISOString() };
  }
  async status(handle: RunHandle): Promise<RunStatus> {
    const jobId = handle.runId.replace(/-\d+$/, '');
    if (this.cancelled.includes(jobId)) return { phase: 'failed', failureClass: 'platform', message: 'killed by the cancel', logTail: '' };
    return this.ended.get(jobId) ?? { phase: 'running' };
  }
  async cancel(handle: RunHandle): Promise<void> {
    this.cancelled.push(handle.runId.replace(/-\d+$/, ''));
  }
  async *logs(): AsyncGenerator<string> {}
  async runsOf(): Promise<RunHandle[]> {
    return [];
  }
}

let env: SluiceEnv;
let sluice: RunningSluice;
const launcher = new HeldLauncher();

beforeAll(async () => {
  env = await createSluiceEnv();
  await writeFile(join(env.landing, 'a.parquet'), 'x');
  const pipelines = pipelineRegistry([
    standInPipeline('held', { max_attempts: 1 }),
    standInPipeline('short', { max_attempts: 1, timeouts: { running: '3s' } }),
  ]);
  sluice = await startSluice(env.config(), { api: true, worker: true }, { pipelines, launcher });
});
afterAll(async () => {
  await sluice?.queue.resume();
  await sluice?.close();
  await env?.close();
});

const submit = async (pipeline: string) => (await sluice.jobs.submit({ pipeline, parameters: {}, inputs: ['a.parquet'], labels: {} })).job;
const stateOf = async (id: string) => (await sluice.jobs.get(id)).state;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a paused queue', () => {
  it('starts no queued job, and resume starts it at once', async () => {
    await sluice.queue.pause();
    expect((await sluice.queue.counts()).paused).toBe(true);
    const job = await submit('held');
    await sleep(3_000);
    expect(await stateOf(job.id)).toBe('queued');
    expect(launcher.launched).not.toContain(job.id);
    const resumedAt = Date.now();
    await sluice.queue.resume();
    await expect.poll(() => stateOf(job.id), { timeout: 5_000, interval: 50 }).toBe('running');
    expect(Date.now() - resumedAt).toBeLessThan(5_000);
    expect((await sluice.queue.counts()).paused).toBe(false);
    await sluice.jobs.cancel(job.id);
    await expect.poll(() => stateOf(job.id), { timeout: 10_000 }).toBe('cancelled');
  });

  it('cancels a running job at once, fires a running timeout and records a run that ended', async () => {
    const cancelMe = await submit('held');
    const timesOut = await submit('short');
    const ends = await submit('held');
    for (const job of [cancelMe, timesOut, ends]) await expect.poll(() => stateOf(job.id), { timeout: 10_000, interval: 50 }).toBe('running');
    await sluice.queue.pause();

    await sluice.jobs.cancel(cancelMe.id);
    await expect.poll(() => stateOf(cancelMe.id), { timeout: 3_000, interval: 50 }).toBe('cancelled');
    expect(launcher.cancelled).toContain(cancelMe.id);

    launcher.ended.set(ends.id, { phase: 'failed', failureClass: 'user', message: 'bad sql', logTail: '' });
    // Seen at the next look (SLUICE_AWAIT_POLL, 5 s by default), paused or not.
    await expect.poll(() => stateOf(ends.id), { timeout: 8_000, interval: 100 }).toBe('failed');

    await expect.poll(() => stateOf(timesOut.id), { timeout: 8_000, interval: 100 }).toBe('failed');
    const timedOut = await sluice.jobs.get(timesOut.id);
    expect(timedOut.failure).toMatchObject({ class: 'timeout', message: expect.stringMatching(/longer than 3000 ms/) });
    await sluice.queue.resume();
  }, 30_000);
});
