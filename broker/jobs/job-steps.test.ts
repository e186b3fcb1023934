// The job steps as a table: (state, launcher status, clock) → (next state, outcome), with
// in-memory fakes behind the small ports JobSteps depends on (JobRecords, SlotPort, a
// launcher, the lake, a sink). Real Redis, Spark and SQL are the integration tests' business;
// this is the decision logic, every branch of it, at the pipeline's production defaults
// (24 h queued, 2 m launching, 2 h running, 30 m loading, 3 attempts).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, DeadlineError } from '../core/errors.ts';
import { newJobId } from '../core/ids.ts';
import type { FailureClass, Job, JobState, RunHandle } from '../core/job.ts';
import { runKey, MANIFEST_FILE, summarizeManifest, type RunManifest } from '../core/manifest.ts';
import { PipelineSchema, type Pipeline } from '../core/pipeline.ts';
import { stageStartedAt } from '../core/state-machine.ts';
import { LauncherRegistry } from '../launchers/launcher-registry.ts';
import type { CallOptions, Launcher, RunRequest, RunStatus } from '../launchers/launcher.ts';
import type { LakeStorage, StoredObject } from '../lake/storage.ts';
import { pipelineRegistry } from '../pipelines/load-pipelines.ts';
import type { SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import type { LoadPhase, LoadRequest } from '../../sql-sinks/sink.ts';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import type { LoadOutcome } from '../core/job.ts';
import type { JobFinalizer } from './job-finalizer.ts';
import { FINISH_RETRY_MS, JobSteps, LOAD_CANCEL_POLL_MS, type StepOutcome } from './job-steps.ts';
import type { JobRecords, ReleaseOptions, StoredJob } from './job-store.ts';
import type { SlotPort, SlotTake, SlotTerms } from './run-slots.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-01-01T00:00:00Z');

const basePipeline = (name: string, extra: Record<string, unknown> = {}): Pipeline =>
  PipelineSchema.parse({
    name,
    input: { columns: { x: 'long' } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: 'totals' }, ...(extra.outputs as object | undefined) },
    ...(extra.policy ? { policy: extra.policy } : {}),
  });

const PIPELINES = pipelineRegistry([
  basePipeline('plain'),
  basePipeline('to-sql', { outputs: { sql: { connection: 'reporting', table: 'totals', keys: ['x'] } } }),
  basePipeline('unbounded-queue', { policy: { timeouts: { queued: 'none' } } }),
  // 'to-sql' after a deploy that renamed its lake table.
  basePipeline('to-sql-renamed', { outputs: { lake: { table: 'totals_v2' }, sql: { connection: 'reporting', table: 'totals', keys: ['x'] } } }),
]);

// ---- in-memory fakes -------------------------------------------------------------------

class MemoryRecords implements JobRecords {
  readonly raws = new Map<string, string>();
  constructor(private readonly slots: FakeSlots) {}
  /** Compare-and-sets that wrote. */
  writes = 0;
  /** Records read. */
  reads = 0;
  put(job: Job): void {
    this.raws.set(job.id, JSON.stringify(job));
  }
  async read(id: string): Promise<StoredJob | undefined> {
    this.reads += 1;
    const raw = this.raws.get(id);
    return raw === undefined ? undefined : { job: JSON.parse(raw) as Job, raw };
  }
  async compareAndSet(current: StoredJob, next: Job): Promise<StoredJob | undefined> {
    if (this.raws.get(next.id) !== current.raw) return undefined;
    const raw = JSON.stringify(next);
    this.raws.set(next.id, raw);
    this.writes += 1;
    return { job: next, raw };
  }
  async takeSlotAndSet(current: StoredJob, next: Job): Promise<{ written: StoredJob | undefined; slot: SlotTake }> {
    if (this.raws.get(next.id) !== current.raw) return { written: undefined, slot: 'taken' };
    const slot = await this.slots.acquire();
    if (slot !== 'taken') return { written: undefined, slot };
    return { written: await this.compareAndSet(current, next), slot };
  }
  async releaseSlotAndSet(current: StoredJob, next: Job, options: ReleaseOptions = {}): Promise<{ written: StoredJob | undefined; waiters: string[] }> {
    if (options.onlyIfWritten) {
      const written = await this.compareAndSet(current, next);
      return { written, waiters: written ? await this.slots.release(current.job.id) : [] };
    }
    const waiters = await this.slots.release(current.job.id);
    return { written: await this.compareAndSet(current, next), waiters };
  }
  async queuedBefore(pipeline: string, enteredBeforeMs: number, limit: number): Promise<string[]> {
    return [...this.raws.values()]
      .map((raw) => JSON.parse(raw) as Job)
      .filter((job) => job.pipeline === pipeline && job.state === 'queued' && stageStartedAt(job) < enteredBeforeMs)
      .slice(0, limit)
      .map((job) => job.id);
  }
  get(id: string): Job {
    return JSON.parse(this.raws.get(id)!) as Job;
  }
}

class FakeSlots implements SlotPort {
  released: string[] = [];
  /** Slots handed out. */
  taken = 0;
  /** Launches paused (POST /v1/queues/jobs/pause): no slot is handed out, free or not. */
  paused = false;
  constructor(public free = true) {}
  async acquire(): Promise<SlotTake> {
    if (this.paused) return 'paused';
    if (this.free) this.taken += 1;
    return this.free ? 'taken' : 'full';
  }
  terms(): SlotTerms {
    return { globalCap: 10, pipelineCap: 2, waiterScore: 0 };
  }
  async release(jobId: string): Promise<string[]> {
    this.released.push(jobId);
    return [];
  }
}

class MemoryLake implements LakeStorage {
  readonly rootUri = 'memory://lake';
  readonly objects = new Map<string, Buffer>();
  uri(key: string): string {
    return `${this.rootUri}/${key}`;
  }
  async read(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key);
  }
  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    return this.objects.get(key)!.subarray(start, end);
  }
  async write(key: string, body: Buffer | string): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async list(prefix: string): Promise<StoredObject[]> {
    return [...this.objects].filter(([key]) => key.startsWith(prefix)).map(([key, body]) => ({ key, size: body.length }));
  }
  async delete(prefix: string): Promise<void> {
    for (const key of this.objects.keys()) if (key.startsWith(prefix)) this.objects.delete(key);
  }
}

/** What the fake launcher does when called: answer, throw, or never return (advancing the clock first, as time passes while it hangs). */
type Behaviour<T> = { answer: T } | { throws: Error } | { hangs: true; clockAdvanceMs?: number };

class FakeLauncher implements Launcher {
  readonly name = 'local';
  launched: RunRequest[] = [];
  cancelled: string[] = [];
  /** The signal each launch() and status() call was given (undefined: none). */
  signals: Array<AbortSignal | undefined> = [];
  constructor(
    private readonly clock: Clock,
    private readonly onLaunch: Behaviour<undefined> = { answer: undefined },
    private readonly onStatus: Behaviour<RunStatus> = { answer: { phase: 'running' } },
  ) {}
  async launch(request: RunRequest, options?: CallOptions): Promise<RunHandle> {
    this.launched.push(request);
    await this.behave(this.onLaunch, options);
    return handleOf(request.jobId, request.attempt);
  }
  async status(_handle: RunHandle, options?: CallOptions): Promise<RunStatus> {
    return this.behave(this.onStatus, options);
  }
  async cancel(handle: RunHandle): Promise<void> {
    this.cancelled.push(handle.runId);
  }
  async *logs(): AsyncGenerator<string> {}
  async runsOf(jobId: string): Promise<RunHandle[]> {
    return this.launched.filter((request) => request.jobId === jobId).map((request) => handleOf(request.jobId, request.attempt));
  }
  private async behave<T>(behaviour: Behaviour<T>, options: CallOptions | undefined): Promise<T> {
    this.signals.push(options?.signal);
    if ('answer' in behaviour) return behaviour.answer;
    if ('throws' in behaviour) throw behaviour.throws;
    this.clock.advance(behaviour.clockAdvanceMs ?? 0);
    return new Promise<T>(() => undefined);
  }
}

class Clock {
  constructor(public ms: number) {}
  advance(ms: number): void {
    this.ms += ms;
  }
  now = (): Date => new Date(this.ms);
}

const handleOf = (jobId: string, attempt: number): RunHandle => ({ launcher: 'local', runId: `${jobId}-${attempt}`, attempt, startedAt: new Date(T0).toISOString() });

function manifestOf(job: Job): RunManifest {
  return {
    version: 1,
    job_id: job.id,
    attempt: job.attempt,
    pipeline: job.pipeline,
    table: 'totals',
    run_uri: `memory://lake/${runKey('totals', job.id, job.attempt)}`,
    committed_at: new Date(T0).toISOString(),
    rows_in: 3,
    rows_out: 2,
    inputs: [],
    files: [],
    schema: [{ name: 'x', type: 'bigint', nullable: false }],
  };
}

type JobSetup = {
  state: JobState;
  pipeline?: string;
  /** How long ago the job entered its state. */
  enteredAgoMs?: number;
  attempt?: number;
  maxAttempts?: number;
  cancelRequested?: boolean;
  retryInMs?: number;
  /** Fields of the recorded run beyond its identity (a Spark state, links seen before). */
  run?: Partial<RunHandle>;
};

function jobOf(setup: JobSetup, now: number): Job {
  const attempt = setup.attempt ?? 1;
  const at = new Date(now - (setup.enteredAgoMs ?? 0)).toISOString();
  return {
    id: 'j1',
    pipeline: setup.pipeline ?? 'plain',
    state: setup.state,
    attempt,
    maxAttempts: setup.maxAttempts ?? 3,
    priority: 10,
    parameters: {},
    inputs: ['s3://landing/in/a.parquet'],
    labels: {},
    traceId: 'trace-1',
    createdAt: at,
    updatedAt: at,
    history: [{ state: setup.state, at, attempt }],
    ...(['running', 'loading'].includes(setup.state) ? { run: { ...handleOf('j1', attempt), ...setup.run } } : {}),
    ...(setup.cancelRequested ? { cancelRequested: true } : {}),
    ...(setup.retryInMs ? { retryAt: new Date(now + setup.retryInMs).toISOString() } : {}),
  };
}

type World = {
  steps: JobSteps;
  records: MemoryRecords;
  slots: FakeSlots;
  launcher: FakeLauncher;
  lake: MemoryLake;
  clock: Clock;
};

type WorldSetup = {
  job: JobSetup;
  slotFree?: boolean;
  launchesPaused?: boolean;
  launch?: Behaviour<undefined>;
  status?: RunStatus | Behaviour<RunStatus>;
  committed?: boolean;
  /** A manifest is there but is not one (a half-written or overwritten file). */
  brokenManifest?: boolean;
  /** The launcher registry lacks the pipelines' launcher (a misconfigured worker). */
  noLocalLauncher?: boolean;
  sink?: Behaviour<undefined>;
  callCapMs?: number;
  finalizer?: JobFinalizer;
  /** Runs inside the sink's load, before it answers (it may throw): what happens meanwhile. */
  duringLoad?: (request: LoadRequest, records: MemoryRecords) => Promise<void>;
};

function world(setup: WorldSetup): World {
  const clock = new Clock(T0 + 30 * 86_400_000);
  const slots = new FakeSlots(setup.slotFree ?? true);
  slots.paused = setup.launchesPaused ?? false;
  const records = new MemoryRecords(slots);
  const job = jobOf(setup.job, clock.ms);
  records.put(job);
  const status: Behaviour<RunStatus> | undefined =
    setup.status === undefined ? undefined : 'phase' in setup.status ? { answer: setup.status } : setup.status;
  const launcher = new FakeLauncher(clock, setup.launch, status);
  const lake = new MemoryLake();
  if (setup.committed) void lake.write(`${runKey('totals', job.id, job.attempt)}/${MANIFEST_FILE}`, JSON.stringify(manifestOf(job)));
  if (setup.brokenManifest) void lake.write(`${runKey('totals', job.id, job.attempt)}/${MANIFEST_FILE}`, '{"job_id": "j1", "fil');
  const steps = new JobSteps({
    store: records,
    slots,
    launchers: new LauncherRegistry(setup.noLocalLauncher ? { other: launcher } : { local: launcher }),
    lake,
    pipelines: PIPELINES,
    landingRoots: [],
    logger: pino({ level: 'silent' }),
    pollMs: 5_000,
    slotWaitMs: 2_000,
    wake: async () => undefined,
    sinks: fakeSinks(clock, setup.sink ?? { answer: undefined }, setup.duringLoad && ((request) => setup.duringLoad!(request, records))),
    now: clock.now,
    random: () => 0,
    ...(setup.callCapMs ? { callCapMs: setup.callCapMs } : {}),
    ...(setup.finalizer ? { finalizer: setup.finalizer } : {}),
  });
  return { steps, records, slots, launcher, lake, clock };
}

function fakeSinks(clock: Clock, behaviour: Behaviour<undefined>, duringLoad?: (request: LoadRequest) => Promise<void>): SinkRegistry {
  const sink = {
    dialect: 'postgres' as const,
    async load(request: LoadRequest): Promise<LoadOutcome> {
      await duringLoad?.(request);
      if ('throws' in behaviour) throw behaviour.throws;
      if ('hangs' in behaviour) {
        clock.advance(behaviour.clockAdvanceMs ?? 0);
        return new Promise<LoadOutcome>(() => undefined);
      }
      return {
        sink: 'reporting:totals', dialect: 'postgres', table: 'totals', mode: 'merge', runAttempt: 1, rowsStaged: 2,
        inserted: 2, updated: 0, deleted: 0, durationMs: 5, loadedAt: new Date(clock.ms).toISOString(), alreadyLoaded: false, checksum: 'c'.repeat(64),
      };
    },
    close: async () => undefined,
  };
  return { get: () => sink, close: async () => undefined } as unknown as SinkRegistry;
}

/** What one step did, as the table states it. */
type Expected = {
  outcome: StepOutcome['kind'] | 'throws';
  state: JobState;
  attempt?: number;
  failure?: FailureClass;
  /** Words the failure message holds. */
  message?: RegExp;
  waitMs?: number;
  launches?: number;
  cancels?: number;
  slotReleased?: boolean;
  /** The error a throwing step throws. */
  error?: new (...args: never[]) => Error;
  /** What the recorded run shows afterwards (exactly these values for these fields). */
  run?: Partial<RunHandle>;
  /** How many writes the step made. */
  writes?: number;
};

type Row = [name: string, setup: WorldSetup, expected: Expected];

const UI = 'https://spark.example/ns/sluice-j1-1/';
const HISTORY = 'https://history.example/history/spark-0001/';

const LAUNCH_HANGS_PAST_STAGE: Behaviour<undefined> = { hangs: true, clockAdvanceMs: 3 * MINUTE };
const MISSING_JAR = new ConfigError('the S3A jar /cache/hadoop-aws-3.4.1.jar is missing: run scripts/setup');

const ROWS: Row[] = [
  // queued
  ['queued, slot free → launching', { job: { state: 'queued' } }, { outcome: 'continue', state: 'launching' }],
  ['queued, no slot → wait for one', { job: { state: 'queued' }, slotFree: false }, { outcome: 'wait', state: 'queued', waitMs: 2_000 }],
  ['queued, launches paused → wait a minute (resume wakes it), nothing launched', { job: { state: 'queued' }, launchesPaused: true }, { outcome: 'wait', state: 'queued', waitMs: 60_000, launches: 0 }],
  ['queued, launches paused, 5 s left of timeouts.queued → wake at it', { job: { state: 'queued', enteredAgoMs: 24 * HOUR - 5_000 }, launchesPaused: true }, { outcome: 'wait', state: 'queued', waitMs: 5_000 }],
  ['running, launches paused → polled as ever', { job: { state: 'running', enteredAgoMs: MINUTE }, status: { phase: 'running' }, launchesPaused: true }, { outcome: 'wait', state: 'running', waitMs: 5_000 }],
  ['running, launches paused, cancel requested → run stopped, cancelled', { job: { state: 'running', cancelRequested: true }, launchesPaused: true }, { outcome: 'continue', state: 'cancelled', failure: 'cancelled', cancels: 1, slotReleased: true }],
  ['queued, retry backoff pending → wait it out', { job: { state: 'queued', retryInMs: 4_000 } }, { outcome: 'wait', state: 'queued', waitMs: 4_000 }],
  ['queued past 24 h → failed (timeout), no retry', { job: { state: 'queued', enteredAgoMs: 25 * HOUR } }, { outcome: 'continue', state: 'failed', failure: 'timeout', attempt: 1, message: /queued longer than 86400000 ms \(policy\.timeouts\.queued\)/, slotReleased: true }],
  ['queued 25 h with queued: none → launching', { job: { state: 'queued', pipeline: 'unbounded-queue', enteredAgoMs: 25 * HOUR } }, { outcome: 'continue', state: 'launching' }],
  ['queued, cancel requested → cancelled', { job: { state: 'queued', cancelRequested: true } }, { outcome: 'continue', state: 'cancelled', failure: 'cancelled', cancels: 0 }],

  // launching
  ['launching, launch ok → running', { job: { state: 'launching' } }, { outcome: 'continue', state: 'running', launches: 1 }],
  ['launching, configuration error (missing S3A jar) → failed (user) at once with its message', { job: { state: 'launching' }, launch: { throws: MISSING_JAR } }, { outcome: 'continue', state: 'failed', failure: 'user', attempt: 1, message: /S3A jar \/cache\/hadoop-aws-3\.4\.1\.jar is missing/ }],
  ['launching, the worker has no such launcher → failed (user) at once', { job: { state: 'launching' }, noLocalLauncher: true }, { outcome: 'continue', state: 'failed', failure: 'user', message: /launcher "local" \(engine\.launcher\)/, launches: 0 }],
  ['launching, launch hangs past the stage → retry (timeout), run stopped', { job: { state: 'launching', enteredAgoMs: 119_500 }, launch: LAUNCH_HANGS_PAST_STAGE }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'timeout', message: /launching took longer than 120000 ms: launcher local: launch\(\) did not return within 1000 ms/, cancels: 1, slotReleased: true }],
  ['launching, launch hangs past the stage, last attempt → failed (timeout)', { job: { state: 'launching', enteredAgoMs: 119_500, attempt: 3 }, launch: LAUNCH_HANGS_PAST_STAGE }, { outcome: 'continue', state: 'failed', attempt: 3, failure: 'timeout', cancels: 1 }],
  ['launching, launch hangs past its call cap with stage time left → the step throws (retried by the worker)', { job: { state: 'launching' }, launch: { hangs: true }, callCapMs: 1_000 }, { outcome: 'throws', state: 'launching', error: DeadlineError }],
  ['launching already past its timeout → retry (timeout) without launching', { job: { state: 'launching', enteredAgoMs: 3 * MINUTE } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'timeout', launches: 0 }],
  ['launching, transient launcher error → the step throws (retried by the worker)', { job: { state: 'launching' }, launch: { throws: new Error('EAGAIN') } }, { outcome: 'throws', state: 'launching', error: Error }],

  // running
  ['running, status running → poll again', { job: { state: 'running', enteredAgoMs: MINUTE }, status: { phase: 'running' } }, { outcome: 'wait', state: 'running', waitMs: 5_000 }],
  ['running, status pending → poll again', { job: { state: 'running' }, status: { phase: 'pending' } }, { outcome: 'wait', state: 'running', waitMs: 5_000 }],
  ['running, pending 1 s before the launching timeout → wake at it', { job: { state: 'running', enteredAgoMs: 2 * MINUTE - 1_000 }, status: { phase: 'pending' } }, { outcome: 'wait', state: 'running', waitMs: 1_000 }],
  ['running, still pending past the launching timeout → run stopped, retry (timeout) saying why it waited', { job: { state: 'running', enteredAgoMs: 2 * MINUTE + 1 }, status: { phase: 'pending', waitingFor: 'image pull failed: registry.invalid/spark:4 not found' } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'timeout', message: /did not start within 120000 ms \(timeouts\.launching\): image pull failed: registry\.invalid/, cancels: 1, slotReleased: true }],
  ['running, 3 s before its timeout → wake at the timeout', { job: { state: 'running', enteredAgoMs: 2 * HOUR - 3_000 }, status: { phase: 'running' } }, { outcome: 'wait', state: 'running', waitMs: 3_000 }],
  ['running past 2 h → run stopped, retry (timeout)', { job: { state: 'running', enteredAgoMs: 2 * HOUR + 1 }, status: { phase: 'running' } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'timeout', cancels: 1, slotReleased: true }],
  ['running past 2 h on the last attempt → run stopped, failed (timeout)', { job: { state: 'running', enteredAgoMs: 2 * HOUR + 1, attempt: 3 }, status: { phase: 'running' } }, { outcome: 'continue', state: 'failed', failure: 'timeout', cancels: 1 }],
  ['running, status hangs past the stage → run stopped, retry (timeout)', { job: { state: 'running', enteredAgoMs: 2 * HOUR - 500 }, status: { hangs: true, clockAdvanceMs: MINUTE } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'timeout', message: /status\(\) did not return/, cancels: 1 }],
  ['running, status hangs with stage time left → the step throws', { job: { state: 'running' }, status: { hangs: true }, callCapMs: 1_000 }, { outcome: 'throws', state: 'running', error: DeadlineError, cancels: 0 }],
  ['running, succeeded and committed → succeeded', { job: { state: 'running' }, status: { phase: 'succeeded' }, committed: true }, { outcome: 'continue', state: 'succeeded', slotReleased: true }],
  ['running, succeeded and committed, SQL outputs → loading', { job: { state: 'running', pipeline: 'to-sql' }, status: { phase: 'succeeded' }, committed: true }, { outcome: 'continue', state: 'loading' }],
  ['running, succeeded without a manifest → retry (platform)', { job: { state: 'running' }, status: { phase: 'succeeded' } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'platform', message: /without committing/ }],
  ['running, failed (data) → failed, no retry', { job: { state: 'running' }, status: { phase: 'failed', failureClass: 'data', message: 'bad file', logTail: '', input: '/l/a.parquet' } }, { outcome: 'continue', state: 'failed', attempt: 1, failure: 'data', message: /bad file/ }],
  ['running, failed (user) → failed, no retry', { job: { state: 'running' }, status: { phase: 'failed', failureClass: 'user', message: 'bad sql', logTail: '' } }, { outcome: 'continue', state: 'failed', attempt: 1, failure: 'user' }],
  ['running, failed (platform), attempts left → retry', { job: { state: 'running' }, status: { phase: 'failed', failureClass: 'platform', message: 'JVM died', logTail: '' } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'platform' }],
  ['running, failed (platform), no attempts left → failed', { job: { state: 'running', attempt: 3 }, status: { phase: 'failed', failureClass: 'platform', message: 'JVM died', logTail: '' } }, { outcome: 'continue', state: 'failed', attempt: 3, failure: 'platform' }],
  ['running, lost but its manifest is committed → succeeded with that run', { job: { state: 'running' }, status: { phase: 'lost', message: 'supervisor died' }, committed: true }, { outcome: 'continue', state: 'succeeded', attempt: 1, cancels: 0, slotReleased: true }],
  ['running, lost with a committed manifest, SQL outputs → loading', { job: { state: 'running', pipeline: 'to-sql' }, status: { phase: 'lost', message: 'supervisor died' }, committed: true }, { outcome: 'continue', state: 'loading', attempt: 1 }],
  ['running, succeeded with a broken manifest → retry (platform) at once, naming it (the step is not taken again: it would read the same bytes)', { job: { state: 'running' }, status: { phase: 'succeeded' }, brokenManifest: true }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'platform', message: /run manifest totals\/run=j1-1\/_manifest\.json is invalid: not JSON/, slotReleased: true }],
  ['running, lost with a broken manifest → retry (platform) at once', { job: { state: 'running' }, status: { phase: 'lost', message: 'supervisor died' }, brokenManifest: true }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'platform', message: /is invalid: not JSON/ }],
  ['running, lost without a manifest → retry (platform)', { job: { state: 'running' }, status: { phase: 'lost', message: 'supervisor died' } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'platform', message: /supervisor died/ }],

  // running: the run's live view (Spark's state, links) is written when it changed, and only then
  ['running, Spark state now RUNNING → recorded in one write, poll again', { job: { state: 'running', run: { sparkState: 'SUBMITTED', uiUrl: UI } }, status: { phase: 'running', run: { sparkState: 'RUNNING', uiUrl: UI } } }, { outcome: 'wait', state: 'running', waitMs: 5_000, run: { sparkState: 'RUNNING', uiUrl: UI }, writes: 1 }],
  ['running, the application id arrived: history link recorded while pending', { job: { state: 'running' }, status: { phase: 'pending', run: { sparkState: 'SUBMITTED', historyUrl: HISTORY } } }, { outcome: 'wait', state: 'running', waitMs: 5_000, run: { sparkState: 'SUBMITTED', historyUrl: HISTORY }, writes: 1 }],
  ['running, view unchanged → no write', { job: { state: 'running', run: { sparkState: 'RUNNING', uiUrl: UI } }, status: { phase: 'running', run: { sparkState: 'RUNNING', uiUrl: UI } } }, { outcome: 'wait', state: 'running', waitMs: 5_000, run: { sparkState: 'RUNNING', uiUrl: UI }, writes: 0 }],
  ['running, no view (the run\'s objects are gone) → the recorded state and links stay, no write', { job: { state: 'running', run: { sparkState: 'RUNNING', historyUrl: HISTORY } }, status: { phase: 'running' } }, { outcome: 'wait', state: 'running', run: { sparkState: 'RUNNING', historyUrl: HISTORY }, writes: 0 }],
  ['running, succeeded as COMPLETED → succeeded, the final state written with the transition (one write), the history link kept', { job: { state: 'running', run: { sparkState: 'RUNNING', uiUrl: UI, historyUrl: HISTORY } }, status: { phase: 'succeeded', run: { sparkState: 'COMPLETED', uiUrl: UI } }, committed: true }, { outcome: 'continue', state: 'succeeded', run: { sparkState: 'COMPLETED', uiUrl: UI, historyUrl: HISTORY }, writes: 1 }],
  ['running, failed as FAILED, attempts left → retry; the failed attempt\'s run shows FAILED', { job: { state: 'running', run: { sparkState: 'RUNNING' } }, status: { phase: 'failed', failureClass: 'platform', message: 'JVM died', logTail: '', run: { sparkState: 'FAILED', historyUrl: HISTORY } } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'platform', run: { attempt: 1, sparkState: 'FAILED', historyUrl: HISTORY }, writes: 1 }],
  ['running past 2 h with a new Spark state → run stopped, retry (timeout), the state written with it', { job: { state: 'running', enteredAgoMs: 2 * HOUR + 1 }, status: { phase: 'running', run: { sparkState: 'RUNNING' } } }, { outcome: 'continue', state: 'queued', attempt: 2, failure: 'timeout', cancels: 1, run: { sparkState: 'RUNNING' }, writes: 1 }],
  ['running, cancel requested → run stopped, cancelled', { job: { state: 'running', cancelRequested: true } }, { outcome: 'continue', state: 'cancelled', failure: 'cancelled', cancels: 1, slotReleased: true }],

  // loading
  ['loading, sink loads → outcome recorded', { job: { state: 'loading', pipeline: 'to-sql' }, committed: true }, { outcome: 'continue', state: 'loading' }],
  ['loading 31 m after its retry was scheduled, 1 m after it was due → loads (backoff is not the stage\'s time)', { job: { state: 'loading', pipeline: 'to-sql', enteredAgoMs: 31 * MINUTE, retryInMs: -MINUTE }, committed: true }, { outcome: 'continue', state: 'loading' }],
  ['loading past 30 m → load retry (timeout)', { job: { state: 'loading', pipeline: 'to-sql', enteredAgoMs: 31 * MINUTE }, committed: true }, { outcome: 'continue', state: 'loading', attempt: 2, failure: 'timeout', message: /loading took longer than 1800000 ms/ }],
  ['loading past 30 m on the last attempt → failed (timeout)', { job: { state: 'loading', pipeline: 'to-sql', enteredAgoMs: 31 * MINUTE, attempt: 3 }, committed: true }, { outcome: 'continue', state: 'failed', failure: 'timeout' }],
  ['loading, sink call hangs past the stage → load retry (timeout)', { job: { state: 'loading', pipeline: 'to-sql', enteredAgoMs: 30 * MINUTE - 500 }, committed: true, sink: { hangs: true, clockAdvanceMs: MINUTE } }, { outcome: 'continue', state: 'loading', attempt: 2, failure: 'timeout', message: /sql sink reporting:totals: load\(\) did not return/ }],
  ['loading, sink reports a data error → failed, no retry', { job: { state: 'loading', pipeline: 'to-sql' }, committed: true, sink: { throws: new SinkError('data', 'value too long') } }, { outcome: 'continue', state: 'failed', failure: 'data', message: /reporting:totals: value too long/ }],
  ['loading, committed run missing → load retry (platform)', { job: { state: 'loading', pipeline: 'to-sql' } }, { outcome: 'continue', state: 'loading', attempt: 2, failure: 'platform', message: /committed run cannot be found/ }],
];

describe('JobSteps.advance', () => {
  it.each(ROWS)('%s', async (_name, setup, expected) => {
    const { steps, records, slots, launcher } = world(setup);
    let outcome: StepOutcome | undefined;
    let thrown: unknown;
    try {
      outcome = await steps.advance('j1');
    } catch (error) {
      thrown = error;
    }
    if (expected.outcome === 'throws') {
      expect(thrown).toBeInstanceOf(expected.error ?? Error);
    } else {
      expect(thrown).toBeUndefined();
      expect(outcome!.kind).toBe(expected.outcome);
    }
    if (expected.waitMs !== undefined) expect(outcome).toEqual({ kind: 'wait', ms: expected.waitMs });
    const job = records.get('j1');
    expect(job.state).toBe(expected.state);
    if (expected.attempt !== undefined) expect(job.attempt).toBe(expected.attempt);
    if (expected.failure !== undefined) expect(job.failure?.class).toBe(expected.failure);
    else expect(job.failure).toBeUndefined();
    if (expected.message) expect(job.failure?.message).toMatch(expected.message);
    if (expected.launches !== undefined) expect(launcher.launched).toHaveLength(expected.launches);
    if (expected.cancels !== undefined) expect(launcher.cancelled).toHaveLength(expected.cancels);
    if (expected.slotReleased !== undefined) expect(slots.released.includes('j1')).toBe(expected.slotReleased);
    if (expected.run !== undefined) expect(job.run).toMatchObject(expected.run);
    if (expected.writes !== undefined) expect(records.writes).toBe(expected.writes);
    // Every launch and status call got a signal: the deadline can reach what it waits on.
    for (const signal of launcher.signals) expect(signal).toBeInstanceOf(AbortSignal);
  });

  it('aborts the signal of a launcher call whose deadline passed', async () => {
    const { steps, launcher } = world({ job: { state: 'launching', enteredAgoMs: 119_500 }, launch: LAUNCH_HANGS_PAST_STAGE });
    await steps.advance('j1');
    expect(launcher.signals).toHaveLength(1);
    expect(launcher.signals[0]!.aborted).toBe(true);
    expect(launcher.signals[0]!.reason).toBeInstanceOf(DeadlineError);
  });

  it('polls that see the same view write once: the change, not every poll', async () => {
    const { steps, records } = world({ job: { state: 'running' }, status: { phase: 'running', run: { sparkState: 'RUNNING', uiUrl: UI } } });
    for (let poll = 0; poll < 3; poll += 1) expect(await steps.advance('j1')).toEqual({ kind: 'wait', ms: 5_000 });
    expect(records.writes).toBe(1);
    expect(records.get('j1').run).toMatchObject({ sparkState: 'RUNNING', uiUrl: UI });
  });

  it('a view change that loses the compare-and-set to another writer is not forced: the next step re-reads', async () => {
    const { steps, records, launcher } = world({ job: { state: 'running' }, status: { phase: 'running', run: { sparkState: 'RUNNING' } } });
    const status = launcher.status.bind(launcher);
    // A cancel request lands while the step asks the launcher.
    launcher.status = async (handle, options) => {
      records.put({ ...records.get('j1'), cancelRequested: true });
      return status(handle, options);
    };
    expect(await steps.advance('j1')).toEqual({ kind: 'continue' });
    expect(records.writes).toBe(0);
    expect(records.get('j1').cancelRequested).toBe(true);
    expect(records.get('j1').run?.sparkState).toBeUndefined();
  });

  it('a failed launch leaves one history entry for it: no step-error retries in between', async () => {
    const { steps, records } = world({ job: { state: 'launching' }, launch: { throws: MISSING_JAR } });
    await steps.advance('j1');
    expect(records.get('j1').history.map((change) => change.state)).toEqual(['launching', 'failed']);
  });
});

describe('JobSteps: a job that waited for a slot', () => {
  it('takes one once it is free, and is then launching with one write', async () => {
    const { steps, records, slots } = world({ job: { state: 'queued' }, slotFree: false });
    expect(await steps.advance('j1')).toEqual({ kind: 'wait', ms: 2_000 });
    expect(await steps.advance('j1')).toEqual({ kind: 'wait', ms: 2_000 });
    expect(records.writes).toBe(0);
    slots.free = true;
    expect((await steps.advance('j1')).kind).toBe('continue');
    expect(records.get('j1').state).toBe('launching');
    expect(records.writes).toBe(1);
  });
});

describe('JobSteps: the record a step is handed', () => {
  it('a first step handed the record its job was queued with takes a slot and launches without reading', async () => {
    const { steps, records, slots, launcher } = world({ job: { state: 'queued' } });
    const queuedWith = (await records.read('j1'))!;
    records.reads = 0;
    const taken = await steps.advance('j1', { written: queuedWith });
    expect(taken.kind).toBe('continue');
    expect(records.get('j1').state).toBe('launching');
    expect(slots.taken).toBe(1);
    // The launch gets the inputs the slot's step began resolving, and the record it wrote.
    await steps.advance('j1', taken.kind === 'continue' ? taken : {});
    expect(records.get('j1').state).toBe('running');
    expect(launcher.launched.map((request) => request.spec.inputs)).toEqual([['s3://landing/in/a.parquet']]);
    expect(records.reads).toBe(0);
  });

  it('a stale one loses its write and takes no slot; the next step reads and acts on the fresh record', async () => {
    const { steps, records, slots, launcher } = world({ job: { state: 'queued' } });
    const queuedWith = (await records.read('j1'))!;
    // A cancel arrived between the submit and the step's delivery.
    records.put({ ...queuedWith.job, cancelRequested: true });
    expect(await steps.advance('j1', { written: queuedWith })).toEqual({ kind: 'continue' });
    expect(records.get('j1').state).toBe('queued');
    expect(slots.taken).toBe(0);
    await steps.advance('j1');
    expect(records.get('j1').state).toBe('cancelled');
    expect(launcher.launched).toEqual([]);
  });
});

describe('JobSteps: a step whose job has no record', () => {
  const idMadeAt = (ms: number) => newJobId(ms, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));

  it('looks again shortly when the job was made moments ago (its record may still be on its way)', async () => {
    const { steps, clock } = world({ job: { state: 'queued' } });
    expect(await steps.advance(idMadeAt(clock.ms - 2_000))).toEqual({ kind: 'wait', ms: 100 });
  });

  it('ends when the job is older than the grace (deleted since) or the id is no job id', async () => {
    const { steps, clock } = world({ job: { state: 'queued' } });
    expect(await steps.advance(idMadeAt(clock.ms - 11_000))).toEqual({ kind: 'done' });
    expect(await steps.advance('not-a-job-id')).toEqual({ kind: 'done' });
  });
});

describe('JobSteps.expireOverdueQueued', () => {
  it('fails queued jobs past their pipeline\'s queued timeout and leaves the rest', async () => {
    const { steps, records, clock } = world({ job: { state: 'queued', enteredAgoMs: 24 * HOUR + 1_000 } });
    records.put({ ...jobOf({ state: 'queued', enteredAgoMs: 23 * HOUR }, clock.ms), id: 'young' });
    records.put({ ...jobOf({ state: 'queued', pipeline: 'unbounded-queue', enteredAgoMs: 48 * HOUR }, clock.ms), id: 'unbounded' });
    records.put({ ...jobOf({ state: 'running', enteredAgoMs: 48 * HOUR }, clock.ms), id: 'running' });
    expect(await steps.expireOverdueQueued()).toBe(1);
    expect(records.get('j1')).toMatchObject({ state: 'failed', failure: { class: 'timeout', stage: 'queued' } });
    expect(records.get('young').state).toBe('queued');
    expect(records.get('unbounded').state).toBe('queued');
    expect(records.get('running').state).toBe('running');
    // Already failed: a second sweep finds nothing.
    expect(await steps.expireOverdueQueued()).toBe(0);
  });
});

/** Finish work (a landing job's files) that fails while `failing` is true, and counts its runs. */
class FlakyFinalizer implements JobFinalizer {
  failing = true;
  finished: string[] = [];
  appliesTo(): boolean {
    return true;
  }
  async finalize(job: Job): Promise<void> {
    if (this.failing) throw new Error('EIO: the landing share is away');
    this.finished.push(job.id);
  }
}

describe('a job whose pipeline is no longer configured', () => {
  it('fails as the pipeline\'s fault, and its Spark run is stopped first rather than left running outside the caps', async () => {
    const { steps, records, launcher, slots } = world({ job: { state: 'running', pipeline: 'renamed-away' } });
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'failed', failure: { class: 'user', message: 'pipeline "renamed-away" is no longer configured' } });
    expect(launcher.cancelled).toEqual(['j1-1']);
    expect(slots.released).toEqual(['j1']);
  });
});

describe('a cancel asked for while a SQL load runs', () => {
  /** The API's cancel: it marks the record, which changes it under the load's step. */
  const askToCancel = (records: MemoryRecords) => records.put({ ...records.get('j1'), cancelRequested: true });

  it('gives the load up: its signal is aborted, it rolls back, and the job ends cancelled with nothing loaded', async () => {
    const { steps, records } = world({
      job: { state: 'loading', pipeline: 'to-sql' },
      committed: true,
      duringLoad: async (request, records) => {
        askToCancel(records);
        // The sink gives up at its next look at the signal, before its commit.
        await new Promise<void>((resolve) => request.signal!.addEventListener('abort', () => resolve(), { once: true }));
        throw new SinkError('timeout', 'the load was given up by its caller (its deadline passed, or its job was cancelled) and rolled back');
      },
    });
    const started = Date.now();
    expect((await steps.advance('j1')).kind).toBe('continue');
    expect(Date.now() - started).toBeLessThan(LOAD_CANCEL_POLL_MS + 1_000);
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'cancelled', failure: { class: 'cancelled', stage: 'loading' } });
    expect(records.get('j1').loads ?? []).toEqual([]);
  });

  it('that came too late to stop the commit keeps what was loaded in the record: the job ends cancelled, saying the table was loaded', async () => {
    const { steps, records } = world({ job: { state: 'loading', pipeline: 'to-sql' }, committed: true, duringLoad: async (_request, records) => askToCancel(records) });
    await steps.advance('j1');
    expect(records.get('j1').loads).toMatchObject([{ sink: 'reporting:totals', inserted: 2 }]);
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'cancelled', loads: [{ sink: 'reporting:totals', inserted: 2 }] });
  });
});

describe('a SQL load in progress', () => {
  /** Reports phases to the step as a sink does, letting each write land before the next. */
  const report = async (request: LoadRequest, ...phases: Array<[LoadPhase, number]>) => {
    for (const [phase, rowsStaged] of phases) {
      await request.onProgress!({ phase, rowsStaged });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  it('is in the record while the load runs, with the run\'s rows in all; the committed outcome replaces it', async () => {
    const seen: Job[] = [];
    const { steps, records } = world({
      job: { state: 'loading', pipeline: 'to-sql' },
      committed: true,
      duringLoad: async (request, records) => {
        await report(request, ['staging', 0], ['staging', 1], ['staged', 2]);
        seen.push(records.get('j1'));
        await report(request, ['applying', 2], ['committed', 2]);
      },
    });
    expect((await steps.advance('j1')).kind).toBe('continue');
    expect(seen[0]!.loadProgress).toEqual([{ sink: 'reporting:totals', phase: 'staged', rowsStaged: 2, rowsTotal: 2, updatedAt: expect.any(String) }]);
    // staging 0, staged, applying: the second staging report came within the interval.
    expect(records.writes).toBe(4);
    expect(records.get('j1')).toMatchObject({ state: 'loading', loads: [{ sink: 'reporting:totals', inserted: 2 }] });
    expect(records.get('j1').loadProgress).toBeUndefined();
  });

  it('a load that fails after its progress was written fails the stage in the same step (it is not loaded again), and shows no progress after', async () => {
    const { steps, records } = world({
      job: { state: 'loading', pipeline: 'to-sql' },
      committed: true,
      sink: { throws: new SinkError('platform', 'connection reset') },
      duringLoad: (request) => report(request, ['staging', 0], ['staged', 2]),
    });
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'loading', attempt: 2, failure: { class: 'platform', message: /connection reset/ } });
    expect(records.get('j1').loadProgress).toBeUndefined();
  });

  it('a cancel asked for mid-load is never undone by a progress write: the job ends cancelled', async () => {
    const { steps, records } = world({
      job: { state: 'loading', pipeline: 'to-sql' },
      committed: true,
      duringLoad: async (request, records) => {
        await report(request, ['staging', 0]);
        records.put({ ...records.get('j1'), cancelRequested: true });
        await report(request, ['staged', 2], ['applying', 2]);
        expect(records.get('j1').cancelRequested).toBe(true);
        await new Promise<void>((resolve) => request.signal!.addEventListener('abort', () => resolve(), { once: true }));
        throw new SinkError('timeout', 'the load was given up by its caller and rolled back');
      },
    });
    await steps.advance('j1');
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'cancelled', failure: { class: 'cancelled', stage: 'loading' } });
    expect(records.get('j1').loadProgress).toBeUndefined();
  });
});

describe('a job running when its pipeline\'s lake table is renamed', () => {
  it.each([
    ['succeeded', { phase: 'succeeded' as const }],
    ['lost after it committed', { phase: 'lost' as const, message: 'supervisor died' }],
  ])('finds the run it %s under the table its launch recorded, and loads it from there', async (_name, status) => {
    const { steps, records, launcher } = world({ job: { state: 'launching', pipeline: 'to-sql' }, status, committed: true });
    await steps.advance('j1');
    expect(records.get('j1').run?.table).toBe('totals');
    // A deploy renames the lake table while Spark writes to the old one.
    records.put({ ...records.get('j1'), pipeline: 'to-sql-renamed' });
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'loading', attempt: 1, output: { table: 'totals' } });
    await steps.advance('j1');
    await steps.advance('j1');
    expect(records.get('j1')).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(launcher.launched).toHaveLength(1);
  });
});

describe('a job loading when its pipeline\'s lake table is renamed', () => {
  it('loads the run from the table it was committed to, as its record says', async () => {
    const { steps, records } = world({ job: { state: 'loading', pipeline: 'to-sql-renamed' }, committed: true });
    const job = records.get('j1');
    records.put({ ...job, output: summarizeManifest(manifestOf(job)) });
    await steps.advance('j1');
    expect(records.get('j1').loads).toMatchObject([{ sink: 'reporting:totals', inserted: 2 }]);
    await steps.advance('j1');
    expect(records.get('j1').state).toBe('succeeded');
  });
});

describe('JobSteps.abandon', () => {
  it('fails the job with the message it is given and stops its run, and its step goes on to the finish work', async () => {
    const finalizer = new FlakyFinalizer();
    finalizer.failing = false;
    const { steps, records, launcher } = world({ job: { state: 'running' }, finalizer });
    const after = await steps.abandon('j1', 'platform', 'the job step failed 12 times in a row; the last error: connection refused');
    const job = records.get('j1');
    expect(job.state).toBe('failed');
    expect(job.failure).toMatchObject({ class: 'platform', message: expect.stringContaining('connection refused') });
    expect(launcher.cancelled).toEqual(['j1-1']);
    // The step is not over: the failed job's landing files are released by the next one.
    expect(after.kind).toBe('continue');
    expect(await steps.advance('j1')).toEqual({ kind: 'done' });
    expect(finalizer.finished).toEqual(['j1']);
    expect(records.get('j1').finalized).toBe(true);
  });

  it('ends a job whose cancel was asked for as cancelled, not failed, when its steps kept failing (its run could not be stopped)', async () => {
    const { steps, records } = world({ job: { state: 'running', cancelRequested: true } });
    await steps.abandon('j1', 'platform', 'the job step failed 12 times in a row; the last error: launcher cancel() timed out');
    expect(records.get('j1')).toMatchObject({
      state: 'cancelled',
      failure: { class: 'cancelled', message: expect.stringContaining('could not be confirmed stopped (the job step failed 12 times') },
    });
  });

  it('keeps trying the finish work of a final job every few minutes, however long it fails, until its files are done with', async () => {
    const finalizer = new FlakyFinalizer();
    const { steps, records } = world({ job: { state: 'succeeded' }, finalizer });
    await expect(steps.advance('j1')).rejects.toThrow(/EIO/);
    // The step worker's error budget is spent: the job is final, so nothing is failed, and the step waits.
    expect(await steps.abandon('j1', 'platform', 'the job step failed 12 times in a row; the last error: EIO')).toEqual({ kind: 'wait', ms: FINISH_RETRY_MS });
    expect(records.get('j1')).toMatchObject({ state: 'succeeded' });
    expect(records.get('j1').finalized).toBeUndefined();
    finalizer.failing = false;
    expect(await steps.advance('j1')).toEqual({ kind: 'done' });
    expect(records.get('j1').finalized).toBe(true);
    // Finished: a later abandon (a stale delivery) has nothing to do.
    expect(await steps.abandon('j1', 'platform', 'late')).toEqual({ kind: 'done' });
  });
});
