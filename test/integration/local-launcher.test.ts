// The local launcher with the real spark-submit of .venv. The entry script is a stand-in
// for spark-apps/run_aggregate.py that starts no SparkSession (so each run takes seconds);
// what it does comes from the run spec's parameters: print `count` lines `interval`
// seconds apart, then exit with `exit` after an optional failure line on stderr.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor as pollUntil } from '../harness/wait-for.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunHandle } from '../../broker/core/job.ts';
import { PipelineSchema, type ParameterValue } from '../../broker/core/pipeline.ts';
import { buildRunSpec } from '../../broker/core/run-spec.ts';
import type { RunEnded, RunRequest, RunStatus } from '../../broker/launchers/launcher.ts';
import { LocalLauncher, type LocalLauncherOptions } from '../../broker/launchers/local.ts';
import { lastLines } from '../../broker/launchers/log-tail.ts';
import { isAlive, processStartTime } from '../../broker/launchers/process-start.ts';

const REPO = resolve(import.meta.dirname, '../..');

const ENTRY_SCRIPT = `
import json, sys, time
spec = json.load(open(sys.argv[sys.argv.index("--spec") + 1]))
p = spec["parameters"]
for i in range(int(p.get("count", 0))):
    print(f"line {i}", flush=True)
    time.sleep(float(p.get("interval", 0)))
if "failure" in p:
    print("SLUICE_FAILURE " + json.dumps({"class": "data", "message": p["failure"]}), file=sys.stderr, flush=True)
if "stderr" in p:
    print(p["stderr"], file=sys.stderr, flush=True)
sys.exit(int(p.get("exit", 0)))
`;

const pipeline = PipelineSchema.parse({
  name: 'launcher-test',
  input: { columns: { region: 'string' } },
  transform: { group_by: ['region'], metrics: [{ name: 'n', fn: 'count' }] },
  outputs: { lake: { table: 'launcher_test' } },
  engine: { cores: 1, driver_memory: '512m' },
});

let dir: string;
let options: LocalLauncherOptions;
const launchers: LocalLauncher[] = [];
const handles: RunHandle[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-local-launcher-'));
  await writeFile(join(dir, 'run_aggregate.py'), ENTRY_SCRIPT);
  options = {
    runsDir: join(dir, 'runs'),
    sparkSubmit: join(REPO, '.venv/bin/spark-submit'),
    sparkAppsDir: dir,
    localCores: 1,
    timing: { logPollMs: 100, watchPollMs: 200, killGraceMs: 5_000 },
  };
});

afterEach(async () => {
  // No run outlives its test, whatever the test's outcome.
  const cleaner = newLauncher();
  await Promise.all(handles.splice(0).map((handle) => cleaner.cancel(handle)));
  await Promise.all(launchers.splice(0).map((launcher) => launcher.close()));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

function newLauncher(): LocalLauncher {
  const launcher = new LocalLauncher(options);
  launchers.push(launcher);
  return launcher;
}

let jobCounter = 0;
function request(parameters: Record<string, ParameterValue>): RunRequest {
  jobCounter += 1;
  const jobId = `j${Date.now().toString(36)}${jobCounter}`;
  const spec = buildRunSpec({ pipeline, jobId, attempt: 1, inputs: [], parameters, runUri: `file://${dir}/lake/run=${jobId}-1` });
  return { jobId, attempt: 1, pipeline, spec };
}

async function launch(launcher: LocalLauncher, run: RunRequest): Promise<RunHandle> {
  const handle = await launcher.launch(run);
  handles.push(handle);
  return handle;
}

/** The harness's poll, at this file's pace: launcher events come within a few seconds. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> => pollUntil(what, probe, timeoutMs, 100);

const isLive = (status: RunStatus) => status.phase === 'pending' || status.phase === 'running';

function waitForEnd(launcher: LocalLauncher, handle: RunHandle): Promise<RunStatus> {
  return waitFor(`the end of ${handle.runId}`, async () => {
    const status = await launcher.status(handle);
    return isLive(status) ? undefined : status;
  });
}

function endEvents(launcher: LocalLauncher): RunEnded[] {
  const events: RunEnded[] = [];
  launcher.watch({ ended: (event) => events.push(event) });
  return events;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

const runFile = (handle: RunHandle, name: string) => join(options.runsDir, handle.runId, name);
const readPid = async (handle: RunHandle) => Number(await readFile(runFile(handle, 'pid'), 'utf8'));

/** The process groups of all processes whose command line names the run (the supervisor, spark-submit's JVM, Python). */
async function processGroupsOf(runId: string): Promise<{ groups: Set<number>; supervisors: number }> {
  const groups = new Set<number>();
  let supervisors = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (!argv.includes(`sluice-${runId}`)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      groups.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
      if (argv[0] === 'sh') supervisors += 1;
    } catch {
      // The process ended while being looked at.
    }
  }
  return { groups, supervisors };
}

describe('local launcher with spark-submit', () => {
  it('runs a successful app, reports its end and serves its log', async () => {
    const launcher = newLauncher();
    const ended = endEvents(launcher);
    const run = request({ count: 5 });
    const handle = await launch(launcher, run);
    expect(handle).toMatchObject({ launcher: 'local', runId: `${run.jobId}-1`, attempt: 1 });
    expect(await waitForEnd(launcher, handle)).toEqual({ phase: 'succeeded' });
    await waitFor('the end event', async () => (ended.length > 0 ? true : undefined), 5_000);
    expect(ended).toEqual([{ jobId: run.jobId, attempt: 1, runId: handle.runId }]);
    expect(await readFile(runFile(handle, 'exit_code'), 'utf8')).toBe('0\n');
    expect(JSON.parse(await readFile(runFile(handle, 'spec.json'), 'utf8'))).toEqual(run.spec);

    const log = await collect(launcher.logs(handle));
    for (let i = 0; i < 5; i += 1) expect(log).toContain(`line ${i}\n`);
    const tail = await collect(launcher.logs(handle, { tail: 2 }));
    expect(tail).toBe(lastLines(log, 2));
    expect(tail.trimEnd().split('\n')).toHaveLength(2);
  });

  it('reports a data failure with the app message', async () => {
    const launcher = newLauncher();
    const handle = await launch(launcher, request({ failure: 'bad file x', exit: 65 }));
    expect(await waitForEnd(launcher, handle)).toMatchObject({ phase: 'failed', failureClass: 'data', message: 'bad file x' });
  });

  it('reports any other exit as a platform failure with the log tail', async () => {
    const launcher = newLauncher();
    const handle = await launch(launcher, request({ stderr: 'boom: the disk is on fire', exit: 1 }));
    const status = await waitForEnd(launcher, handle);
    expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', message: 'spark-submit exited with code 1' });
    expect(status.phase === 'failed' && status.logTail).toContain('boom: the disk is on fire');
  });

  it('adopts instead of starting twice, also from a second launcher, which then sees the end', async () => {
    const first = newLauncher();
    const run = request({ count: 8, interval: 0.5 });
    const [a, b] = await Promise.all([launch(first, run), launch(first, run)]);
    expect(b).toEqual(a);

    // A restarted worker: a new launcher over the same runs directory.
    const second = newLauncher();
    const ended = endEvents(second);
    const adopted = await launch(second, run);
    expect(adopted).toEqual(a);

    const pid = await waitFor('the pid file', async () => (await readPid(a).catch(() => undefined)) || undefined);
    // The supervisor recorded its own start time beside its pid (before it), as /proc shows it.
    expect((await readFile(runFile(a, 'pid_start'), 'utf8')).trim()).toBe(await processStartTime(pid));
    await waitFor('spark-submit', async () => ((await processGroupsOf(a.runId)).groups.size > 0 ? true : undefined));
    expect(await second.status(adopted)).toEqual({ phase: 'running' });
    await sleep(1_000);
    expect(await processGroupsOf(a.runId)).toEqual({ groups: new Set([pid]), supervisors: 1 });

    await waitFor('the end event from the adopting launcher', async () => (ended.length > 0 ? true : undefined));
    expect(ended).toEqual([{ jobId: run.jobId, attempt: 1, runId: a.runId }]);
    expect(await second.status(adopted)).toEqual({ phase: 'succeeded' });
  });

  it('keeps a run going after the launching process is killed', async () => {
    const script = join(dir, 'launch-and-hang.mts');
    await writeFile(
      script,
      [
        `import { LocalLauncher } from ${JSON.stringify(join(REPO, 'broker/launchers/local.ts'))};`,
        'const [options, run] = JSON.parse(process.argv[2]);',
        'const handle = await new LocalLauncher(options).launch(run);',
        'process.stdout.write(JSON.stringify(handle) + "\\n");',
        'setInterval(() => {}, 1_000);',
      ].join('\n'),
    );
    const run = request({ count: 6, interval: 0.5 });
    // In its own process group, so that killing that group (as a process manager stopping a
    // worker does) would take along any child of the broker that is not detached.
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify([options, run])], {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit').then(([code]) => Promise.reject(new Error(`the launching process exited with ${code}`)));
    const [line] = (await Promise.race([once(child.stdout, 'data'), exited])) as [Buffer];
    exited.catch(() => undefined);
    const handle = JSON.parse(line.toString()) as RunHandle;
    handles.push(handle);
    await waitFor('the pid file', async () => (await readPid(handle).catch(() => undefined)) || undefined);
    process.kill(-child.pid!, 'SIGKILL');
    await exited.catch(() => undefined);

    const launcher = newLauncher();
    expect(await launcher.status(handle)).toEqual({ phase: 'running' });
    expect(await waitForEnd(launcher, handle)).toEqual({ phase: 'succeeded' });
    await access(runFile(handle, 'exit_code'));
  });

  it('follows the log while the run lives and ends with it', async () => {
    const launcher = newLauncher();
    const handle = await launch(launcher, request({ count: 6, interval: 0.5 }));
    const log = await collect(launcher.logs(handle, { follow: true }));
    for (let i = 0; i < 6; i += 1) expect(log).toContain(`line ${i}\n`);
    expect(await launcher.status(handle)).toEqual({ phase: 'succeeded' });
  });

  it('stops following when aborted, and cancel kills the whole process group', async () => {
    const launcher = newLauncher();
    const handle = await launch(launcher, request({ count: 600, interval: 0.1 }));
    const abort = new AbortController();
    let seen = '';
    for await (const chunk of launcher.logs(handle, { tail: 0, follow: true, signal: abort.signal })) {
      seen += chunk;
      if (seen.includes('line 3\n')) abort.abort();
    }
    expect(await launcher.status(handle)).toEqual({ phase: 'running' });

    const pid = await readPid(handle);
    await launcher.cancel(handle);
    expect(isAlive(-pid)).toBe(false);
    expect((await processGroupsOf(handle.runId)).groups.size).toBe(0);
    expect(await launcher.status(handle)).toMatchObject({ phase: 'failed', failureClass: 'platform' });
    await launcher.cancel(handle);
  });

  it('cancels a run that is only just launched, whether or not its supervisor has started', async () => {
    const launcher = newLauncher();
    const handle = await launch(launcher, request({ count: 600, interval: 0.1 }));
    await launcher.cancel(handle);
    const status = await waitForEnd(launcher, handle);
    expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', message: 'spark-submit was killed by signal 15' });
    await sleep(2_000);
    expect((await processGroupsOf(handle.runId)).groups.size).toBe(0);
  });

  it("cancels a run whose supervisor is still finishing its own bookkeeping: the cancel's TERM reaches the supervisor's `mv` too, and the run still ends with an exit code", async () => {
    // An `mv` that renames, then lingers as a descheduled one would: the pid file is there
    // while the `mv` that wrote it still runs in the run's process group.
    const bin = join(dir, 'slow-mv-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'mv'), '#!/bin/sh\n/bin/mv "$@"; status=$?\nsleep 1\nexit $status\n', { mode: 0o755 });
    const launcher = new LocalLauncher({ ...options, baseEnv: { ...(process.env as Record<string, string>), PATH: `${bin}:${process.env.PATH}` } });
    launchers.push(launcher);
    const handle = await launch(launcher, request({ count: 600, interval: 0.1 }));
    await waitFor('the supervisor to record its pid', () => access(join(options.runsDir, handle.runId, 'pid')).then(() => true, () => undefined));
    await launcher.cancel(handle);
    const status = await waitForEnd(launcher, handle);
    expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', message: 'spark-submit was killed by signal 15' });
  });
});
