// One worker step of one job. The queue calls `advance()` each time the job's step comes up;
// it re-reads the job, makes at most one transition, and says when to come back. Every step
// is short and safe to run twice: launch adopts an existing run, the await step only
// polls, and each write is a compare-and-set on the record it read.
//
//   queued ──slot──► launching ──launch()──► running ──status()──► loading ──sinks──► succeeded
//     ▲  └─ no slot: wait        └─ timeout       │ ├─ pending/running: wait (poll, or woken by the launcher)
//     │                                           │ ├─ committed, no SQL outputs: succeeded
//     │                                           │ ├─ failed (user, data): failed
//     └──────────── platform/timeout, attempts left ◄┘ └─ lost / platform / timeout: retry or failed
//
// A load that fails with attempts left stays in `loading` and retries after backoff with the
// same committed run: a SQL outage never re-runs Spark.
import type { Logger } from 'pino';
import type { Failure, FailureClass, Job } from '../core/job.ts';
import { isFinal } from '../core/job.ts';
import { summarizeManifest, runKey } from '../core/manifest.ts';
import { sqlOutputs, sqlSinkName, type Pipeline, type SqlOutput } from '../core/pipeline.ts';
import { backoffDelay, hasAttemptsLeft } from '../core/retry-policy.ts';
import { buildRunSpec } from '../core/run-spec.ts';
import { isRetryable, transition } from '../core/state-machine.ts';
import { UserError } from '../core/errors.ts';
import type { LauncherRegistry } from '../launchers/launcher-registry.ts';
import { manifestChecksum, readCommittedRun } from '../lake/manifests.ts';
import { readRunBatches } from '../lake/run-batches.ts';
import type { SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import type { LoadProgress } from '../../sql-sinks/sink.ts';
import type { LakeStorage } from '../lake/storage.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { expandInputs } from './input-paths.ts';
import type { JobFinalizer } from './job-finalizer.ts';
import type { JobStore, StoredJob } from './job-store.ts';
import type { RunSlots } from './run-slots.ts';

/**
 * What the queue does next: run the next step now (with the record this step wrote, so it
 * need not be read again; absent when another writer won), come back after `ms`, or stop.
 */
export type StepOutcome = { kind: 'continue'; written?: StoredJob } | { kind: 'wait'; ms: number } | { kind: 'done' };

export type StepDeps = {
  store: JobStore;
  slots: RunSlots;
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
  now?: () => Date;
  random?: () => number;
};

const DONE: StepOutcome = { kind: 'done' };
const wait = (ms: number): StepOutcome => ({ kind: 'wait', ms: Math.max(0, Math.round(ms)) });

export class JobSteps {
  private readonly now: () => Date;

  constructor(private readonly deps: StepDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Takes the job's next step; `known` is the record the previous step wrote, if any. */
  async advance(jobId: string, known?: StoredJob): Promise<StepOutcome> {
    // A record this delivery wrote itself is trusted, except to end on: a retry may have
    // re-queued the job since, and only a fresh read tells.
    const stored = known && !isFinal(known.job.state) ? known : await this.deps.store.read(jobId);
    if (!stored) return DONE;
    if (isFinal(stored.job.state)) return this.finalize(stored);
    const { job } = stored;
    if (job.cancelRequested) return this.cancel(stored);
    const pipeline = this.deps.pipelines.get(job.pipeline);
    if (!pipeline) return this.fail(stored, undefined, 'user', `pipeline "${job.pipeline}" is no longer configured`);

    switch (job.state) {
      case 'queued':
        return this.takeSlot(stored, pipeline);
      case 'launching':
        return this.launch(stored, pipeline);
      case 'running':
        return this.awaitRun(stored, pipeline);
      case 'loading':
        return this.load(stored, pipeline);
      default:
        return DONE;
    }
  }

  private async takeSlot(stored: StoredJob, pipeline: Pipeline): Promise<StepOutcome> {
    const { job } = stored;
    const backingOff = this.untilRetry(job);
    if (backingOff) return backingOff;
    if (!(await this.deps.slots.acquire(job, pipeline.policy.concurrency))) return wait(this.deps.slotWaitMs);
    return this.commit(stored, this.transitionTo(job, 'launching', `slot taken (attempt ${job.attempt})`));
  }

  private async launch(stored: StoredJob, pipeline: Pipeline): Promise<StepOutcome> {
    const { job } = stored;
    if (this.elapsedInState(job) > pipeline.policy.timeouts.launching) {
      return this.fail(stored, pipeline, 'timeout', `launching took longer than ${pipeline.policy.timeouts.launching} ms`);
    }
    let inputs: string[];
    try {
      inputs = await expandInputs(job.inputs, this.deps.landingRoots);
    } catch (error) {
      if (error instanceof UserError) return this.fail(stored, pipeline, 'user', error.message);
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
    });
    const handle = await this.deps.launchers.forPipeline(pipeline).launch({ jobId: job.id, attempt: job.attempt, pipeline, spec });
    this.deps.logger.info({ jobId: job.id, attempt: job.attempt, runId: handle.runId, inputs: inputs.length }, 'spark run launched');
    return this.commit(stored, this.transitionTo(job, 'running', `spark run ${handle.runId} started`, { run: handle }));
  }

  private async awaitRun(stored: StoredJob, pipeline: Pipeline): Promise<StepOutcome> {
    const { job } = stored;
    const run = job.run;
    if (!run || run.attempt !== job.attempt) return this.fail(stored, pipeline, 'platform', 'the job is running but records no run for this attempt');
    const launcher = this.deps.launchers.forHandle(run);
    const status = await launcher.status(run);
    switch (status.phase) {
      case 'pending':
      case 'running': {
        const left = pipeline.policy.timeouts.running - this.elapsedInState(job);
        if (left <= 0) {
          await launcher.cancel(run);
          return this.fail(stored, pipeline, 'timeout', `the Spark run took longer than ${pipeline.policy.timeouts.running} ms and was stopped`);
        }
        return wait(Math.min(this.deps.pollMs, left));
      }
      case 'succeeded':
        return this.finishRun(stored, pipeline);
      case 'failed':
        return this.fail(stored, pipeline, status.failureClass, status.message, { logTail: status.logTail, ...(status.input ? { input: status.input } : {}) });
      case 'lost':
        return this.fail(stored, pipeline, 'platform', status.message);
    }
  }

  private async finishRun(stored: StoredJob, pipeline: Pipeline): Promise<StepOutcome> {
    const { job } = stored;
    const manifest = await readCommittedRun(this.deps.lake, pipeline.outputs.lake.table, job.id, job.attempt);
    if (!manifest) return this.fail(stored, pipeline, 'platform', 'the Spark run ended without committing its manifest');
    await this.releaseSlot(job);
    const output = summarizeManifest(manifest);
    this.deps.logger.info({ jobId: job.id, attempt: job.attempt, rowsIn: output.rowsIn, rowsOut: output.rowsOut }, 'spark run committed');
    const next = sqlOutputs(pipeline).length > 0 ? 'loading' : 'succeeded';
    return this.commit(stored, this.transitionTo(job, next, `committed ${output.rowsOut} rows to ${output.runUri}`, { output }));
  }

  /**
   * Loads the committed run into the next SQL output not yet loaded, and records the outcome;
   * the job succeeds once every output is loaded. A re-delivered step finds the sink's ledger
   * row and records "already loaded" instead of writing again.
   */
  private async load(stored: StoredJob, pipeline: Pipeline): Promise<StepOutcome> {
    const { job } = stored;
    const backingOff = this.untilRetry(job);
    if (backingOff) return backingOff;
    const left = pipeline.policy.timeouts.loading - this.elapsedInState(job);
    if (left <= 0) return this.fail(stored, pipeline, 'timeout', `loading took longer than ${pipeline.policy.timeouts.loading} ms`);
    const run = job.run;
    const manifest = run && (await readCommittedRun(this.deps.lake, pipeline.outputs.lake.table, job.id, run.attempt));
    if (!run || !manifest) return this.fail(stored, pipeline, 'platform', 'the job is loading but its committed run cannot be found in the lake');

    const loaded = new Set((job.loads ?? []).filter((outcome) => outcome.runAttempt === run.attempt).map((outcome) => outcome.sink));
    const output = sqlOutputs(pipeline).find((candidate) => !loaded.has(sqlSinkName(candidate)));
    if (!output) {
      return this.commit(stored, this.transitionTo(job, 'succeeded', `loaded into ${loaded.size} SQL table(s)`));
    }
    const sinkName = sqlSinkName(output);
    try {
      if (!this.deps.sinks) throw new SinkError('user', 'this worker has no SQL connections configured');
      const sink = this.deps.sinks.get(output.connection);
      const outcome = await sink.load({
        jobId: job.id,
        runAttempt: run.attempt,
        output,
        columns: manifest.schema,
        rows: () => readRunBatches(this.deps.lake, manifest),
        checksum: manifestChecksum(manifest),
        timeoutMs: left,
        onProgress: this.loadProgressLogger(job, output, manifest.rows_out),
      });
      this.deps.logger.info({ jobId: job.id, ...outcome }, outcome.alreadyLoaded ? 'sql load found in ledger' : 'sql load committed');
      const loads = [...(job.loads ?? []).filter((previous) => previous.sink !== sinkName), outcome];
      return this.commit(stored, { ...job, loads, updatedAt: this.now().toISOString() });
    } catch (error) {
      if (!(error instanceof SinkError)) throw error;
      return this.fail(stored, pipeline, error.failureClass, `${sinkName}: ${error.message}`);
    }
  }

  /** Progress lines for a long load: each phase, and every 10% of the rows staged. */
  private loadProgressLogger(job: Job, output: SqlOutput, rows: number): (progress: LoadProgress) => void {
    let nextStep = 0;
    return ({ phase, rowsStaged }) => {
      if (phase === 'staging' && rowsStaged < nextStep) return;
      nextStep = rowsStaged + Math.max(1, Math.ceil(rows / 10));
      this.deps.logger.info({ jobId: job.id, sink: sqlSinkName(output), phase, rowsStaged, rows }, 'sql load progress');
    };
  }

  private async cancel(stored: StoredJob): Promise<StepOutcome> {
    const { job } = stored;
    await this.stopRunOfAttempt(job);
    await this.releaseSlot(job);
    const reason = 'cancelled by request';
    const failure: Failure = { class: 'cancelled', message: reason, stage: job.state, attempt: job.attempt };
    return this.commit(stored, this.transitionTo(job, 'cancelled', reason, { failure }));
  }

  /**
   * A failed stage: retried after backoff when the class allows and attempts are left, else
   * the job fails. `detail` is what Spark said beyond the message (log tail, the input at fault).
   */
  private async fail(stored: StoredJob, pipeline: Pipeline | undefined, failureClass: FailureClass, message: string, detail: Pick<Failure, 'logTail' | 'input'> = {}): Promise<StepOutcome> {
    const { job } = stored;
    // Leaving `launching` without a recorded run: a run may have started all the same (the
    // write that records it lost a race, or Redis was away); it must not outlive the attempt.
    if (job.state === 'launching') await this.stopRunOfAttempt(job);
    await this.releaseSlot(job);
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
      this.deps.logger.warn({ jobId: job.id, attempt: job.attempt, failureClass, delayMs: delay }, 'stage failed, retrying');
      return this.commit(stored, next);
    }
    this.deps.logger.warn({ jobId: job.id, attempt: job.attempt, failureClass }, 'job failed');
    return this.commit(stored, this.transitionTo(job, 'failed', `${failureClass}: ${message}`, { failure }));
  }

  /**
   * Fails a job whose steps kept throwing (a bug, or Redis away for long): its run is
   * stopped and its slot given back. The message stays generic; the worker log has the error.
   */
  async giveUp(jobId: string): Promise<void> {
    const stored = await this.deps.store.read(jobId);
    if (!stored || isFinal(stored.job.state)) return;
    await this.stopRunOfAttempt(stored.job);
    await this.releaseSlot(stored.job);
    const { job } = stored;
    const message = 'internal error: the job step failed repeatedly; see the worker log for this job id';
    const failure: Failure = { class: 'platform', message, stage: job.state, attempt: job.attempt };
    await this.deps.store.compareAndSet(stored, this.transitionTo(job, 'failed', message, { failure }));
  }

  /** Stops the Spark run of the job's current attempt, recorded or not (launchers name runs by job and attempt). */
  private async stopRunOfAttempt(job: Job): Promise<void> {
    if (job.state === 'queued') return;
    const recorded = job.run?.attempt === job.attempt ? job.run : undefined;
    const handle = recorded ?? (await this.deps.launchers.runsOf(job.id)).find((run) => run.attempt === job.attempt);
    if (handle) await this.deps.launchers.forHandle(handle).cancel(handle);
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

  /** Gives back the job's slot and wakes the most urgent jobs waiting for one. */
  private async releaseSlot(job: Job): Promise<void> {
    const waiters = await this.deps.slots.release(job.id, job.pipeline);
    await Promise.all(waiters.map((id) => this.deps.wake(id)));
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

  /** The wait left before a scheduled retry, while one is due later. */
  private untilRetry(job: Job): StepOutcome | undefined {
    const left = job.retryAt ? Date.parse(job.retryAt) - this.now().getTime() : 0;
    return left > 0 ? wait(left) : undefined;
  }

  private elapsedInState(job: Job): number {
    const entered = job.history.at(-1)?.at ?? job.updatedAt;
    return this.now().getTime() - Date.parse(entered);
  }
}
