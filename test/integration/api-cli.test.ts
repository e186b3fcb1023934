// The `sluice` command line as a person runs it (node broker/bin/sluice.js) against a real
// API over HTTP: a command line it cannot read prints the usage and exits 2 without a stack
// trace, and retry, jobs and landings show what the API holds.
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, placeholderReadings, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let sluice: RunningSluice;

beforeAll(async () => {
  env = await createSluiceEnv();
  await placeholderReadings(env);
  // The API alone: jobs stay queued (or cancelled) as the commands left them.
  sluice = await startSluice(env.config(), { api: true, worker: false });
}, 60_000);

afterAll(async () => {
  await sluice?.close();
  await env?.close();
});

type Run = { code: number; stdout: string; stderr: string };

async function sluiceCli(...args: string[]): Promise<Run> {
  return sluiceCliWith({}, 60_000, ...args);
}

/** `sluice` with these settings on top of the test's, killed after `timeoutMs`. */
async function sluiceCliWith(settings: Record<string, string>, timeoutMs: number, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['broker/bin/sluice.js', ...args], {
      env: { ...process.env, ...env.env, SLUICE_URL: `http://127.0.0.1:${sluice.port}`, SLUICE_API_KEY: env.apiKey, ...settings },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const submitted = async (...extra: string[]): Promise<string> => {
  const run = await sluiceCli('submit', 'meter-daily', ...extra);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
};

describe('a command line sluice cannot read', () => {
  it.each([
    [['status', 'j0hzk3m4pqrstvwxyz', '--follow'], /status: unknown option --follow/],
    [['submit', 'meter-daily', '--inputs', 'x'], /submit: unknown option --inputs/],
    [['jobs', '--limit'], /jobs: .*--limit/],
    [['jobs', '--limit', 'ten'], /--limit "ten"/],
    [['jobs', '--state', 'done'], /--state "done": one of queued/],
    [['cancel'], /cancel: give one job id/],
    [['retry', 'a', 'b'], /retry: give one job id/],
    [['serve', '--port', '9000'], /serve: unknown option --port/],
    [['frobnicate'], /usage: sluice/],
  ])('sluice %j prints the usage and exits 2, with no stack trace', async (args, message) => {
    const run = await sluiceCli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('usage: sluice <command> [options]');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});

describe('a server role that cannot start', () => {
  it('warns of a misspelt setting first, then exits 2 naming the setting it refuses, even once its connections to Redis are open', async () => {
    const run = await sluiceCliWith(
      // The kubeconfig is read after the Redis checks, with Redis connections open: they once kept the refused process up.
      { SLUICE_K8S_KUBECONFIG: join(env.dir, 'no-such-kubeconfig'), SLUICE_REDIS_URI: 'redis://elsewhere:6379', SLUICE_LOG_LEVEL: 'warn', SLUICE_METRICS_PORT: 'off' },
      30_000,
      'api',
    );
    expect(run.stdout).toMatch(/"variable":"SLUICE_REDIS_URI","meant":"SLUICE_REDIS_URL","msg":"SLUICE_ variable is not a setting; ignored"/);
    expect(run.stderr).toMatch(/^sluice: SLUICE_K8S_KUBECONFIG: cannot load /m);
    expect(run.code).toBe(2);
  });

  it('exits 2 naming SLUICE_API_PORT when the port is taken, without a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const run = await sluiceCliWith({ SLUICE_API_PORT: String(port), SLUICE_API_HOST: '127.0.0.1', SLUICE_LOG_LEVEL: 'warn', SLUICE_METRICS_PORT: 'off' }, 30_000, 'api');
      expect(run.stderr).toContain(`sluice: cannot serve the API on 127.0.0.1:${port} (EADDRINUSE): set SLUICE_API_PORT or SLUICE_API_HOST`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.code).toBe(2);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('warns when SLUICE_PIPELINES_DIR holds no pipeline (an empty mount, files without .yaml) instead of running with none in silence', async () => {
    const empty = join(env.dir, 'no-pipelines');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'meter-daily'), 'name: meter-daily\n');
    const child = spawn(process.execPath, ['broker/bin/sluice.js', 'api'], {
      env: { ...process.env, ...env.env, SLUICE_PIPELINES_DIR: empty, SLUICE_LOG_LEVEL: 'info', SLUICE_QUEUE_PREFIX: 'emptypipelines' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const warning = `"dir":"${empty}","msg":"no pipelines: SLUICE_PIPELINES_DIR holds no .yaml or .yml file"`;
      await waitFor('the warning', async () => (stdout.includes(warning) ? true : undefined), 30_000);
      expect(stdout).toContain('"msg":"api listening"');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('client commands', () => {
  it('retry runs a cancelled job again as a new attempt', async () => {
    const id = await submitted('--label', 'probe=retry');
    const cancelled = await sluiceCli('cancel', id);
    expect(cancelled).toMatchObject({ code: 0, stdout: `${id}: cancelled\n` });
    // The API writes through its own fail-fast connection; its transitions still reach this process's metrics.
    expect(await sluice.metrics.registry.getSingleMetricAsString('sluice_stage_duration_seconds')).toMatch(/sluice_stage_duration_seconds_count\{stage="queued",pipeline="meter-daily"\} [1-9]/);
    const retried = await sluiceCli('retry', id);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toBe(`${id}: queued (attempt 2 of 4)\n`);
    const job = await sluice.jobs.get(id);
    expect(job).toMatchObject({ state: 'queued', attempt: 2 });
    expect(await sluice.queue.has(id)).toBe(true);

    const again = await sluiceCli('retry', id);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/queued; only failed or cancelled jobs can be retried/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
  });

  it('jobs lists jobs newest first as a table, filters by state and pipeline, and pages with --cursor', async () => {
    const ids = [await submitted('--label', 'probe=list'), await submitted('--label', 'probe=list'), await submitted('--label', 'probe=list')];
    const cancelled = await sluiceCli('cancel', ids[1]!);
    expect(cancelled.code).toBe(0);

    const all = await sluiceCli('jobs', '--pipeline', 'meter-daily');
    expect(all.code, all.stderr).toBe(0);
    const [header, ...rows] = all.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATE\s+PIPELINE\s+ATTEMPT\s+CREATED\s+FAILURE$/);
    const listed = rows.map((row) => row.split(/\s+/)[0]);
    expect(listed.slice(0, 3)).toEqual([...ids].reverse());
    expect(rows.find((row) => row.startsWith(ids[1]!))).toMatch(/cancelled\s+meter-daily\s+1\s+\S+\s+cancelled: cancelled by/);

    const onlyCancelled = await sluiceCli('jobs', '--state', 'cancelled', '--pipeline', 'meter-daily');
    expect(onlyCancelled.stdout).toContain(ids[1]);
    expect(onlyCancelled.stdout).not.toContain(ids[0]);

    const first = await sluiceCli('jobs', '--limit', '2');
    const next = /next page: sluice (jobs .*--cursor \S+)\n$/.exec(first.stdout);
    expect(next, first.stdout).not.toBeNull();
    const second = await sluiceCli(...next![1]!.split(' '));
    expect(second.code, second.stderr).toBe(0);
    const firstIds = first.stdout.split('\n').slice(1, 3).map((row) => row.split(/\s+/)[0]);
    const secondIds = second.stdout.split('\n').slice(1, 3).map((row) => row.split(/\s+/)[0]);
    expect(secondIds).toHaveLength(2);
    expect(firstIds.filter((id) => secondIds.includes(id))).toEqual([]);

    const asJson = JSON.parse((await sluiceCli('jobs', '--state', 'cancelled', '--json')).stdout) as { items: Job[] };
    expect(asJson.items.map((job) => job.id)).toContain(ids[1]);
  });

  it("prints a next page's command that a shell runs as printed, quoting a label value with a space", async () => {
    const ids = [await submitted('--label', "owner=data eng's"), await submitted('--label', "owner=data eng's")];
    const first = await sluiceCli('jobs', '--label', "owner=data eng's", '--limit', '1');
    expect(first.code, first.stderr).toBe(0);
    const next = /^next page: sluice (jobs .*)$/m.exec(first.stdout);
    expect(next?.[1]).toMatch(/^jobs --label 'owner=data eng'\\''s' --limit 1 --cursor \S+$/);
    // Pasted into a shell as it stands: the second page is the other job.
    const { stdout } = await promisify(execFile)('sh', ['-c', `"${process.execPath}" broker/bin/sluice.js ${next![1]!}`], {
      env: { ...process.env, ...env.env, SLUICE_URL: `http://127.0.0.1:${sluice.port}`, SLUICE_API_KEY: env.apiKey },
    });
    expect(stdout.split('\n')[1]!.split(/\s+/)[0]).toBe(ids[0]);
  });

  it('logs prints the driver log, cancel marks a running job, and status --json shows the JobView only', async () => {
    const id = await submitted('--label', 'probe=logs');
    const noRun = await sluiceCli('logs', id);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/has no Spark run yet/);
    // A run as the local launcher leaves it: its folder under SLUICE_RUNS_DIR, the log, and an exit code (ended).
    const runId = `${id}-1`;
    await mkdir(join(env.runsDir, runId), { recursive: true });
    await writeFile(join(env.runsDir, runId, 'driver.log'), 'line one\nline two\nline three\n');
    await writeFile(join(env.runsDir, runId, 'exit_code'), '0\n');
    for (const state of ['launching', 'running'] as const) {
      await sluice.store.update(id, (job) =>
        transition(job, state, new Date(), 'test', state === 'running' ? { run: { launcher: 'local', runId, attempt: 1, startedAt: new Date().toISOString() } } : {}),
      );
    }
    expect(await sluiceCli('logs', id, '--tail', '2')).toMatchObject({ code: 0, stdout: 'line two\nline three\n' });
    // Following a run that has ended prints its log and returns.
    expect(await sluiceCli('logs', id, '--follow')).toMatchObject({ code: 0, stdout: 'line one\nline two\nline three\n' });

    expect(await sluiceCli('cancel', id)).toMatchObject({ code: 0, stdout: `${id}: running (cancel requested)\n` });
    const shown = JSON.parse((await sluiceCli('status', id, '--json')).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id, state: 'running', stage: 'await', run: { runId }, cancelRequested: true });
    for (const internal of ['finalized', 'retryAt', 'idempotencyScope']) expect(shown).not.toHaveProperty(internal);
    expect((await sluice.jobs.get(id)).cancelRequested).toBe(true);
  });

  it('landings lists the landing ledger as a table, filtered by state and source', async () => {
    const landing = (name: string) => ({ fingerprint: `fp-${name}`, source: 'meter-daily:0', path: `${name}.parquet`, uri: join(env.landing, `${name}.parquet`), size: 10, mtimeMs: 1 });
    for (const name of ['good', 'bad']) {
      await sluice.landings.markSeen(landing(name));
      await sluice.landings.markReady(landing(name));
    }
    await sluice.landings.quarantine(['fp-bad'], 'column kwh is string, the pipeline declares double');

    const all = await sluiceCli('landings');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/^FINGERPRINT\s+STATE\s+SOURCE\s+FILE\s+JOB\s+REASON$/);
    // The id POST /v1/landings/{fingerprint}/readmit takes, without --json.
    expect(all.stdout).toMatch(/^fp-bad\s+quarantined/m);
    expect(all.stdout).toContain(join(env.landing, 'good.parquet'));
    expect(all.stdout).toMatch(/quarantined\s+meter-daily:0\s+\S+bad\.parquet\s+column kwh is string/);

    const quarantined = await sluiceCli('landings', '--state', 'quarantined', '--source', 'meter-daily:0');
    expect(quarantined.stdout).toContain('bad.parquet');
    expect(quarantined.stdout).not.toContain('good.parquet');
    const none = await sluiceCli('landings', '--source', 'elsewhere:0');
    expect(none.stdout.trimEnd().split('\n')).toHaveLength(1);

    const badState = await sluiceCli('landings', '--state', 'lost');
    expect(badState.code).toBe(2);
    expect(badState.stderr).toMatch(/state/);
  });
});
