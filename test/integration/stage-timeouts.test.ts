// Every stage is bounded (issue 8, ADR 0011): a job never sits for ever in queued, launching,
// running or loading. Real Redis, the real local launcher and spark-submit with the stand-in
// app, a real PostgreSQL for the load. Each test sets only the stage timeout under test in
// its pipeline; every other setting is at its production default (await poll 5 s, backoff
// 5 s doubling, 3 attempts, the 60 s call cap).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job, type RunHandle } from '../../broker/core/job.ts';
import type { Launcher, RunStatus } from '../../broker/launchers/launcher.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type Overrides, type RunningSluice } from '../../broker/sluice.ts';
import { PostgresServer } from '../harness/postgres-server.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

/** The production defaults the stand-in pipeline's test backoff would otherwise shorten. */
const DEFAULT_BACKOFF = { initial: '5s', max: '5m', factor: 2 };

let env: SluiceEnv;
let sluice: RunningSluice | undefined;

beforeAll(async () => {
  // SLUICE_AWAIT_POLL at its default (the harness shortens it for other tests).
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '5s' });
});
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});
afterAll(async () => {
  await env?.close();
});

async function start(pipeline: ReturnType<typeof standInPipeline>, extra: Record<string, string> = {}, overrides: Overrides = {}): Promise<RunningSluice> {
  sluice = await startSluice(env.config(extra), { api: false, worker: true }, { pipelines: pipelineRegistry([pipeline]), ...overrides });
  return sluice;
}

const submit = async (pipeline: string, parameters: Record<string, number> = {}): Promise<string> =>
  (await sluice!.jobs.submit({ pipeline, parameters, inputs: ['none.parquet'], labels: {} })).job.id;

const finished = (id: string, timeoutMs = 90_000): Promise<Job> =>
  waitFor(`job ${id} to finish`, async () => {
    const job = await sluice!.jobs.get(id);
    return isFinal(job.state) ? job : undefined;
  }, timeoutMs, 200);

/** How long the job stayed in each visit of `state` (ms), from its history. */
function visits(job: Job, state: Job['state']): number[] {
  const durations: number[] = [];
  job.history.forEach((change, index) => {
    const next = job.history[index + 1];
    if (change.state === state && next) durations.push(Date.parse(next.at) - Date.parse(change.at));
  });
  return durations;
}

/** Fault injection: a launcher whose launch() never returns (an API server that accepts and never answers). */
class HangingLauncher implements Launcher {
  readonly name = 'local';
  launches = 0;
  abortedSignals = 0;
  launch(_request: unknown, options?: { signal?: AbortSignal }): Promise<RunHandle> {
    this.launches += 1;
    options?.signal?.addEventListener('abort', () => (this.abortedSignals += 1));
    return new Promise<RunHandle>(() => undefined);
  }
  async status(): Promise<RunStatus> {
    return { phase: 'lost', message: 'never launched' };
  }
  async cancel(): Promise<void> {}
  async *logs(): AsyncGenerator<string> {}
  async runsOf(): Promise<RunHandle[]> {
    return [];
  }
}

describe('stage timeouts', () => {
  it('launching: a launch() that never returns fails the step at its deadline, and the job ends failed (timeout) by its stage timeout', async () => {
    const launcher = new HangingLauncher();
    await start(standInPipeline('hung-launch', { backoff: DEFAULT_BACKOFF, timeouts: { launching: '2s' } }), {}, { launcher });
    const id = await submit('hung-launch');
    const job = await finished(id);
    expect(job.state).toBe('failed');
    expect(job.failure).toMatchObject({ class: 'timeout', stage: 'launching', attempt: 3 });
    expect(job.failure!.message).toMatch(/^launching took longer than 2000 ms: launcher local: launch\(\) did not return within \d+ ms$/);
    // Each attempt waited for its deadline and no longer: the stage timeout, not a step-error budget.
    const launching = visits(job, 'launching');
    expect(launching).toHaveLength(3);
    for (const ms of launching) {
      expect(ms).toBeGreaterThanOrEqual(1_900);
      expect(ms).toBeLessThan(4_000);
    }
    expect(launcher.launches).toBe(3);
    // The call was told to give up: a launcher that waits on something can stop waiting.
    expect(launcher.abortedSignals).toBe(3);
  }, 90_000);

  it('running: a Spark run past timeouts.running is stopped and the job fails (timeout)', async () => {
    await start(standInPipeline('slow-run', { backoff: DEFAULT_BACKOFF, timeouts: { running: '7s' } }));
    const id = await submit('slow-run', { seconds: 120 });
    const job = await finished(id, 150_000);
    expect(job.state).toBe('failed');
    expect(job.failure).toMatchObject({ class: 'timeout', stage: 'running', attempt: 3 });
    expect(job.failure!.message).toBe('the Spark run took longer than 7000 ms and was stopped');
    // At its timeout (7 s), not at the first 5 s poll after it (10 s); the time includes stopping the run.
    for (const ms of visits(job, 'running')) {
      expect(ms).toBeGreaterThanOrEqual(7_000);
      expect(ms).toBeLessThan(9_500);
    }
    // Every attempt's run was stopped: each supervisor recorded an exit code.
    const runs = (await readdir(env.runsDir)).filter((name) => name.startsWith(id)).sort();
    expect(runs).toEqual([`${id}-1`, `${id}-2`, `${id}-3`]);
    for (const run of runs) expect(await readdir(join(env.runsDir, run))).toContain('exit_code');
  }, 180_000);

  it('queued: a job queued past timeouts.queued in a PAUSED queue fails (timeout) with the reason, within a second or two of its due time', async () => {
    const running = await start(standInPipeline('waits', { backoff: DEFAULT_BACKOFF, timeouts: { queued: '3s' } }));
    await running.queue.pause();
    try {
      const id = await submit('waits');
      const job = await finished(id, 20_000);
      expect(job.state).toBe('failed');
      expect(job.failure).toMatchObject({ class: 'timeout', stage: 'queued', attempt: 1 });
      expect(job.failure!.message).toMatch(/^queued longer than 3000 ms \(policy\.timeouts\.queued\)/);
      expect(job.history.map((change) => change.state)).toEqual(['queued', 'failed']);
      const [queuedFor] = visits(job, 'queued');
      expect(queuedFor).toBeGreaterThanOrEqual(3_000);
      expect(queuedFor).toBeLessThan(3_000 + 2_000);
      // No step ran: nothing was launched.
      expect((await readdir(env.runsDir)).filter((name) => name.startsWith(id))).toEqual([]);
    } finally {
      await running.queue.resume();
    }
  }, 60_000);
});

describe('loading timeout', () => {
  let postgres: PostgresServer;

  beforeAll(async () => {
    postgres = await PostgresServer.start({ settings: { fsync: 'off' } });
    await postgres.query('CREATE SCHEMA reports');
    await postgres.query('CREATE TABLE reports.totals (x bigint PRIMARY KEY, n bigint NOT NULL)');
  });
  afterAll(async () => {
    await postgres?.destroy();
  });

  it('loading: a load blocked by a locked table past timeouts.loading fails (timeout), retried on the same run without re-running Spark', async () => {
    const locker = new pg.Client({ connectionString: postgres.url() });
    await locker.connect();
    try {
      // Another session holds the target table: every load waits on it.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE reports.totals IN ACCESS EXCLUSIVE MODE');
      const pipeline = standInPipeline(
        'locked-load',
        { backoff: DEFAULT_BACKOFF, timeouts: { loading: '3s' } },
        { outputs: { sql: { connection: 'reporting', table: 'reports.totals', keys: ['x'], mode: 'merge' } } },
      );
      await start(pipeline, { SLUICE_SQL_REPORTING_URL: postgres.url() });
      const id = await submit('locked-load', { rows: 5 });
      const job = await finished(id, 120_000);
      expect(job.state).toBe('failed');
      expect(job.failure).toMatchObject({ class: 'timeout', stage: 'loading', attempt: 3 });
      // Ended by the call's deadline (the time left in the stage) or, a few ms apart, by the
      // sink's own statement timeout, which is given the same time: either names the sink.
      expect(job.failure!.message).toMatch(/reporting:reports\.totals/);
      expect(job.history.map((change) => change.state)).toEqual(['queued', 'launching', 'running', 'loading', 'loading', 'loading', 'failed']);
      for (const ms of visits(job, 'loading')) {
        expect(ms).toBeGreaterThanOrEqual(2_900);
      }
      // One Spark run for all three loads.
      expect((await readdir(env.runsDir)).filter((name) => name.startsWith(id))).toHaveLength(1);
      // The loads given up at their deadline were still waiting; once the table is free they
      // go on, and must roll back rather than load a failed job's rows.
      await locker.query('ROLLBACK');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await postgres.query('SELECT * FROM reports.totals')).toEqual([]);
      expect(await postgres.query('SELECT * FROM sluice_load_ledger WHERE job_id = $1', 'sluice', [id])).toEqual([]);
    } finally {
      await locker.end();
    }
  }, 150_000);
});
