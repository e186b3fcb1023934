// The local launcher: `spark-submit --master local[N]` on this machine, detached from the
// broker so that a worker restart, a deploy or a SIGKILL of the broker leaves the run going.
// Each run is driven by a tiny `sh` supervisor that leads its own session and talks to the
// broker only through the run directory (see run-dir.ts), so any broker process, the one
// that launched the run or one started later, can find, watch, read and stop it.
//
//   launch ─► mkdir <runsDir>/<runId> ─┬─ created ─► spec.json ─► spawn supervisor ─► pid … exit_code
//                                      └─ EEXIST ──► adopt (never a second run)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, open, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isMissingFile, OperationalError } from '../core/errors.ts';
import type { FailureClass, RunHandle } from '../core/job.ts';
import { FAILURE_LINE_PREFIX, FailureLineSchema, SPARK_EXIT, type FailureLine, type SparkRunSpec } from '../core/run-spec.ts';
import type { S3Settings } from '../lake/s3-storage.ts';
import type { Launcher, LauncherListener, LogOptions, RunEnded, RunRequest, RunStatus } from './launcher.ts';
import { lastLines, readFrom, readTailLines } from './log-tail.ts';
import { isAlive, RUN_FILES, RunDir } from './run-dir.ts';

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

export type LocalLauncherOptions = {
  runsDir: string;
  sparkSubmit: string;
  /** Holds the entry script, run_aggregate.py. */
  sparkAppsDir: string;
  /** Cores this machine gives one run; a pipeline asking for fewer gets fewer. */
  localCores: number;
  /** Variables set for spark-submit on top of its base environment. */
  env?: Record<string, string>;
  /**
   * The environment spark-submit starts from; the broker's own when absent. `sluice serve`
   * passes the broker's environment without its SLUICE_* settings (config.childProcessEnv).
   */
  baseEnv?: Record<string, string>;
  /**
   * How runs reach S3 (the SLUICE_S3_* settings), for runs whose inputs or output are
   * s3:// or s3a:// (see s3Submit). Keys, when set, reach spark-submit only through its
   * environment (which therefore needs baseEnv), never its argv, the spec or the log.
   */
  s3?: S3Settings;
  /** hadoop-aws and the AWS SDK bundle, passed as `--jars` to S3 runs (tool-cache.ts s3aJarPaths: what scripts/setup fetches). */
  s3aJars?: readonly string[];
  logger?: Logger;
  /** Milliseconds since the epoch; injectable for tests of the start grace. */
  clock?: () => number;
  timing?: Partial<LocalLauncherTiming>;
};

const DEFAULT_TIMING: LocalLauncherTiming = { startGraceMs: 30_000, logPollMs: 250, watchPollMs: 1_000, killGraceMs: 5_000 };

/**
 * The supervisor, run by `sh -c` in the run directory. It records its pid first (refusing
 * to run unrecorded, as such a run could never be found or stopped), runs spark-submit as
 * its child rather than exec'ing it because it must outlive it, and records the exit code
 * last. The TERM trap keeps it alive through cancel()'s SIGTERM to the whole group so that
 * a cancelled run still gets an exit code; it is a handler, not '' (ignore), because an
 * ignored signal would stay ignored in spark-submit too. A cancel that came before the pid
 * is honoured through the `cancelled` marker: cancel() writes it before reading the pid and
 * the supervisor checks it after writing the pid, so one of the two always sees the other.
 */
const SUPERVISOR_SCRIPT = [
  "trap 'true' TERM",
  'echo $$ > pid.tmp && mv pid.tmp pid || exit 70',
  'if [ -e cancelled ]; then code=143; else "$@"; code=$?; fi',
  'echo "$code" > exit_code.tmp && mv exit_code.tmp exit_code',
].join('\n');

/**
 * Spark settings every local run gets unless its pipeline says otherwise. The UI is off:
 * a local run's UI lives only as long as its driver, and on a shared worker each run would
 * contend for port 4040 and upwards; a pipeline may set spark.ui.enabled=true to debug.
 */
const DEFAULT_CONF: Record<string, string> = { 'spark.ui.enabled': 'false' };

/** S3A's provider for AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (hadoop-aws 3.4 takes SDK v2 providers by class name). */
const S3A_ENV_CREDENTIALS_PROVIDER = 'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider';

/** Spark's shutdown hooks log after the app's last words, so the failure line is looked for a little higher up. */
const FAILURE_SEARCH_LINES = 200;
const LOG_TAIL_LINES = 40;
const FAILURE_CLASS_BY_EXIT: Partial<Record<number, FailureClass>> = { [SPARK_EXIT.user]: 'user', [SPARK_EXIT.data]: 'data' };
const RUN_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

type ActiveRun = { event: RunEnded; /** Started by this process: its exit event reports the end. */ supervised: boolean };

export class LocalLauncher implements Launcher {
  readonly name = 'local';
  private readonly timing: LocalLauncherTiming;
  private readonly clock: () => number;
  private readonly listeners = new Set<LauncherListener>();
  /** Runs not yet seen to end, whose end watch() listeners hear about. */
  private readonly active = new Map<string, ActiveRun>();
  private watchTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;

  constructor(private readonly options: LocalLauncherOptions) {
    if (options.s3?.accessKeyId && !options.baseEnv) {
      // Keys travel only in the child's environment, which is built on baseEnv.
      throw new Error('LocalLauncher: S3 keys need baseEnv, the environment spark-submit starts from');
    }
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.clock = options.clock ?? Date.now;
  }

  async launch(request: RunRequest): Promise<RunHandle> {
    const runId = `${request.jobId}-${request.attempt}`;
    const dir = this.dirOf(runId);
    const fields = { jobId: request.jobId, attempt: request.attempt, runId };
    await mkdir(this.options.runsDir, { recursive: true });
    try {
      // The atomic claim: of two launches of the same run, exactly one creates the directory.
      await mkdir(dir.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      this.options.logger?.info(fields, 'adopting existing local run');
      const handle = await this.handleOf(runId, request.attempt, dir);
      this.track(handle, false);
      return handle;
    }
    this.track({ runId, attempt: request.attempt }, true);
    try {
      await dir.writeSpec(request.spec);
      const pid = await this.startSupervisor(request, runId, dir);
      this.options.logger?.info({ ...fields, pid }, 'local run started');
    } catch (error) {
      // Nothing runs: clear the directory so that a retried launch starts afresh rather than adopting a husk.
      this.active.delete(runId);
      await rm(dir.path, { recursive: true, force: true });
      throw new OperationalError(`could not start local run ${runId}`, { cause: error });
    }
    return this.handleOf(runId, request.attempt, dir);
  }

  async status(handle: RunHandle): Promise<RunStatus> {
    const dir = this.dirOf(handle.runId);
    const exitCode = await dir.readExitCode();
    if (exitCode !== undefined) return endedStatus(dir, exitCode);
    const pid = await dir.readPid();
    if (pid === undefined) {
      const changedAt = await dir.changedAt();
      if (changedAt === undefined) return { phase: 'lost', message: `local run directory ${dir.path} does not exist` };
      // Between the claim (mkdir) and the supervisor's first line there is no pid yet; a launcher
      // that crashed in that window leaves a directory that never gets one.
      if (this.clock() - changedAt > this.timing.startGraceMs) {
        return { phase: 'lost', message: `local run ${handle.runId} never started: no supervisor pid after ${this.timing.startGraceMs} ms` };
      }
      this.track(handle, false);
      return { phase: 'pending' };
    }
    if (isAlive(pid)) {
      this.track(handle, false);
      return { phase: 'running' };
    }
    // The supervisor may have written its exit code and exited between the two reads above.
    const lateExitCode = await dir.readExitCode();
    if (lateExitCode !== undefined) return endedStatus(dir, lateExitCode);
    return { phase: 'lost', message: `the supervisor (pid ${pid}) of local run ${handle.runId} died without an exit code` };
  }

  async cancel(handle: RunHandle): Promise<void> {
    const dir = this.dirOf(handle.runId);
    if ((await dir.readExitCode()) !== undefined || !(await dir.markCancelled())) return;
    const pid = await dir.readPid();
    // Without a live supervisor there is nothing to signal (one yet to start sees the marker);
    // a dead supervisor's pid may belong to another process by now.
    if (pid === undefined || (await dir.readExitCode()) !== undefined || !isAlive(pid)) return;
    const fields = { runId: handle.runId, pid };
    this.options.logger?.info(fields, 'cancelling local run');
    // The supervisor leads its own process group: one signal reaches spark-submit, the JVM and the Python driver.
    signalGroup(pid, 'SIGTERM');
    if (await waitForGroupExit(pid, this.timing.killGraceMs)) return;
    this.options.logger?.warn(fields, 'local run outlived SIGTERM; sending SIGKILL');
    signalGroup(pid, 'SIGKILL');
    await waitForGroupExit(pid, this.timing.killGraceMs);
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

  watch(listener: LauncherListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async runsOf(jobId: string): Promise<RunHandle[]> {
    let names: string[];
    try {
      names = await readdir(this.options.runsDir);
    } catch (error) {
      if (isMissingFile(error)) return [];
      throw error;
    }
    const handles: RunHandle[] = [];
    for (const name of names) {
      const attempt = name.startsWith(`${jobId}-`) ? /^\d+$/.exec(name.slice(jobId.length + 1))?.[0] : undefined;
      if (attempt !== undefined) handles.push(await this.handleOf(name, Number(attempt), this.dirOf(name)));
    }
    return handles.sort((a, b) => a.attempt - b.attempt);
  }

  async remove(handle: RunHandle): Promise<void> {
    this.active.delete(handle.runId);
    await rm(this.dirOf(handle.runId).path, { recursive: true, force: true });
  }

  /** Stops watching; runs keep going (they are detached) and can be adopted later. */
  close(): void {
    this.closed = true;
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.listeners.clear();
    this.active.clear();
  }

  private async startSupervisor(request: RunRequest, runId: string, dir: RunDir): Promise<number | undefined> {
    const args = sparkSubmitArgs(this.options, request, runId, dir.file(RUN_FILES.spec));
    const s3 = s3Submit(this.options, request.spec);
    for (const jar of s3?.jars ?? []) {
      await access(jar).catch((error: unknown) => {
        throw new Error(`the S3A jar ${jar} is missing: run scripts/setup (it fetches the versions pinned in scripts/versions.env)`, { cause: error });
      });
    }
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
      const child = spawn('sh', ['-c', SUPERVISOR_SCRIPT, 'sluice-supervisor', ...args], {
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

  private async handleOf(runId: string, attempt: number, dir: RunDir): Promise<RunHandle> {
    const startedAt = (await dir.startedAt()) ?? new Date(this.clock());
    return { launcher: this.name, runId, attempt, startedAt: startedAt.toISOString() };
  }

  private dirOf(runId: string): RunDir {
    if (!RUN_ID_PATTERN.test(runId)) throw new Error(`"${runId}" is not a local run id (letters, digits, "_" and "-" only)`);
    return new RunDir(join(this.options.runsDir, runId));
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

  private async pollUnsupervised(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [runId, run] of this.active) {
        if (run.supervised) continue;
        try {
          const status = await this.status({ launcher: this.name, runId, attempt: run.event.attempt, startedAt: '' });
          if (!isLive(status)) this.reportEnd(runId);
        } catch (error) {
          this.options.logger?.warn({ runId, err: error }, 'could not check local run');
        }
      }
    } finally {
      this.polling = false;
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

/** The supervisor's command: `env` sets the child's extra variables without the broker touching its own environment. */
export function sparkSubmitArgs(options: LocalLauncherOptions, request: RunRequest, runId: string, specPath: string): string[] {
  const engine = request.pipeline.engine;
  const s3 = s3Submit(options, request.spec);
  const env: Record<string, string> = {
    // spark-submit finds its Spark home and runs the driver with this Python: the one it was installed with.
    ...(options.sparkSubmit.includes('/') ? { PYSPARK_PYTHON: join(dirname(options.sparkSubmit), 'python') } : {}),
    // A local run needs no other address; it also spares Spark guessing one from the hostname.
    SPARK_LOCAL_IP: '127.0.0.1',
    ...s3?.env,
    ...options.env,
  };
  // The pipeline's own settings win, as over the defaults.
  const conf = { ...DEFAULT_CONF, ...s3?.conf, ...engine.conf };
  return [
    'env',
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    options.sparkSubmit,
    '--master', `local[${Math.min(engine.cores, options.localCores)}]`,
    '--name', `sluice-${runId}`,
    // In local mode the executors live in the driver's JVM: driver memory is the run's memory.
    '--driver-memory', engine.driver_memory,
    ...(s3 ? ['--jars', s3.jars.join(',')] : []),
    ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
    join(options.sparkAppsDir, 'run_aggregate.py'),
    '--spec', specPath,
  ];
}

/** What an S3 run adds to spark-submit: jars and settings in argv, keys apart for the environment. */
export type S3Submit = {
  jars: readonly string[];
  /** spark.hadoop.fs.s3a.* settings for Spark's reads and writes. */
  conf: Record<string, string>;
  /**
   * Variables the app's own S3 client (pyarrow, for footer checks, part-file listing and the
   * manifest, all before or outside Spark) reads; see spark-apps/sluice_spark/storage.py.
   */
  env: Record<string, string>;
  /** The keys: only ever set in the child's environment. */
  secretEnv: Record<string, string>;
};

/** Whether a run touches S3: an input or its output is an s3:// or s3a:// URI. */
function usesS3(spec: SparkRunSpec): boolean {
  return [...spec.inputs, spec.output.run_uri].some((uri) => /^s3a?:\/\//.test(uri));
}

/**
 * The S3 additions for a run that uses S3, undefined for one that does not (it neither
 * needs the 560 MB of jars on its classpath nor S3 settings). Throws when the run uses S3
 * but the launcher was given no S3 settings or jars: a misconfigured broker, not bad data.
 */
function s3Submit(options: LocalLauncherOptions, spec: SparkRunSpec): S3Submit | undefined {
  if (!usesS3(spec)) return undefined;
  const { s3, s3aJars } = options;
  if (!s3 || !s3aJars || s3aJars.length === 0) {
    throw new Error('this run reads or writes S3, but the local launcher has no S3 settings or S3A jars');
  }
  const conf: Record<string, string> = {
    'spark.hadoop.fs.s3a.endpoint.region': s3.region,
    'spark.hadoop.fs.s3a.path.style.access': String(s3.forcePathStyle),
  };
  const env: Record<string, string> = { AWS_REGION: s3.region, SLUICE_S3_PATH_STYLE: String(s3.forcePathStyle) };
  if (s3.endpoint) {
    conf['spark.hadoop.fs.s3a.endpoint'] = s3.endpoint;
    conf['spark.hadoop.fs.s3a.connection.ssl.enabled'] = String(new URL(s3.endpoint).protocol === 'https:');
    // Read by pyarrow's S3FileSystem (Arrow 15+) as by the AWS CLI and SDKs.
    env.AWS_ENDPOINT_URL = s3.endpoint;
  }
  const secretEnv: Record<string, string> = {};
  if (s3.accessKeyId && s3.secretAccessKey) {
    conf['spark.hadoop.fs.s3a.aws.credentials.provider'] = S3A_ENV_CREDENTIALS_PROVIDER;
    secretEnv.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    secretEnv.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  }
  // Without keys: S3A's and pyarrow's default chains (environment, web identity, instance role).
  return { jars: s3aJars, conf, env, secretEnv };
}

async function endedStatus(dir: RunDir, exitCode: number): Promise<RunStatus> {
  if (exitCode === SPARK_EXIT.ok) return { phase: 'succeeded' };
  const { text } = await readTailLines(dir.file(RUN_FILES.log), FAILURE_SEARCH_LINES);
  const line = failureLine(text);
  return {
    phase: 'failed',
    failureClass: FAILURE_CLASS_BY_EXIT[exitCode] ?? 'platform',
    message: line?.message ?? exitDescription(exitCode),
    logTail: lastLines(text, LOG_TAIL_LINES),
    ...(line?.input ? { input: line.input } : {}),
  };
}

/** The last `SLUICE_FAILURE {json}` line, the app's own account of its failure. */
export function failureLine(log: string): FailureLine | undefined {
  const lines = log.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = lines[index]!;
    if (!line.startsWith(FAILURE_LINE_PREFIX)) continue;
    try {
      const parsed = FailureLineSchema.safeParse(JSON.parse(line.slice(FAILURE_LINE_PREFIX.length)));
      if (parsed.success) return parsed.data;
    } catch {
      // A garbled failure line says nothing usable; an earlier one or the exit code will.
    }
  }
  return undefined;
}

function exitDescription(exitCode: number): string {
  // sh reports a child killed by signal N as 128 + N.
  return exitCode > 128 ? `spark-submit was killed by signal ${exitCode - 128}` : `spark-submit exited with code ${exitCode}`;
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

async function waitForGroupExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(-pid)) {
    if (Date.now() >= deadline) return false;
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
