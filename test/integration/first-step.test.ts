// A job's first step starts from the record its submit wrote, sent along with the queued step
// (ADR 0023): between the queue's delivery and the launch the worker does not read the
// record. A record too large to copy into the queue is read as before. Real Redis, BullMQ and
// step worker; a launcher that notes what the worker had read when it was called.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunHandle } from '../../broker/core/job.ts';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import type { Launcher, RunRequest, RunStatus } from '../../broker/launchers/launcher.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

/** Launches at once and keeps the run going; records the worker's reads of each job at its launch. */
class NotingLauncher implements Launcher {
  readonly name = 'noting';
  readonly readsAtLaunch = new Map<string, number>();
  readonly launched = new Map<string, RunRequest>();
  constructor(private readonly readsOf: (jobId: string) => number) {}
  async launch(request: RunRequest): Promise<RunHandle> {
    this.readsAtLaunch.set(request.jobId, this.readsOf(request.jobId));
    this.launched.set(request.jobId, request);
    return { launcher: this.name, runId: `${request.jobId}-${request.attempt}`, attempt: request.attempt, startedAt: new Date().toISOString() };
  }
  async status(): Promise<RunStatus> {
    return { phase: 'running' };
  }
  async cancel(): Promise<void> {}
  async *logs(): AsyncIterable<string> {}
}

const pipeline = PipelineSchema.parse({
  name: 'first-step',
  input: { columns: { x: 'long' } },
  transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
  outputs: { lake: { table: 'first_step' } },
});

let env: SluiceEnv;
let sluice: RunningSluice | undefined;
let launcher: NotingLauncher;
const reads = new Map<string, number>();

beforeAll(async () => {
  env = await createSluiceEnv();
});
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
  reads.clear();
});
afterAll(async () => {
  await env?.close();
});

async function start(): Promise<RunningSluice> {
  launcher = new NotingLauncher((jobId) => reads.get(jobId) ?? 0);
  sluice = await startSluice(env.config(), { api: false, worker: true }, { pipelines: pipelineRegistry([pipeline]), launcher });
  // Every read of a record by this process's worker, counted per job.
  const { store } = sluice;
  const read = store.read.bind(store);
  store.read = (id) => {
    reads.set(id, (reads.get(id) ?? 0) + 1);
    return read(id);
  };
  return sluice;
}

const launchedJob = (jobId: string) => waitFor(`job ${jobId} to launch`, async () => launcher.launched.get(jobId), 20_000, 20);

describe('the first step of a submitted job', () => {
  it('takes its slot and launches from the record the submit wrote, without reading it', async () => {
    const running = await start();
    const { job } = await running.jobs.submit({ pipeline: pipeline.name, parameters: {}, inputs: ['in/a.parquet'], labels: {} });
    const request = await launchedJob(job.id);
    expect(launcher.readsAtLaunch.get(job.id)).toBe(0);
    expect(request.spec.inputs).toEqual([`${env.landing}/in/a.parquet`]);
    expect(request.attempt).toBe(1);
    await waitFor('the job to be running', async () => ((await running.jobs.get(job.id)).state === 'running' ? true : undefined), 10_000, 20);
  });

  it('reads a record too large to travel with its step, and launches all the same', async () => {
    const running = await start();
    const inputs = Array.from({ length: 300 }, (_, i) => `in/landing-of-many-files/part-${String(i).padStart(5, '0')}.parquet`);
    const { job } = await running.jobs.submit({ pipeline: pipeline.name, parameters: {}, inputs, labels: {} });
    const request = await launchedJob(job.id);
    expect(launcher.readsAtLaunch.get(job.id)).toBeGreaterThan(0);
    expect(request.spec.inputs).toHaveLength(300);
  });
});
