// The local launcher: `spark-submit --master local[N]` on this machine, detached from the
// broker so that a worker restart, a deploy or a SIGKILL of the broker leaves the run going.
// Each run is driven by a tiny `sh` supervisor that leads its own session and talks to the
// broker only through the run directory (see run-dir.ts), so any broker process, the one
// that launched the run or one started later, can find, watch, read and stop it. This file
// is the supervisor and the run directory's life; the command line is local-submit-args.ts,
// S3 is spark/s3a-settings.ts, and an ended run's status is spark/exit-contract.ts.
//
//   launch ─► .claim-…/spec.json ─► rename to <runsDir>/<runId> ─┬─ renamed ─► spawn supervisor ─► pid_start, pid … exit_code
//                                                                └─ taken ───► adopt (never a second run)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConfigError, isMissingFile, OperationalError } from '../core/errors.ts';
import type { RunHandle } from '../core/job.ts';
import { SPARK_EXIT } from '../core/run-spec.ts';
import type { CallOptions, Launcher, LauncherListener, LogOptions, RunEnded, RunRequest, RunStatus } from './launcher.ts';
import { sparkSubmitArgs, type SubmitOptions } from './local-submit-args.ts';
import { readFrom, readTailLines } from './log-tail.ts';
import { isAlive, recordedProcess, type RecordedProcess } from './process-start.ts';
import { RUN_FILES, RunDir } from './run-dir.ts';
import { endedRunStatus, exitDescription, FAILURE_SEARCH_LINES } from './spark/exit-contract.ts';
import { checkS3aJars, s3Access, s3Submit } from './spark/s3a-settings.ts';

export type LocalLauncherTiming = {
  /** How long a run directory may exist without a supervisor pid before the run counts as lost. */
  startGraceMs: number;
  /** How often logs({ follow }) looks for new output. */
  logPollMs: number;
  /** How often runs this process did not start itself are checked for their end. */
  watchPollMs: number;
  /** How long cancel() waits after SIGTERM before it sends SIGKILL. */
  killGraceMs: number;
};

/**
 * What a local run executes: spark-submit of the Spark app (the default), or the embedded
 * engine's Python process. Everything else — the run directory, the supervisor, adoption,
 * cancel, logs and the exit contract — is the same for both.
 */
export type LocalCommand = {
  /** The launcher's name, as run handles and pipelines know it. */
  launcher: string;
  /** What the run is called in a failure without the app's own words ("spark-submit exited with code 1"). */
  program: string;
  /** The supervisor's command line (argv only: keys travel in the environment). */
  args(options: LocalLauncherOptions, request: RunRequest, runId: string, specPath: string): string[];
  /** Whether an S3 run needs the S3A jars (Spark's S3 client); the embedded engine uses pyarrow's. */
  needsS3aJars: boolean;
  /**
   * A folder of the run directory that the command fills and cleans up itself, except when it
   * is killed (the embedded engine's spill, gigabytes, which a cancel or a stage timeout's
   * SIGTERM would otherwise leave on the worker's disk until the job expires): the supervisor
   * removes it once the command has ended, however it ended: after it recorded the exit code,
   * so that a cancel's SIGKILL (the group outliving its grace) may cut the clean-up short but
   * never the run's end.
   */
  scratch?: string;
};

export const SPARK_SUBMIT_COMMAND: LocalCommand = { launcher: 'local', program: 'spark-submit', args: sparkSubmitArgs, needsS3aJars: true };

export type LocalLauncherOptions = SubmitOptions & {
  runsDir: string;
  /** What runs: spark-submit unless told otherwise. */
  command?: LocalCommand;
  /**
   * The environment spark-submit starts from; the broker's own when absent. `sluice serve`
   * passes the broker's environment without its SLUICE_* settings (config.childProcessEnv).
   * S3 keys (the `s3` settings, see s3a-settings.ts) reach spark-submit only through it,
   * never its argv, the spec or the log.
   */
  baseEnv?: Record<string, string>;
  /**
   * Asked before each new run: throws when this worker may not start runs in this runs
   * directory (runs-dir-lease.ts: another runs directory holds the lease).
   */
  ownership?: { check(): void };
  logger?: Logger;
  /** Milliseconds since the epoch; injectable for tests of the start grace. */
  clock?: () => number;
  timing?: Partial<LocalLauncherTiming>;
};

const DEFAULT_TIMING: LocalLauncherTiming = { startGraceMs: 30_000, logPollMs: 250, watchPollMs: 1_000, killGraceMs: 5_000 };

/**
 * The supervisor, run by `sh -c` in the run directory. It records its start time and then
 * its pid (refusing to run unrecorded, as such a run could never be found or stopped): the
 * supervisor reads its own /proc entry while it certainly lives, so the pair always names
 * this process, which the broker could not promise by reading it after spawn (the child may
 * already have ended and its pid been reaped). pid_start is written before pid, so a reader
 * that sees a pid sees its start time (where /proc exists). It runs spark-submit as its
 * child rather than exec'ing it because it must outlive it, and records the exit code last.
 * cancel()'s SIGTERM goes to the whole group, and the supervisor must outlive it so that a
 * cancelled run still gets an exit code. Its own bookkeeping ignores TERM (''), which its
 * `mv`s inherit: a cancel that came right after the pid appeared once killed the `mv` still
 * finishing that rename, and the supervisor exited without an exit code (the run read as
 * lost). Around spark-submit it is a handler instead, because an ignored signal would stay
 * ignored in spark-submit too, and a handler is reset to the default in a child. A cancel
 * that came before the pid is honoured through the `cancelled` marker: cancel() writes it
 * before reading the pid and the supervisor checks it after writing the pid, so one of the
 * two always sees the other.
 * `start_time` has its own positional parameters: "$@" (the command) stays as it is; the
 * first one is the command's scratch folder (LocalCommand.scratch, or empty), taken off first.
 */
const SUPERVISOR_SCRIPT = [
  "trap '' TERM",
  'scratch=$1; shift',
  'start_time() { shift 19; echo "$1"; }',
  'if read -r stat 2>/dev/null < /proc/$$/stat; then start_time ${stat##*") "} > pid_start.tmp && mv pid_start.tmp pid_start || exit 70; fi',
  'echo $$ > pid.tmp && mv pid.tmp pid || exit 70',
  "if [ -e cancelled ]; then code=143; else trap 'true' TERM; \"$@\"; code=$?; trap '' TERM; fi",
  'echo "$code" > exit_code.tmp && mv exit_code.tmp exit_code',
  'if [ -n "$scratch" ]; then rm -rf -- "$scratch"; fi',
].join('\n');

const RUN_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

type ActiveRun = { event: RunEnded; /** Started by this process: its exit event reports the end. */ supervised: boolean };

export class LocalLauncher implements Launcher {
  readonly name: string;
  private readonly command: LocalCommand;
  private readonly timing: LocalLauncherTiming;
  private readonly clock: () => number;
  private readonly listeners = new Set<LauncherListener>();
  /** Runs not yet seen to end, whose end watch() listeners hear about. */
  private readonly active = new Map<string, ActiveRun>();
  private watchTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: LocalLauncherOptions) {
    if (options.s3?.accessKeyId && !options.baseEnv) {
      // Keys travel only in the child's environment, which is built on baseEnv.
      throw new ConfigError('LocalLauncher: S3 keys need baseEnv, the environment spark-submit starts from');
    }
    this.command = options.command ?? SPARK_SUBMIT_COMMAND;
    this.name = this.command.launcher;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.clock = options.clock ?? Date.now;
  }

  async launch(request: RunRequest, _options?: CallOptions): Promise<RunHandle> {
    const runId = `${request.jobId}-${request.attempt}`;
    const dir = this.dirOf(runId);
    const fields = { jobId: request.jobId, attempt: request.attempt, runId };
    await mkdir(this.options.runsDir, { recursive: true });
    if ((await dir.changedAt()) !== undefined) return this.adopt(runId, request, dir);
    // Checked before the claim, so that a refused run leaves nothing behind. A misconfigured
    // broker is said before a run starts: the job fails with what to fix, not with a Spark stack trace.
    this.options.ownership?.check();
    if (this.command.needsS3aJars) {
      const s3 = s3Submit(this.options, request.spec);
      if (s3) await checkS3aJars(s3.jars);
    }
    if (!(await this.claim(runId, request.spec))) return this.adopt(runId, request, dir);
    try {
      this.track({ runId, attempt: request.attempt }, true);
      const pid = await this.startSupervisor(request, runId, dir);
      this.options.logger?.info({ ...fields, pid }, 'local run started');
    } catch (error) {
      // Nothing runs: clear the directory so that a retried launch starts afresh rather than adopting a husk.
      this.active.delete(runId);
      await rm(dir.path, { recursive: true, force: true });
      if (error instanceof ConfigError || error instanceof OperationalError) throw error;
      throw new OperationalError(`could not start local run ${runId}`, { cause: error });
    }
    return this.handleOf(runId, request.attempt, dir);
  }

  /** Reads the run directory (and /proc); starts nothing, tracks nothing. */
  async status(handle: RunHandle, _options?: CallOptions): Promise<RunStatus> {
    const dir = this.dirOf(handle.runId);
    const exitCode = await dir.readExitCode();
    if (exitCode !== undefined) return endedStatus(dir, exitCode, this.command.program);
    const pid = await dir.readPid();
    if (pid === undefined) {
      const changedAt = await dir.changedAt();
      if (changedAt === undefined) return { phase: 'lost', message: `local run directory ${dir.path} does not exist` };
      // Between the claim (rename) and the supervisor's first line there is no pid yet; a launcher
      // that crashed in that window leaves a directory that never gets one.
      if (this.clock() - changedAt > this.timing.startGraceMs) {
        return { phase: 'lost', message: `local run ${handle.runId} never started: no supervisor pid after ${this.timing.startGraceMs} ms` };
      }
      return { phase: 'pending' };
    }
    const supervisor = await this.supervisorOf(dir, pid);
    if (supervisor === 'alive') return { phase: 'running' };
    // The supervisor may have written its exit code and exited between the reads above.
    const lateExitCode = await dir.readExitCode();
    if (lateExitCode !== undefined) return endedStatus(dir, lateExitCode, this.command.program);
    if (supervisor === 'replaced') {
      return { phase: 'lost', message: `the recorded supervisor pid ${pid} of local run ${handle.runId} now belongs to another process` };
    }
    return { phase: 'lost', message: `the supervisor (pid ${pid}) of local run ${handle.runId} died without an exit code` };
  }

  async cancel(handle: RunHandle, options: CallOptions = {}): Promise<void> {
    const dir = this.dirOf(handle.runId);
    if ((await dir.readExitCode()) !== undefined || !(await dir.markCancelled())) return;
    const pid = await dir.readPid();
    // Without a live supervisor there is nothing to signal (one yet to start sees the marker).
    if (pid === undefined || (await dir.readExitCode()) !== undefined) return;
    const fields = { runId: handle.runId, pid };
    const supervisor = await this.supervisorOf(dir, pid);
    if (supervisor !== 'alive') {
      // A dead supervisor's pid may belong to another process by now: that one is never signalled.
      if (supervisor === 'replaced') this.options.logger?.warn(fields, 'local run supervisor pid now belongs to another process; not signalled');
      return;
    }
    this.options.logger?.info(fields, 'cancelling local run');
    // The supervisor leads its own process group: one signal reaches spark-submit, the JVM and the Python driver.
    signalGroup(pid, 'SIGTERM');
    if (await waitUntilGone(() => isAlive(-pid), this.timing.killGraceMs, options.signal)) return;
    if (options.signal?.aborted) return;
    // Signalled again only while the group is still the one verified above: its leader is the
    // same process, or, once the leader has exited, the group we have watched since (a group
    // id is not handed out again while any member of the group lives).
    if ((await this.supervisorOf(dir, pid)) === 'replaced') return;
    this.options.logger?.warn(fields, 'local run outlived SIGTERM; sending SIGKILL');
    signalGroup(pid, 'SIGKILL');
    // Judged by the supervisor, not the group: a member orphaned to a PID 1 that reaps no one
    // (a container's Node, some VMs' init) stays in the group as a zombie for good.
    if (await waitUntilGone(async () => (await this.supervisorOf(dir, pid)) === 'alive', this.timing.killGraceMs, options.signal)) await this.recordKill(dir);
  }

  /**
   * A SIGKILL kills the supervisor with its group, before it can record an exit code or remove
   * its command's scratch folder: the run would read as lost (a supervisor that died without
   * an exit code) rather than killed, and the embedded engine's spill (gigabytes) would stay on
   * the worker's disk until the job expires. The group is gone, so no one else writes here:
   * cancel() records the kill as the run's end (128 + 9, as a shell reports it) and does the
   * supervisor's clean-up.
   */
  private async recordKill(dir: RunDir): Promise<void> {
    if ((await dir.readExitCode()) === undefined) await dir.writeExitCode(128 + 9);
    if (this.command.scratch) await rm(join(dir.path, this.command.scratch), { recursive: true, force: true });
  }

  async *logs(handle: RunHandle, options: LogOptions = {}): AsyncGenerator<string> {
    const path = this.dirOf(handle.runId).file(RUN_FILES.log);
    const decoder = new StringDecoder('utf8');
    let position = 0;
    if (options.tail !== undefined) {
      const tail = await readTailLines(path, options.tail);
      if (tail.text) yield tail.text;
      position = tail.end;
    }
    for (;;) {
      // Decided before reading: all output precedes the exit code, so the read after seeing the end drains the log.
      const last = !options.follow || options.signal?.aborted === true || !isLive(await this.status(handle));
      for await (const chunk of readFrom(path, position)) {
        position += chunk.length;
        const text = decoder.write(chunk);
        if (text) yield text;
      }
      if (last) break;
      await pause(this.timing.logPollMs, options.signal);
    }
    const rest = decoder.end();
    if (rest) yield rest;
  }

  /**
   * Run ends for the listener: of runs this process starts or adopts, and, looked up once when
   * the first listener comes, of the runs already going in the runs directory (those a worker
   * restarted under them would otherwise learn of only at its next await poll).
   */
  watch(listener: LauncherListener): () => void {
    const first = this.listeners.size === 0;
    this.listeners.add(listener);
    if (first) void this.trackRunning();
    return () => this.listeners.delete(listener);
  }

  async runsOf(jobId: string): Promise<RunHandle[]> {
    const handles: RunHandle[] = [];
    for (const name of await this.runNames()) {
      const attempt = name.startsWith(`${jobId}-`) ? /^\d+$/.exec(name.slice(jobId.length + 1))?.[0] : undefined;
      if (attempt !== undefined) handles.push(await this.handleOf(name, Number(attempt), this.dirOf(name)));
    }
    return handles.sort((a, b) => a.attempt - b.attempt);
  }

  async remove(handle: RunHandle): Promise<void> {
    this.active.delete(handle.runId);
    await rm(this.dirOf(handle.runId).path, { recursive: true, force: true });
  }

  /** Stops watching (after a poll under way); runs keep going (they are detached) and can be adopted later. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.listeners.clear();
    this.active.clear();
    await this.polling;
  }

  private async startSupervisor(request: RunRequest, runId: string, dir: RunDir): Promise<number | undefined> {
    const args = this.command.args(this.options, request, runId, dir.file(RUN_FILES.spec));
    const s3 = s3Access(this.options.s3, request.spec);
    // The keys go in the spawned environment, not in the `env NAME=value` arguments: argv is
    // visible to every user of the machine (ps), the environment only to the run's own user.
    let env = this.options.baseEnv;
    if (env && s3 && Object.keys(s3.secretEnv).length > 0) {
      // A session token of other credentials in the broker's environment would not match these keys.
      const { AWS_SESSION_TOKEN: _token, ...rest } = env;
      env = { ...rest, ...s3.secretEnv };
    }
    const log = await open(dir.file(RUN_FILES.log), 'a');
    try {
      // detached: its own session and process group, so neither the broker's death nor a
      // signal to the broker's group reaches it; unref: the broker may exit while it runs.
      const child = spawn('sh', ['-c', SUPERVISOR_SCRIPT, 'sluice-supervisor', this.command.scratch ?? '', ...args], {
        cwd: dir.path,
        ...(env ? { env } : {}),
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      child.once('exit', () => this.reportEnd(runId));
      await once(child, 'spawn');
      child.unref();
      return child.pid;
    } finally {
      await log.close();
    }
  }

  /** The recorded supervisor now; its start time is read after the pid (it is written before it). */
  private async supervisorOf(dir: RunDir, pid: number): Promise<RecordedProcess> {
    return recordedProcess(pid, await dir.readPidStart());
  }

  /**
   * The atomic claim: the run directory appears whole, spec included, by one rename, so that of
   * two launches of the same run exactly one succeeds, and an adopter always finds the spec (its
   * time is the run's start, the same for every reader). False when another launch claimed it.
   */
  private async claim(runId: string, spec: unknown): Promise<boolean> {
    // A leading dot keeps the staging directory out of runNames().
    const staging = new RunDir(join(this.options.runsDir, `.claim-${runId}-${randomUUID()}`));
    try {
      await mkdir(staging.path);
      await staging.writeSpec(spec);
      await rename(staging.path, this.dirOf(runId).path);
      return true;
    } catch (error) {
      await rm(staging.path, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw new OperationalError(`could not start local run ${runId}`, { cause: error });
    }
  }

  private async adopt(runId: string, request: RunRequest, dir: RunDir): Promise<RunHandle> {
    this.options.logger?.info({ jobId: request.jobId, attempt: request.attempt, runId }, 'adopting existing local run');
    const handle = await this.handleOf(runId, request.attempt, dir);
    // An adopted run was started by another process (or an earlier life of this one): its end is polled for.
    this.track(handle, false);
    return handle;
  }

  private async handleOf(runId: string, attempt: number, dir: RunDir): Promise<RunHandle> {
    const startedAt = (await dir.startedAt()) ?? new Date(this.clock());
    return { launcher: this.name, runId, attempt, startedAt: startedAt.toISOString() };
  }

  private dirOf(runId: string): RunDir {
    if (!RUN_ID_PATTERN.test(runId)) throw new Error(`"${runId}" is not a local run id (letters, digits, "_" and "-" only)`);
    return new RunDir(join(this.options.runsDir, runId));
  }

  /** The run directories' names (other entries, such as the lease's identity file, are skipped). */
  private async runNames(): Promise<string[]> {
    try {
      return (await readdir(this.options.runsDir)).filter((name) => RUN_ID_PATTERN.test(name));
    } catch (error) {
      if (isMissingFile(error)) return [];
      throw error;
    }
  }

  /** Tracks every run of the runs directory without an exit code: started by an earlier process, ended later. */
  private async trackRunning(): Promise<void> {
    try {
      for (const runId of await this.runNames()) {
        const attempt = /-(\d+)$/.exec(runId)?.[1];
        if (attempt === undefined || this.active.has(runId)) continue;
        if ((await this.dirOf(runId).readExitCode()) === undefined) this.track({ runId, attempt: Number(attempt) }, false);
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'could not list local runs to watch');
    }
  }

  /** Remembers a run until its end is seen; runs this process did not start are polled. */
  private track(handle: Pick<RunHandle, 'runId' | 'attempt'>, supervised: boolean): void {
    if (this.closed || this.active.has(handle.runId)) return;
    const jobId = handle.runId.slice(0, -`-${handle.attempt}`.length);
    this.active.set(handle.runId, { event: { jobId, attempt: handle.attempt, runId: handle.runId }, supervised });
    if (!supervised && !this.watchTimer) {
      this.watchTimer = setInterval(() => void this.pollUnsupervised(), this.timing.watchPollMs);
      this.watchTimer.unref();
    }
  }

  private pollUnsupervised(): Promise<void> {
    this.polling ??= this.checkUnsupervised().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async checkUnsupervised(): Promise<void> {
    for (const [runId, run] of this.active) {
      if (run.supervised || this.closed) continue;
      try {
        const status = await this.status({ launcher: this.name, runId, attempt: run.event.attempt, startedAt: '' });
        if (!isLive(status)) this.reportEnd(runId);
      } catch (error) {
        this.options.logger?.warn({ runId, err: error }, 'could not check local run');
      }
    }
  }

  private reportEnd(runId: string): void {
    const run = this.active.get(runId);
    if (!run) return;
    this.active.delete(runId);
    if (![...this.active.values()].some((other) => !other.supervised)) {
      clearInterval(this.watchTimer);
      this.watchTimer = undefined;
    }
    for (const listener of this.listeners) {
      try {
        listener.ended(run.event);
      } catch (error) {
        this.options.logger?.error({ runId, err: error }, 'launcher listener failed');
      }
    }
  }
}

async function endedStatus(dir: RunDir, exitCode: number, program: string): Promise<RunStatus> {
  // A success needs no log: the common case of every await poll stays one small read.
  if (exitCode === SPARK_EXIT.ok) return endedRunStatus(exitCode, '');
  const { text } = await readTailLines(dir.file(RUN_FILES.log), FAILURE_SEARCH_LINES);
  return endedRunStatus(exitCode, text, exitDescription(exitCode, program));
}

function isLive(status: RunStatus): boolean {
  return status.phase === 'pending' || status.phase === 'running';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Whether what `lives` looks at (a process group, the supervisor) was gone within the time; false early when the caller's signal aborts. */
async function waitUntilGone(lives: () => boolean | Promise<boolean>, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await lives()) {
    if (Date.now() >= deadline || signal?.aborted) return false;
    await sleep(100);
  }
  return true;
}

/** Sleeps, waking early (without throwing) when the signal aborts. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
}
