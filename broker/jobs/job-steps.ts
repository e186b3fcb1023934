// One worker step of one job. The queue calls `advance()` each time the job's step comes up;
// it re-reads the job, makes at most one transition, and says when to come back. Every step
// is short and safe to run twice: launch adopts an existing run, the await step only
// polls, and each write is a compare-and-set on the record it read.
//
//   queued ──slot──► launching ──launch()──► running ──status()──► loading ──sinks──► succeeded
//     │  └─ no slot: wait  └─ timeout            │ ├─ pending/running: wait (poll, or woken by the launcher)
//     └─ queued timeout: failed                  │ ├─ committed, no SQL outputs: succeeded
//     ▲                                          │ ├─ lost, but its manifest is committed: as committed
//     │                                          │ ├─ failed (user, data): failed
//     └──────────── platform/timeout, attempts left ◄┘ └─ lost / platform / timeout: retry or failed
//
// Every stage is bounded (policy.timeouts), and so is every call out of the worker: a launcher
// or sink call runs under min(time left in the stage, CALL_CAP_MS) with an AbortSignal, so a
// hung call can hold neither the step nor the job (ADR 0011). Errors are read by failureOf():
// one that no retry can cure (a configuration error) fails the job at once with its message.
//
// A load that fails with attempts left stays in `loading` and retries after backoff with the
// same committed run: a SQL outage never re-runs Spark. While a load runs, its progress goes
// into the record (load-progress-writer.ts: at each phase, at most every 2 s in between).
//
// The await step also records the run as the launcher sees it (Spark's state, a history link
// that became known) when that changed: with the write the step makes anyway, or, when it only
// waits, in one write of its own; an unchanged view writes nothing.
import type { Logger } from 'pino';
import { DeadlineError } from '../core/errors.ts';
import { jobIdTime } from '../core/ids.ts';
import { failureOf } from '../core/failure-of.ts';
import type { Failure, FailureClass, Job, LoadOutcome, RunHandle } from '../core/job.ts';
import { isFinal } from '../core/job.ts';
import { summarizeManifest, runKey, type RunManifest } from '../core/manifest.ts';
import { sqlOutputs, sqlSinkName, type Pipeline, type SqlOutput } from '../core/pipeline.ts';
import { backoffDelay, hasAttemptsLeft } from '../core/retry-policy.ts';
import { buildRunSpec } from '../core/run-spec.ts';
import { isRetryable, stageStartedAt, transition } from '../core/state-machine.ts';
import { UserError } from '../core/errors.ts';
import { EMBEDDED_LAUNCHER } from '../launchers/embedded-args.ts';
import type { LauncherRegistry } from '../launchers/launcher-registry.ts';
import type { RunLiveView, RunStatus } from '../launchers/launcher.ts';
import { manifestChecksum, readCommittedRun } from '../lake/manifests.ts';
import { readRunBatches } from '../lake/run-batches.ts';
import type { SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import type { LoadProgress } from '../../sql-sinks/sink.ts';
import type { LakeStorage } from '../lake/storage.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { CALL_CAP_MS, withDeadline } from './call-deadline.ts';
import type { EngineChooser } from './engine-chooser.ts';
import { expandInputs } from './input-paths.ts';
import type { JobFinalizer } from './job-finalizer.ts';
import { updateRecord, type JobRecords, type ReleaseOptions, type StoredJob } from './job-store.ts';
import { LoadProgressWriter, withoutRunningLoad } from './load-progress-writer.ts';
import type { SlotPort, SlotTake } from './run-slots.ts';

/**
 * What one step hands the next within a delivery: the record it wrote (so it need not be
 * read again; absent when another writer won) and, from the step that took a slot, the
 * inputs it began resolving while its write was on the wire (the launch needs them next).
 */
export type Handover = { written?: StoredJob; inputs?: Promise<string[]> };

/** What the queue does next: run the next step now (with what this one hands over), come back after `ms`, or stop. */
export type StepOutcome = ({ kind: 'continue' } & Handover) | { kind: 'wait'; ms: number } | { kind: 'done' };

export type StepDeps = {
  store: JobRecords;
  slots: SlotPort;
  launchers: LauncherRegistry;
  lake: LakeStorage;
  pipelines: PipelineRegistry;
  landingRoots: readonly string[];
  logger: Logger;
  /** How often an await step re-checks a run when no launcher event wakes it. */
  pollMs: number;
  /** How soon a job that found no free slot looks again (unless a freed slot wakes it first). */
  slotWaitMs: number;
  /** Runs a job's delayed step now (the queue's wake). */
  wake: (jobId: string) => Promise<void>;
  /** The finish work of final jobs (landing files), when there is any. */
  finalizer?: JobFinalizer;
  /** The SQL sinks of named connections; needed by pipelines with SQL outputs. */
  sinks?: SinkRegistry;
  /**
   * Chooses each attempt's engine (the embedded engine or the pipeline's Spark launcher);
   * without it every attempt runs on the pipeline's launcher.
   */
  engines?: EngineChooser;
  /** The longest one launcher call may take, whatever time its stage has left (CALL_CAP_MS). */
  callCapMs?: number;
  now?: () => Date;
  random?: () => number;
};

/**
 * The least time a call is given even when its stage has (almost) no time left: enough to
 * see that a run ended right at its deadline rather than stop and fail a finished run.
 */
const MIN_CALL_MS = 1_000;

/** Jobs remembered as waiting for a slot; one forgotten only costs one more sizing of its inputs. */
const WAITERS_REMEMBERED = 10_000;

/** A set that forgets its oldest members past `limit`. */
class BoundedSet {
  private readonly members = new Set<string>();
  constructor(private readonly limit: number) {}
  has(member: string): boolean {
    return this.members.has(member);
  }
  add(member: string): void {
    this.members.add(member);
    if (this.members.size > this.limit) this.members.delete(this.members.values().next().value!);
  }
  delete(member: string): void {
    this.members.delete(member);
  }
}

/** How often a load in progress looks whether its job was asked to cancel (then it rolls back). */
export const LOAD_CANCEL_POLL_MS = 1_000;

/** How long after its creation a job's step waits for its record to appear (withoutRecord). */
const RECORD_GRACE_MS = 10_000;
/**
 * How often a queued job looks again while launches are paused. Resuming wakes every waiting
 * step (BullJobQueue.resume), so this only bounds a wake that was lost; a look costs a step,
 * and a paused backlog may be thousands of jobs.
 */
const PAUSED_LOOK_MS = 60_000;
const RECORD_RECHECK_MS = 100;

/**
 * How often the finish work of a final job (archiving, quarantining, releasing its landing
 * files) is tried again once its step has used up its error budget: the files must reach their
 * end state however long the share or bucket is away, and nothing else would try again.
 */
export const FINISH_RETRY_MS = 2 * 60_000;

/** Overdue queued jobs expired per pipeline per sweep; the next sweep (a second later) takes the rest. */
const EXPIRE_BATCH = 100;

const DONE: StepOutcome = { kind: 'done' };
const wait = (ms: number): StepOutcome => ({ kind: 'wait', ms: Math.max(0, Math.round(ms)) });

/** The job and its pipeline as one step sees them, with the step's logger (jobId, traceId, pipeline on every line). */
type Step = { stored: StoredJob; job: Job; pipeline: Pipeline; log: Logger };

export class JobSteps {
  private readonly now: () => Date;
  private readonly callCapMs: number;
  /** Jobs this process saw find no free slot (at most WAITERS_REMEMBERED, oldest forgotten first). */
  private readonly waitingForSlot = new BoundedSet(WAITERS_REMEMBERED);

  constructor(private readonly deps: StepDeps) {
    this.now = deps.now ?? (() => new Date());
    this.callCapMs = deps.callCapMs ?? CALL_CAP_MS;
  }

  /**
   * Takes the job's next step, with what the previous step handed over, if anything: the
   * record it wrote, or on a first delivery the record the job was queued with.
   */
  async advance(jobId: string, handover: Handover = {}): Promise<StepOutcome> {
    // A handed-over record is used without reading it, except to end on: a retry may have
    // re-queued the job since, and only a fresh read tells. One that is stale costs a lost
    // compare-and-set (every write is one), and the next step reads.
    const known = handover.written;
    const stored = known && !isFinal(known.job.state) ? known : await this.deps.store.read(jobId);
    if (!stored) return this.withoutRecord(jobId);
    if (isFinal(stored.job.state)) return this.finalize(stored);
    const { job } = stored;
    const log = this.loggerFor(job);
    if (job.cancelRequested) return this.cancel(stored, log);
    const pipeline = this.deps.pipelines.get(job.pipeline);
    if (!pipeline) {
      // Its run must not outlive the job: it would run outside the caps and commit for no one.
      if (job.state === 'running') await this.stopRunOrWarn(job, log, 'could not stop the spark run of a job whose pipeline is gone');
      return this.fail(stored, undefined, log, 'user', `pipeline "${job.pipeline}" is no longer configured`);
    }
    const step: Step = { stored, job, pipeline, log };
    try {
      return await this.takeStep(step, stored === known ? handover.inputs : undefined);
    } catch (error) {
      // A misconfiguration (an unknown launcher, a missing S3A jar) will not cure itself: the
      // job fails now, saying what to fix. Anything else is the step worker's to retry.
      const reading = failureOf(error);
      if (reading.retry) throw error;
      return this.fail(stored, pipeline, log, reading.class, reading.message);
    }
  }

  /**
   * A step whose job has no record: a job deleted since (retention) ends here, but a job made
   * moments ago may have its step seen before its record is (the API sends the queue add right
   * behind the record's write, and a write retried after Redis lost its scripts goes out after
   * the add): it is looked at again shortly, for as long as RECORD_GRACE_MS from its creation.
   */
  private withoutRecord(jobId: string): StepOutcome {
    const createdAt = jobIdTime(jobId);
    const young = createdAt !== undefined && this.now().getTime() - createdAt < RECORD_GRACE_MS;
    return young ? wait(RECORD_RECHECK_MS) : DONE;
  }

  private takeStep(step: Step, inputs: Promise<string[]> | undefined): Promise<StepOutcome> {
    switch (step.job.state) {
      case 'queued':
        return this.takeSlot(step);
      case 'launching':
        return this.launch(step, inputs);
      case 'running':
        return this.awaitRun(step);
      case 'loading':
        return this.load(step);
      default:
        return Promise.resolve(DONE);
    }
  }

  private async takeSlot(step: Step): Promise<StepOutcome> {
    const { stored, job, pipeline } = step;
    const queuedLimit = pipeline.policy.timeouts.queued;
    const queuedLeft = queuedLimit === null ? Infinity : queuedLimit - this.elapsedInState(job);
    if (queuedLeft <= 0) return this.expireQueuedJob(stored, step.log, queuedLimit!);
    const backingOff = this.untilRetry(job);
    if (backingOff) return backingOff;
    const { slots } = this.deps;
    const cap = pipeline.policy.concurrency;
    const noSlot = (why: Exclude<SlotTake, 'taken'>) => {
      this.waitingForSlot.add(job.id);
      return wait(Math.min(why === 'paused' ? PAUSED_LOOK_MS : this.deps.slotWaitMs, queuedLeft));
    };
    // A job that found no slot before takes one first and only then chooses its engine, so
    // that a long wait does not size its inputs at every look.
    if (this.waitingForSlot.has(job.id)) {
      const took = await slots.acquire(job, cap);
      if (took !== 'taken') return noSlot(took);
    }
    // The inputs are resolved while the write below is on the wire: the launch that follows
    // needs them, and the engine's choice their size. (Errors are the launch's to report.)
    const inputs = expandInputs(job.inputs, this.deps.landingRoots);
    inputs.catch(() => undefined);
    // The write takes the slot in the same script: the common case (a slot free at the first
    // look) costs one round trip; after an acquire above it finds the slot held already, or
    // takes it again if maintenance gave it back meanwhile (a queued holder looks leaked).
    const { written, slot } = await this.deps.store.takeSlotAndSet(stored, await this.toLaunching(job, pipeline, inputs), slots.terms(job, cap));
    if (slot !== 'taken') return noSlot(slot);
    this.waitingForSlot.delete(job.id);
    return written ? { kind: 'continue', written, inputs } : { kind: 'continue' };
  }

  /**
   * The job in `launching`. The engine is chosen once per attempt and recorded with this
   * change: the launch step (and any re-delivery of it) starts the attempt on that engine and
   * no other.
   */
  private async toLaunching(job: Job, pipeline: Pipeline, inputs: Promise<string[]>): Promise<Job> {
    const choice = this.deps.engines ? await this.deps.engines.choose(job, pipeline, inputs) : undefined;
    const engine = choice ? { attempt: job.attempt, ...choice } : undefined;
    const reason = `slot taken (attempt ${job.attempt})${choice ? `; ${choice.reason}` : ''}`;
    return this.transitionTo(job, 'launching', reason, engine ? { engine } : {});
  }

  /** `resolving`: the job's inputs as the step that took its slot began resolving them, when this delivery took it. */
  private async launch(step: Step, resolving: Promise<string[]> | undefined): Promise<StepOutcome> {
    const { stored, job, pipeline, log } = step;
    const limit = pipeline.policy.timeouts.launching;
    if (this.stageLeft(job, limit) <= 0) return this.fail(stored, pipeline, log, 'timeout', `launching took longer than ${limit} ms`);
    let inputs: string[];
    try {
      inputs = await (resolving ?? expandInputs(job.inputs, this.deps.landingRoots));
    } catch (error) {
      if (error instanceof UserError) return this.fail(stored, pipeline, log, 'user', error.message);
      throw error;
    }
    const runUri = this.deps.lake.uri(runKey(pipeline.outputs.lake.table, job.id, job.attempt));
    const spec = buildRunSpec({
      pipeline,
      jobId: job.id,
      attempt: job.attempt,
      inputs,
      parameters: job.parameters,
      runUri,
      ...(job.requestId ? { requestId: job.requestId } : {}),
      ...(job.traceId ? { traceId: job.traceId } : {}),
    });
    const embedded = job.engine?.attempt === job.attempt && job.engine.engine === 'embedded';
    const launcher = embedded ? this.deps.launchers.forPipeline({ name: pipeline.name, engine: { launcher: EMBEDDED_LAUNCHER } }) : this.deps.launchers.forPipeline(pipeline);
    let handle;
    try {
      handle = await this.stageCall(job, limit, `launcher ${launcher.name}: launch()`, (signal) =>
        launcher.launch({ jobId: job.id, attempt: job.attempt, pipeline, spec }, { signal }),
      );
    } catch (error) {
      if (this.stageOver(error, job, limit)) return this.fail(stored, pipeline, log, 'timeout', `launching took longer than ${limit} ms: ${(error as Error).message}`);
      throw error;
    }
    const what = embedded ? 'embedded run' : 'spark run';
    log.info({ attempt: job.attempt, runId: handle.runId, inputs: inputs.length, launcher: launcher.name }, `${what} launched`);
    return this.commit(stored, this.transitionTo(job, 'running', `${what} ${handle.runId} started`, { run: { ...handle, table: pipeline.outputs.lake.table } }));
  }

  private async awaitRun(step: Step): Promise<StepOutcome> {
    const { stored, job, pipeline, log } = step;
    const run = job.run;
    if (!run || run.attempt !== job.attempt) return this.fail(stored, pipeline, log, 'platform', 'the job is running but records no run for this attempt');
    const launcher = this.deps.launchers.forHandle(run);
    const limit = pipeline.policy.timeouts.running;
    let status;
    try {
      status = await this.stageCall(job, limit, `launcher ${launcher.name}: status()`, (signal) => launcher.status(run, { signal }));
    } catch (error) {
      if (!this.stageOver(error, job, limit)) throw error;
      await this.stopRunOfAttempt(job);
      return this.fail(stored, pipeline, log, 'timeout', `the Spark run took longer than ${limit} ms and was stopped (${(error as Error).message})`);
    }
    const refreshed = refreshedRun(run, status.run);
    if (!refreshed) return this.afterStatus(step, status);
    // The record as read with the run as the launcher sees it now (Spark's state, a link that
    // arrived): whatever the step writes carries it, so a change costs no write of its own.
    // `raw` stays the record as read: the compare-and-set compares against it.
    const withLiveRun: Job = { ...job, run: refreshed };
    const outcome = await this.afterStatus({ ...step, stored: { raw: stored.raw, job: withLiveRun }, job: withLiveRun }, status);
    if (outcome.kind !== 'wait') return outcome;
    // The step only waits: the change is written on its own, once (the next poll finds nothing new).
    const written = await this.deps.store.compareAndSet(stored, { ...withLiveRun, updatedAt: this.now().toISOString() });
    // Another writer won (a cancel, say): the next step re-reads and decides on fresh data.
    return written ? outcome : { kind: 'continue' };
  }

  /** What the await step does with the run's status: wait for it, finish it, or fail the attempt. */
  private async afterStatus(step: Step, status: RunStatus): Promise<StepOutcome> {
    const { stored, job, pipeline, log } = step;
    const limit = pipeline.policy.timeouts.running;
    switch (status.phase) {
      case 'pending': {
        // A run that has not started within the launching timeout (an image that cannot be
        // pulled, a driver no node can take) is stopped, with why it waited.
        const launching = pipeline.policy.timeouts.launching;
        if (this.stageLeft(job, launching) <= 0) {
          await this.stopRunOfAttempt(job);
          const why = status.waitingFor ? `: ${status.waitingFor}` : '';
          return this.fail(stored, pipeline, log, 'timeout', `the Spark run did not start within ${launching} ms (timeouts.launching)${why}`);
        }
        return wait(Math.min(this.deps.pollMs, this.stageLeft(job, launching)));
      }
      case 'running': {
        const left = this.stageLeft(job, limit);
        if (left <= 0) {
          await this.stopRunOfAttempt(job);
          return this.fail(stored, pipeline, log, 'timeout', `the Spark run took longer than ${limit} ms and was stopped`);
        }
        return wait(Math.min(this.deps.pollMs, left));
      }
      case 'succeeded':
        return this.finishRun(step);
      case 'failed':
        return this.fail(stored, pipeline, log, status.failureClass, status.message, { logTail: status.logTail, ...(status.input ? { input: status.input } : {}) });
      case 'lost': {
        // The supervisor may have died after the run committed (killed with its group, the
        // machine rebooted): the manifest is the commit, whatever the launcher lost track of.
        const manifest = await readCommittedRun(this.deps.lake, runTable(job, pipeline), job.id, job.attempt);
        if (manifest) {
          log.warn({ attempt: job.attempt, runId: job.run?.runId, reason: status.message }, 'lost spark run had committed; carrying on with its manifest');
          return this.finishRun(step, manifest);
        }
        return this.fail(stored, pipeline, log, 'platform', status.message);
      }
    }
  }

  private async finishRun(step: Step, committed?: RunManifest): Promise<StepOutcome> {
    const { stored, job, pipeline, log } = step;
    const manifest = committed ?? (await readCommittedRun(this.deps.lake, runTable(job, pipeline), job.id, job.attempt));
    if (!manifest) return this.fail(stored, pipeline, log, 'platform', 'the Spark run ended without committing its manifest');
    const output = summarizeManifest(manifest);
    log.info({ attempt: job.attempt, rowsIn: output.rowsIn, rowsOut: output.rowsOut }, 'spark run committed');
    const next = sqlOutputs(pipeline).length > 0 ? 'loading' : 'succeeded';
    return this.commitReleasing(stored, this.transitionTo(job, next, `committed ${output.rowsOut} rows to ${output.runUri}`, { output }));
  }

  /**
   * Loads the committed run into the next SQL output not yet loaded, and records the outcome;
   * the job succeeds once every output is loaded. A re-delivered step finds the sink's ledger
   * row and records "already loaded" instead of writing again.
   */
  private async load(step: Step): Promise<StepOutcome> {
    const { stored, job, pipeline, log } = step;
    const backingOff = this.untilRetry(job);
    if (backingOff) return backingOff;
    const limit = pipeline.policy.timeouts.loading;
    const left = this.stageLeft(job, limit);
    if (left <= 0) return this.fail(stored, pipeline, log, 'timeout', `loading took longer than ${limit} ms`);
    const run = job.run;
    // The table the run was committed to, as recorded then: a pipeline whose lake table was
    // renamed since still finds this run's manifest where the run wrote it.
    const table = job.output?.table ?? runTable(job, pipeline);
    const manifest = run && (await readCommittedRun(this.deps.lake, table, job.id, run.attempt));
    if (!run || !manifest) return this.fail(stored, pipeline, log, 'platform', 'the job is loading but its committed run cannot be found in the lake');

    const loaded = new Set((job.loads ?? []).filter((outcome) => outcome.runAttempt === run.attempt).map((outcome) => outcome.sink));
    const output = sqlOutputs(pipeline).find((candidate) => !loaded.has(sqlSinkName(candidate)));
    if (!output) {
      return this.commit(stored, this.transitionTo(job, 'succeeded', `loaded into ${loaded.size} SQL table(s)`));
    }
    const sinkName = sqlSinkName(output);
    // The load's progress goes into the record as it runs; the step's own next write then
    // compares against the record as the progress writer left it.
    const progress = new LoadProgressWriter({ store: this.deps.store, stored, sink: sinkName, rowsTotal: manifest.rows_out, log, now: this.now });
    const logProgress = this.loadProgressLogger(log, output, manifest.rows_out);
    try {
      if (!this.deps.sinks) throw new SinkError('user', 'this worker has no SQL connections configured');
      const sink = this.deps.sinks.get(output.connection);
      // The sink cancels its own statements after `timeoutMs`; the deadline also bounds what
      // it does outside them (connecting, shaping the table), which no statement timeout covers.
      // A cancel asked for meanwhile gives the load up too: it rolls back instead of committing.
      const outcome = await withDeadline(`sql sink ${sinkName}: load()`, Math.max(left, MIN_CALL_MS), (signal) =>
        this.whileNotCancelled(job.id, signal, (loadSignal) => sink.load({
          jobId: job.id,
          runAttempt: run.attempt,
          pipeline: job.pipeline,
          ...(job.traceId ? { traceId: job.traceId } : {}),
          output,
          columns: manifest.schema,
          rows: () => readRunBatches(this.deps.lake, manifest),
          checksum: manifestChecksum(manifest),
          timeoutMs: left,
          signal: loadSignal,
          onProgress: (reported) => {
            logProgress(reported);
            progress.report(reported);
          },
        })),
      );
      log.info({ ...outcome }, outcome.alreadyLoaded ? 'sql load found in ledger' : 'sql load committed');
      return this.recordLoad(await progress.close(), outcome);
    } catch (error) {
      const latest = await progress.close();
      if (error instanceof DeadlineError) return this.fail(latest, pipeline, log, 'timeout', `loading took longer than ${limit} ms: ${error.message}`);
      if (!(error instanceof SinkError)) throw error;
      return this.fail(latest, pipeline, log, error.failureClass, `${sinkName}: ${error.message}`);
    }
  }

  /**
   * Runs `work` with a signal that is aborted with `signal`, or once the job's record says a
   * cancel was asked for (looked at every LOAD_CANCEL_POLL_MS; the step holding the job, no
   * other step can see the request meanwhile).
   */
  private async whileNotCancelled<T>(jobId: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const cancelled = new AbortController();
    const look = setInterval(() => {
      this.deps.store.read(jobId).then(
        (current) => {
          if (current?.job.cancelRequested) cancelled.abort();
        },
        // Redis away: the load goes on, bounded by its deadline; the next look may see.
        () => undefined,
      );
    }, LOAD_CANCEL_POLL_MS);
    try {
      return await work(AbortSignal.any([signal, cancelled.signal]));
    } finally {
      clearInterval(look);
    }
  }

  /**
   * Records a committed load. The write may lose to a cancel asked for while the load ran
   * (which changed the record): the rows are in the table all the same, so the outcome goes
   * into the record as it is now, as long as it is still this attempt's load; the next step
   * then honours the cancel, and the job says what was loaded before it.
   */
  private async recordLoad(stored: StoredJob, outcome: LoadOutcome): Promise<StepOutcome> {
    // The outcome replaces the sink's progress.
    const withLoad = (job: Job): Job => ({
      ...withoutRunningLoad(job, outcome.sink),
      loads: [...(job.loads ?? []).filter((previous) => previous.sink !== outcome.sink), outcome],
      updatedAt: this.now().toISOString(),
    });
    const written = await this.deps.store.compareAndSet(stored, withLoad(stored.job));
    if (written) return { kind: 'continue', written };
    await updateRecord(this.deps.store, stored.job.id, (job) => (job.state === 'loading' && job.attempt === stored.job.attempt ? withLoad(job) : undefined));
    return { kind: 'continue' };
  }

  /** Progress lines for a long load: each phase, and every 10% of the rows staged. */
  private loadProgressLogger(log: Logger, output: SqlOutput, rows: number): (progress: LoadProgress) => void {
    let nextStep = 0;
    return ({ phase, rowsStaged }) => {
      if (phase === 'staging' && rowsStaged < nextStep) return;
      nextStep = rowsStaged + Math.max(1, Math.ceil(rows / 10));
      log.info({ sink: sqlSinkName(output), phase, rowsStaged, rows }, 'sql load progress');
    };
  }

  private async cancel(stored: StoredJob, log: Logger): Promise<StepOutcome> {
    await this.stopRunOfAttempt(stored.job);
    return this.commitCancelled(stored, log, 'cancelled by request');
  }

  /** Writes the job cancelled (its run stopped, or given up on), giving its slot back. */
  private commitCancelled(stored: StoredJob, log: Logger, reason: string): Promise<StepOutcome> {
    const { job } = stored;
    const failure: Failure = { class: 'cancelled', message: reason, stage: job.state, attempt: job.attempt };
    log.info({ stage: job.state, attempt: job.attempt, reason }, 'job cancelled');
    return this.commitReleasing(stored, this.transitionTo(job, 'cancelled', reason, { failure }));
  }

  /**
   * A failed stage: retried after backoff when the class allows and attempts are left, else
   * the job fails. `detail` is what Spark said beyond the message (log tail, the input at fault).
   */
  private async fail(
    stored: StoredJob,
    pipeline: Pipeline | undefined,
    log: Logger,
    failureClass: FailureClass,
    message: string,
    detail: Pick<Failure, 'logTail' | 'input'> = {},
    release: ReleaseOptions = {},
  ): Promise<StepOutcome> {
    const { job } = stored;
    // Leaving `launching` without a recorded run: a run may have started all the same (the
    // write that records it lost a race, or Redis was away); it must not outlive the attempt.
    if (job.state === 'launching') await this.stopRunOfAttempt(job);
    const failure: Failure = { class: failureClass, message, stage: job.state, attempt: job.attempt, ...detail };
    if (pipeline && isRetryable(failureClass) && hasAttemptsLeft(job.attempt, job.maxAttempts)) {
      const delay = backoffDelay(pipeline.policy.backoff, job.attempt, this.deps.random);
      const retryAt = new Date(this.now().getTime() + delay).toISOString();
      // A failed load keeps its committed run and retries only the load.
      const stage = job.state === 'loading' ? 'loading' : 'queued';
      const what = stage === 'loading' ? 'load retry' : 'retry';
      const next = this.transitionTo(job, stage, `${failureClass} failure, ${what} ${job.attempt + 1} of ${job.maxAttempts} in ${delay} ms: ${message}`, {
        attempt: job.attempt + 1,
        failure,
        retryAt,
      });
      log.warn({ attempt: job.attempt, stage: job.state, failureClass, reason: message, delayMs: delay }, 'stage failed, retrying');
      return this.commitReleasing(stored, next);
    }
    log.warn({ attempt: job.attempt, stage: job.state, failureClass, reason: message }, 'job failed');
    return this.commitReleasing(stored, this.transitionTo(job, 'failed', `${failureClass}: ${message}`, { failure }), release);
  }

  /**
   * Fails a job whose step threw instead of failing a stage: at once for an error no retry
   * cures, or after the step worker's budget of consecutive step errors ran out (a bug, or
   * Redis away for long). Its run is stopped as far as the launcher answers, and its slot
   * given back; the failure carries the error's own message. A final job whose finish work
   * keeps failing (its landing share or bucket away) has nothing left to fail: its step waits
   * FINISH_RETRY_MS and tries again, for as long as it takes, so that its files are archived,
   * quarantined or released in the end rather than left batched.
   */
  async abandon(jobId: string, failureClass: FailureClass, message: string): Promise<StepOutcome> {
    const stored = await this.deps.store.read(jobId);
    if (!stored) return DONE;
    if (isFinal(stored.job.state)) {
      if (stored.job.finalized || !this.deps.finalizer?.appliesTo(stored.job)) return DONE;
      this.loggerFor(stored.job).warn({ state: stored.job.state, reason: message, retryInMs: FINISH_RETRY_MS }, 'finish work of a final job keeps failing; trying again');
      return wait(FINISH_RETRY_MS);
    }
    const { job } = stored;
    const log = this.loggerFor(job);
    await this.stopRunOrWarn(job, log, 'could not stop the spark run of an abandoned job');
    // Asked to cancel, and the steps that would have (stopping the run first) kept failing: it
    // ends as asked, saying why its run may not have been seen to stop.
    if (job.cancelRequested) return this.commitCancelled(stored, log, `cancelled by request; the run could not be confirmed stopped (${message})`);
    const failure: Failure = { class: failureClass, message, stage: job.state, attempt: job.attempt };
    log.warn({ attempt: job.attempt, stage: job.state, failureClass, reason: message }, 'job failed');
    // The failed job's finish work (releasing its landing files) is the next step's.
    return this.commitReleasing(stored, this.transitionTo(job, 'failed', `${failureClass}: ${message}`, { failure }));
  }

  /**
   * Fails every queued job past its pipeline's policy.timeouts.queued. Run on a timer by each
   * worker, because a step not yet delivered cannot notice (a backlog behind the workers'
   * concurrency, a queue BullMQ-paused by an earlier version: ADR 0011, 0025): one range read
   * per pipeline, whatever the number of queued jobs. Returns how many it failed.
   */
  async expireOverdueQueued(): Promise<number> {
    let expired = 0;
    const now = this.now().getTime();
    for (const pipeline of this.deps.pipelines.list()) {
      const limit = pipeline.policy.timeouts.queued;
      if (limit === null) continue;
      for (const id of await this.deps.store.queuedBefore(pipeline.name, now - limit, EXPIRE_BATCH)) {
        const stored = await this.deps.store.read(id);
        // Re-checked on the record: it may have moved on since the index was read.
        if (!stored || stored.job.state !== 'queued' || stored.job.pipeline !== pipeline.name || this.elapsedInState(stored.job) <= limit) continue;
        const outcome = await this.expireQueuedJob(stored, this.loggerFor(stored.job), limit);
        if (outcome.kind === 'continue' && outcome.written) {
          expired += 1;
          // A step waiting for a slot (or for launches to resume) runs now and finishes the
          // job (landing files).
          await this.deps.wake(id).catch(() => undefined);
        }
      }
    }
    return expired;
  }

  /**
   * A job queued past its limit fails for good: a new attempt would only queue again. Its slot
   * (one its step may have taken while sizing its inputs) is given back only if this write wins:
   * when it loses, the job's own step has just taken the slot and launched, and giving that slot
   * back would let another job run past the cap.
   */
  private async expireQueuedJob(stored: StoredJob, log: Logger, limit: number): Promise<StepOutcome> {
    const message = `queued longer than ${limit} ms (policy.timeouts.queued) without starting: the queue was paused or no run slot came free`;
    // No pipeline given: fail() then retries nothing, which is the point.
    return this.fail(stored, undefined, log, 'timeout', message, {}, { onlyIfWritten: true });
  }

  /** stopRunOfAttempt for a job that fails all the same: a launcher that cannot answer must not keep it open. */
  private async stopRunOrWarn(job: Job, log: Logger, message: string): Promise<void> {
    try {
      await this.stopRunOfAttempt(job);
    } catch (error) {
      log.warn({ err: failureOf(error).message }, message);
    }
  }

  /** Stops the Spark run of the job's current attempt, recorded or not (launchers name runs by job and attempt). */
  private async stopRunOfAttempt(job: Job): Promise<void> {
    if (job.state === 'queued') return;
    const recorded = job.run?.attempt === job.attempt ? job.run : undefined;
    const handle = recorded ?? (await withDeadline('launchers: runsOf()', this.callCapMs, () => this.deps.launchers.runsOf(job.id))).find((run) => run.attempt === job.attempt);
    if (!handle) return;
    const launcher = this.deps.launchers.forHandle(handle);
    await withDeadline(`launcher ${launcher.name}: cancel()`, this.callCapMs, (signal) => launcher.cancel(handle, { signal }));
  }

  /** The finish work of a final job, once: run, then recorded (a crash in between runs it again). */
  private async finalize(stored: StoredJob): Promise<StepOutcome> {
    const { job } = stored;
    if (job.finalized || !this.deps.finalizer?.appliesTo(job)) return DONE;
    await this.deps.finalizer.finalize(job);
    // Losing this write means the job changed (a retry re-queued it): the next step decides.
    const written = await this.deps.store.compareAndSet(stored, { ...job, finalized: true });
    return written ? DONE : { kind: 'continue' };
  }


  private transitionTo(job: Job, to: Job['state'], reason: string, patch: Partial<Job> = {}): Job {
    return transition(job, to, this.now(), reason, patch);
  }

  /**
   * Writes the new record and asks to be run again: the next call finds the job final (done)
   * or takes its next step. When another writer won the compare-and-set, the next call
   * re-reads and decides again on fresh data.
   */
  private async commit(stored: StoredJob, next: Job): Promise<StepOutcome> {
    const written = await this.deps.store.compareAndSet(stored, next);
    return written ? { kind: 'continue', written } : { kind: 'continue' };
  }

  /**
   * commit() for a step that leaves the run's stages (ended, failed, cancelled, retried): the
   * job's slot is given back in the same round trip as the write, whatever its outcome, and
   * the most urgent jobs waiting for a slot are woken.
   */
  private async commitReleasing(stored: StoredJob, next: Job, release: ReleaseOptions = {}): Promise<StepOutcome> {
    const { written, waiters } = await this.deps.store.releaseSlotAndSet(stored, next, release);
    await Promise.all(waiters.map((id) => this.deps.wake(id)));
    return written ? { kind: 'continue', written } : { kind: 'continue' };
  }

  /** The wait left before a scheduled retry, while one is due later. */
  private untilRetry(job: Job): StepOutcome | undefined {
    const left = job.retryAt ? Date.parse(job.retryAt) - this.now().getTime() : 0;
    return left > 0 ? wait(left) : undefined;
  }

  /** A launcher call under min(time left in the stage, the call cap), never less than MIN_CALL_MS. */
  private stageCall<T>(job: Job, stageLimit: number, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const budget = Math.max(MIN_CALL_MS, Math.min(this.stageLeft(job, stageLimit), this.callCapMs));
    return withDeadline(what, budget, call);
  }

  /** Whether `error` is a call's missed deadline and the stage has no time left: the stage timed out, not just the call. */
  private stageOver(error: unknown, job: Job, stageLimit: number): boolean {
    return error instanceof DeadlineError && this.stageLeft(job, stageLimit) <= 0;
  }

  private stageLeft(job: Job, stageLimit: number): number {
    return stageLimit - this.elapsedInState(job);
  }

  private elapsedInState(job: Job): number {
    return this.now().getTime() - stageStartedAt(job);
  }

  private loggerFor(job: Job): Logger {
    return this.deps.logger.child({ jobId: job.id, pipeline: job.pipeline, ...(job.traceId ? { traceId: job.traceId } : {}) });
  }
}

/**
 * The recorded run with what the launcher sees of it now, or undefined when that changes
 * nothing (then nothing is written). A field the view leaves out keeps its recorded value: the
 * final Spark state and the history link stay once the run's objects are gone.
 */
/**
 * The lake table the job's run writes to: the one its launch recorded, so a pipeline whose
 * table is renamed while the run goes on still finds the run's manifest (it was taken for a
 * run that never committed, and Spark ran again).
 */
function runTable(job: Job, pipeline: Pipeline): string {
  return job.run?.table ?? pipeline.outputs.lake.table;
}

function refreshedRun(run: RunHandle, view: RunLiveView | undefined): RunHandle | undefined {
  if (!view) return undefined;
  const changed = (Object.keys(view) as Array<keyof RunLiveView>).filter((key) => view[key] !== undefined && view[key] !== run[key]);
  if (changed.length === 0) return undefined;
  return { ...run, ...Object.fromEntries(changed.map((key) => [key, view[key]])) };
}
