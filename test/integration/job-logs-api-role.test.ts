// GET /v1/jobs/{id}/logs from a Sluice running the API role alone (`sluice api`, as the Helm
// chart deploys it), against real Redis and real run directories: an open follow ends as the
// process stops, so that stopping never waits on a reader (a rolling restart, or `serve`
// draining its worker); an embedded-engine job's log reads as a local Spark job's does; and a
// run whose launcher this process lacks answers a problem, not a 500.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunHandle } from '../../broker/core/job.ts';
import { transition } from '../../broker/core/state-machine.ts';
import { processStartTime } from '../../broker/launchers/process-start.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http } from '../harness/http.ts';
import { createSluiceEnv, placeholderReadings, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
/** Stands in for a run's supervisor: a live process, so that the run reads as running. */
let supervisor: ChildProcess;

beforeAll(async () => {
  env = await createSluiceEnv();
  await placeholderReadings(env);
  supervisor = spawn('sleep', ['600'], { stdio: 'ignore' });
}, 60_000);

afterAll(async () => {
  supervisor?.kill();
  await env?.close();
});

const apiOf = (sluice: RunningSluice) => http(`http://127.0.0.1:${sluice.port}`, env.apiKey);
const submitted = async (sluice: RunningSluice): Promise<string> => (await apiOf(sluice).submit({ pipeline: 'meter-daily' })).id;

/** The job as a worker leaves it once its run started: running, with the run's handle (and, for the embedded engine, the engine choice). */
async function running(sluice: RunningSluice, id: string, launcher: string): Promise<RunHandle> {
  const run: RunHandle = { launcher, runId: `${id}-1`, attempt: 1, startedAt: new Date().toISOString() };
  const engine = { attempt: 1, engine: launcher === 'embedded' ? ('embedded' as const) : ('spark' as const), reason: 'chosen by the test' };
  for (const state of ['launching', 'running'] as const) {
    await sluice.store.update(id, (job) => transition(job, state, new Date(), 'test', state === 'launching' ? { engine } : { run }));
  }
  return run;
}

/** A run directory as the local launchers leave it: `<runs>/<runId>` (local Spark) or `<runs>/.embedded/<runId>` (embedded). */
async function runDir(run: RunHandle, files: Record<string, string>): Promise<string> {
  const dir = join(env.runsDir, ...(run.launcher === 'embedded' ? ['.embedded'] : []), run.runId);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const logsOf = (sluice: RunningSluice, id: string, query = '') => apiOf(sluice).get(`/v1/jobs/${id}/logs${query}`);

describe('an open log follow when the API stops', () => {
  it('ends, so that close() completes at once; the follower sees its stream end cleanly (the CLI exits 0)', async () => {
    const sluice = await startSluice(env.config(), { api: true, worker: false });
    let closing: Promise<void> | undefined;
    let cli: ChildProcess | undefined;
    let reader: ReadableStreamDefaultReader<string> | undefined;
    try {
      const id = await submitted(sluice);
      const run = await running(sluice, id, 'local');
      const dir = await runDir(run, {
        pid_start: `${await processStartTime(supervisor.pid!)}\n`,
        pid: `${supervisor.pid}\n`,
        'driver.log': 'line one\n',
      });

      const follow = await logsOf(sluice, id, '?follow=true');
      expect(follow.status).toBe(200);
      reader = follow.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = '';
      const readUntil = async (text: string): Promise<void> => {
        while (!received.includes(text)) {
          const { value, done } = await reader!.read();
          if (done) throw new Error(`the follow ended before "${text}"; it sent ${JSON.stringify(received)}`);
          received += value;
        }
      };
      await readUntil('line one\n');
      // `sluice logs --follow` as a person runs it, on the same run.
      cli = spawn(process.execPath, ['broker/bin/sluice.js', 'logs', id, '--follow'], {
        env: { ...process.env, ...env.env, SLUICE_URL: `http://127.0.0.1:${sluice.port}`, SLUICE_API_KEY: env.apiKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let cliOut = '';
      let cliErr = '';
      cli.stdout!.on('data', (chunk: Buffer) => (cliOut += chunk.toString()));
      cli.stderr!.on('data', (chunk: Buffer) => (cliErr += chunk.toString()));
      const cliExit = new Promise<number | null>((resolve) => cli!.once('exit', (code) => resolve(code)));
      // The follows are live: a line the run writes now reaches both.
      await appendFile(join(dir, 'driver.log'), 'line two\n');
      await readUntil('line two\n');
      await waitFor('the CLI to print line two', async () => (cliOut.includes('line two\n') ? true : undefined), 10_000, 50);
      expect(cliOut, cliErr).toBe('line one\nline two\n');

      // The run goes on (its supervisor lives) and writes on; the API stops (SIGTERM).
      await appendFile(join(dir, 'driver.log'), 'line three\n');
      const started = performance.now();
      closing = sluice.close();
      const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still closing after 10 s'), 10_000))]);
      const tookMs = performance.now() - started;
      expect(outcome).toBe('closed');
      expect(tookMs).toBeLessThan(2_000);
      // The streams ended (no error, no reset), having sent everything the log held.
      for (let next = await reader.read(); !next.done; next = await reader.read()) received += next.value;
      expect(received).toBe('line one\nline two\nline three\n');
      expect(await cliExit).toBe(0);
      expect(cliErr).toBe('');
      expect(cliOut).toBe('line one\nline two\nline three\n');
    } finally {
      // Without the fix, close() waits for the followers to leave (the test's own connection
      // for the API's keep-alive time, 65 s: the timeout leaves room for that).
      cli?.kill();
      await reader?.cancel().catch(() => undefined);
      await (closing ?? sluice.close());
    }
  }, 120_000);
});

describe('logs of runs this API-only process has no worker for', () => {
  let sluice: RunningSluice;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    sluice = await startSluice(env.config(), { api: true, worker: false }, { logger: pino({ level: 'debug' }, sink) });
  }, 60_000);

  afterAll(async () => {
    await sluice?.close();
  });

  it('reads an embedded job’s log as it reads a local Spark job’s: from the run directory, empty before the run wrote any', async () => {
    const embedded = await submitted(sluice);
    const embeddedRun = await running(sluice, embedded, 'embedded');
    const local = await submitted(sluice);
    await running(sluice, local, 'local');

    // No run directory here yet (the worker is elsewhere, or has not written one): both answer an empty log.
    for (const id of [local, embedded]) {
      const response = await logsOf(sluice, id);
      expect(response.status, id).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toBe('');
    }

    // The embedded run's directory, under the runs directory's hidden `.embedded` folder, with an ended run's log.
    await runDir(embeddedRun, { 'driver.log': 'reading 1 file\nwrote 3 rows\n', exit_code: '0\n' });
    const tail = await logsOf(sluice, embedded, '?tail=1');
    expect(tail.status).toBe(200);
    expect(await tail.text()).toBe('wrote 3 rows\n');
    // Following a run that has ended sends its log and ends.
    const followed = await logsOf(sluice, embedded, '?follow=true');
    expect(followed.status).toBe(200);
    expect(await followed.text()).toBe('reading 1 file\nwrote 3 rows\n');
    expect(logLines.filter((line) => /"level":50/.test(line))).toEqual([]);
  });

  it('answers a 503 problem, not a 500, for a run whose launcher this process was not given', async () => {
    const id = await submitted(sluice);
    // A Kubernetes run, read by an API started without SLUICE_K8S_KUBECONFIG.
    await running(sluice, id, 'k8s-operator');
    for (const query of ['', '?follow=true']) {
      const response = await logsOf(sluice, id, query);
      expect(response.status, query).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await response.json()) as { type: string; status: number; detail: string };
      expect(problem).toMatchObject({ type: 'urn:sluice:problem:launcher-unavailable', status: 503 });
      expect(problem.detail).toMatch(/k8s-operator/);
    }
    expect(logLines.filter((line) => /"level":50/.test(line))).toEqual([]);
  });
});
