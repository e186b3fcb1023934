// The local launcher's decisions that need no Spark: reading a run directory's state, the
// start grace, a recorded pid now held by another process, what status() and watch() track,
// configuration errors at launch. test/integration/local-launcher.test.ts runs it for real,
// and test/integration/launcher-contract-local.test.ts holds it to the launcher contract.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, OperationalError } from '../core/errors.ts';
import type { RunHandle } from '../core/job.ts';
import { PipelineSchema } from '../core/pipeline.ts';
import { buildRunSpec } from '../core/run-spec.ts';
import type { RunEnded } from './launcher.ts';
import { LocalLauncher, type LocalCommand } from './local.ts';
import { isAlive, processStartTime, startTimeOf } from './process-start.ts';

const pipeline = PipelineSchema.parse({
  name: 'daily-orders',
  input: { columns: { region: 'string', amount: 'double' } },
  transform: { group_by: ['region'], metrics: [{ name: 'total', fn: 'sum', column: 'amount' }] },
  outputs: { lake: { table: 'orders' } },
});
const handle = (runId: string): RunHandle => ({ launcher: 'local', runId, attempt: 1, startedAt: '' });
const WATCH_POLL_MS = 50;

let runsDir: string;
let now: number;
let launcher: LocalLauncher;
const children: ChildProcess[] = [];

beforeEach(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'sluice-runs-'));
  now = Date.now();
  launcher = new LocalLauncher({
    runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, clock: () => now, timing: { watchPollMs: WATCH_POLL_MS },
  });
});
afterEach(async () => {
  await launcher.close();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(runsDir, { recursive: true, force: true });
});

async function runDir(runId: string, files: Record<string, string>): Promise<string> {
  const path = join(runsDir, runId);
  await mkdir(path);
  for (const [name, body] of Object.entries(files)) await writeFile(join(path, name), body);
  return path;
}

/**
 * A real process that is not a run's supervisor: what a reused pid would name. It leads its
 * own process group, as a supervisor does, so a signal meant for a run's group would reach it.
 */
async function bystander(): Promise<{ pid: number; startTime: string }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
  children.push(child);
  await once(child, 'spawn');
  const startTime = await processStartTime(child.pid!);
  return { pid: child.pid!, startTime: startTime! };
}

function endEvents(): RunEnded[] {
  const events: RunEnded[] = [];
  launcher.watch({ ended: (event) => events.push(event) });
  return events;
}

describe('local launcher', () => {
  it('maps exit codes to outcomes', async () => {
    await runDir('j1-1', { pid: '1\n', exit_code: '0\n' });
    await runDir('j2-1', { pid: '1\n', exit_code: '64\n', 'driver.log': 'SLUICE_FAILURE {"class":"user","message":"bad sql"}\n' });
    await runDir('j3-1', { pid: '1\n', exit_code: '137\n', 'driver.log': 'java.lang.OutOfMemoryError\n' });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'succeeded' });
    expect(await launcher.status(handle('j2-1'))).toMatchObject({ phase: 'failed', failureClass: 'user', message: 'bad sql' });
    expect(await launcher.status(handle('j3-1'))).toEqual({
      phase: 'failed', failureClass: 'platform', message: 'spark-submit was killed by signal 9', logTail: 'java.lang.OutOfMemoryError\n',
    });
  });

  it('says pending while a fresh run has no pid, and lost once the start grace has passed', async () => {
    const path = await runDir('j1-1', { 'spec.json': '{}' });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'pending' });
    const old = new Date(now - 31_000);
    await utimes(path, old, old);
    expect(await launcher.status(handle('j1-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/never started/) });
  });

  it('says lost when the supervisor died without an exit code, or the run directory is gone', async () => {
    // A pid above the kernel's pid_max exists nowhere.
    await runDir('j1-1', { pid: '99999999\n', pid_start: '12345\n' });
    await runDir('j2-1', { pid: '99999999\n' });
    expect(await launcher.status(handle('j1-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/died without an exit code/) });
    expect(await launcher.status(handle('j2-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/died without an exit code/) });
    expect(await launcher.status(handle('j9-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/does not exist/) });
    await launcher.cancel(handle('j1-1'));
    await launcher.cancel(handle('j9-1'));
  });

  it('says lost when the supervisor died and waits, a zombie, for a parent that never reaps it', async () => {
    // The supervisor's stand-in dies 0.3 s in; its parent execs into a sleep that never waits
    // for it, as a PID 1 that reaps no one would not (a container's Node, this VM's init).
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    children.push(parent);
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    const startTime = await processStartTime(pid);
    await runDir('j1-1', { pid: `${pid}\n`, pid_start: `${startTime}\n` });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'running' });
    await expect.poll(() => readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => stat.split(') ')[1]![0]), { timeout: 3_000 }).toBe('Z');
    expect(await launcher.status(handle('j1-1'))).toMatchObject({ phase: 'lost', message: expect.stringMatching(/died without an exit code/) });
  });

  it('says running while the recorded supervisor is the same process (and, for a pid file without a start time, while the pid lives)', async () => {
    const live = await bystander();
    await runDir('j1-1', { pid: `${live.pid}\n`, pid_start: `${live.startTime}\n` });
    await runDir('j2-1', { pid: `${live.pid}\n` });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'running' });
    expect(await launcher.status(handle('j2-1'))).toEqual({ phase: 'running' });
  });

  it('says lost when the recorded pid now belongs to another process, and never signals that process', async () => {
    const other = await bystander();
    // The supervisor that wrote this pid started at another time: the pid was handed out again since.
    await runDir('j1-1', { pid: `${other.pid}\n`, pid_start: `${Number(other.startTime) - 1}\n` });
    expect(await launcher.status(handle('j1-1'))).toEqual({
      phase: 'lost', message: `the recorded supervisor pid ${other.pid} of local run j1-1 now belongs to another process`,
    });
    await launcher.cancel(handle('j1-1'));
    await sleep(200);
    expect(isAlive(other.pid)).toBe(true);
    expect(children[0]!.exitCode).toBeNull();
    expect(children[0]!.signalCode).toBeNull();
  });

  it('reads a start time from a /proc stat line whose command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    expect(startTimeOf(`123 (a b) c) ${fields.join(' ')}\n`)).toBe('22');
    expect(startTimeOf('123 (x) S 1')).toBeUndefined();
  });

  it('status() reads only: a run it was asked about is not watched for its end', async () => {
    const events = endEvents();
    const live = await bystander();
    const path = await runDir('j1-1', { pid: `${live.pid}\n`, pid_start: `${live.startTime}\n` });
    expect(await launcher.status(handle('j1-1'))).toEqual({ phase: 'running' });
    await writeFile(join(path, 'exit_code'), '0\n');
    await sleep(WATCH_POLL_MS * 6);
    expect(events).toEqual([]);
  });

  it('watch() reports the end of runs that were going when the first listener came (a restarted worker)', async () => {
    const live = await bystander();
    const path = await runDir('j1-1', { pid: `${live.pid}\n`, pid_start: `${live.startTime}\n` });
    await runDir('j2-1', { pid: '1\n', exit_code: '0\n' });
    const events = endEvents();
    await sleep(WATCH_POLL_MS * 3);
    expect(events).toEqual([]);
    await writeFile(join(path, 'exit_code'), '0\n');
    await expect.poll(() => events, { timeout: 2_000 }).toEqual([{ jobId: 'j1', attempt: 1, runId: 'j1-1' }]);
  });

  it('refuses an S3 run whose S3A jar is missing with a ConfigError naming the fix, and leaves no run behind', async () => {
    const s3 = { region: 'eu-west-1', forcePathStyle: true };
    const s3Launcher = new LocalLauncher({ runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, s3, s3aJars: [join(runsDir, 'no-such.jar')] });
    const spec = buildRunSpec({ pipeline, jobId: 'j1', attempt: 1, inputs: ['s3://landing/a.parquet'], parameters: {}, runUri: 's3a://lake/orders/run=j1-1' });
    const launch = s3Launcher.launch({ jobId: 'j1', attempt: 1, pipeline, spec });
    await expect(launch).rejects.toThrow(ConfigError);
    await expect(launch).rejects.toThrow(`the S3A jar ${join(runsDir, 'no-such.jar')} is missing: run scripts/setup`);
    await expect(access(join(runsDir, 'j1-1'))).rejects.toThrow();
    await s3Launcher.close();
  });

  it('starts no run while its runs directory is not the one the workers use (the runs lease says no)', async () => {
    const refusing = { check: () => { throw new OperationalError('another runs directory holds the lease'); } };
    const guarded = new LocalLauncher({ runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, ownership: refusing });
    const spec = buildRunSpec({ pipeline, jobId: 'j1', attempt: 1, inputs: [], parameters: {}, runUri: 'file:///lake/orders/run=j1-1' });
    await expect(guarded.launch({ jobId: 'j1', attempt: 1, pipeline, spec })).rejects.toThrow(/another runs directory holds the lease/);
    await expect(access(join(runsDir, 'j1-1'))).rejects.toThrow();
    await guarded.close();
  });

  it('refuses S3 keys without the base environment they travel in', () => {
    const s3 = { region: 'eu-west-1', forcePathStyle: true, accessKeyId: 'AKID', secretAccessKey: 'SECRET' };
    expect(() => new LocalLauncher({ runsDir, sparkSubmit: 'spark-submit', sparkAppsDir: '/apps', localCores: 1, s3 })).toThrow(ConfigError);
  });

  it('finds every run of a job and removes one', async () => {
    expect(await launcher.runsOf('j1')).toEqual([]);
    for (const runId of ['j1-2', 'j1-1', 'j12-1', 'j1-x']) await runDir(runId, { 'spec.json': '{}' });
    await writeFile(join(runsDir, '.sluice-runs-id'), 'x');
    const runs = await launcher.runsOf('j1');
    expect(runs.map((run) => [run.runId, run.attempt])).toEqual([['j1-1', 1], ['j1-2', 2]]);
    await launcher.remove(runs[0]!);
    expect((await launcher.runsOf('j1')).map((run) => run.runId)).toEqual(['j1-2']);
  });

  /**
   * Starts an embedded-engine-like run whose command (`shell`) fills its scratch folder, and
   * resolves once the block it writes is there: what a killed DuckDB leaves is its spill folder,
   * full, with no chance to clean it up itself.
   */
  async function spillingRun(shell: string, killGraceMs: number) {
    const command: LocalCommand = { launcher: 'embedded', program: 'the embedded engine', needsS3aJars: false, scratch: 'spill', args: () => ['sh', '-c', shell] };
    const embedded = new LocalLauncher({ runsDir, sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 1, command, timing: { killGraceMs } });
    const spec = buildRunSpec({ pipeline, jobId: 'j1', attempt: 1, inputs: [], parameters: {}, runUri: 'file:///lake/orders/run=j1-1' });
    const run = await embedded.launch({ jobId: 'j1', attempt: 1, pipeline, spec });
    const spill = join(runsDir, 'j1-1', 'spill');
    await expect.poll(() => access(join(spill, 'x', 'block.tmp')).then(() => true, () => false), { timeout: 5_000 }).toBe(true);
    return { embedded, run, spill };
  }

  it("removes the scratch folder a command killed mid-run leaves behind (the embedded engine's spill), and still records its exit", async () => {
    const { embedded, run, spill } = await spillingRun('mkdir -p spill/x && head -c 1048576 /dev/zero > spill/x/block.tmp && exec sleep 60', 2_000);
    await embedded.cancel(run);
    await expect.poll(async () => (await embedded.status(run)).phase, { timeout: 5_000 }).toBe('failed');
    await expect.poll(() => access(spill).then(() => 'there', () => 'gone'), { timeout: 5_000 }).toBe('gone');
    await embedded.close();
  }, 20_000);

  it('records a run its cancel had to SIGKILL as killed, not lost, and removes the scratch folder its supervisor died before removing', async () => {
    // A command that ignores SIGTERM outlives the grace; the SIGKILL that follows kills the supervisor with it.
    const { embedded, run, spill } = await spillingRun("trap '' TERM; mkdir -p spill/x && head -c 1048576 /dev/zero > spill/x/block.tmp && exec sleep 60", 1_000);
    await embedded.cancel(run);
    expect(await embedded.status(run)).toMatchObject({ phase: 'failed', message: expect.stringMatching(/killed by signal 9/) });
    await expect(access(spill)).rejects.toThrow();
    await embedded.close();
  }, 20_000);

  it('refuses run ids that are not plain names', async () => {
    await expect(launcher.status(handle('../etc'))).rejects.toThrow(/not a local run id/);
  });
});
