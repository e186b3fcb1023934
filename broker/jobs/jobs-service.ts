// The jobs module's face: submit() is the single entry point for new work (the API now, the
// watchers later), plus the queries and the operator actions (cancel, retry).
import { createHash, randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, UserError } from '../core/errors.ts';
import { newJobId } from '../core/ids.ts';
import { isFinal, type Job, type SubmitRequest } from '../core/job.ts';
import { isKubernetesLauncher } from '../core/k8s-engine.ts';
import type { Pipeline } from '../core/pipeline.ts';
import { transition } from '../core/state-machine.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { canonicalJson } from './canonical-json.ts';
import { confineInputs, s3LandingRoots, type S3Root } from './input-paths.ts';
import { checkInputsOnVolumes } from './input-volumes.ts';
import type { JobQueue } from './job-queue.ts';
import { jobRecord, type IdempotencyRecord, type JobFilter, type JobPage, type JobStore } from './job-store.ts';
import { resolveParameters } from './resolve-parameters.ts';

/**
 * `scope` keeps idempotency keys apart between callers (the API passes the API key's name),
 * so one client's key can neither replay nor block another's job.
 */
export type SubmitContext = {
  idempotencyKey?: string;
  requestId?: string;
  scope?: string;
  /** Follows the job through logs, Spark, the manifest and the SQL ledger; a new one when absent (landings, schedules). */
  traceId?: string;
};
export type SubmitResult = { job: Job; created: boolean };

export type JobsDeps = {
  store: JobStore;
  queue: JobQueue;
  pipelines: PipelineRegistry;
  landingRoots: readonly string[];
  /** S3 roots s3:// inputs may name besides the pipelines' s3 sources (SLUICE_S3_LANDING_ROOTS). */
  s3Roots?: readonly S3Root[];
  /**
   * Whether the queue sends its commands over the store's Redis connection (the API's). Then
   * a submit sends the queue add right behind the record's write, without waiting for its
   * answer: one connection keeps them in order, so a worker normally finds the record when it
   * takes the step. Not always: a write re-sent after Redis lost its script cache (a restart,
   * a failover) goes out after the add; the step then waits for the record (job-steps.ts
   * withoutRecord). Over two connections the add waits for the write.
   */
  queueSharesStoreConnection?: boolean;
  now?: () => Date;
};

/** What an Idempotency-Key may be (published in the API document as the header's pattern). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/** A new trace id in the W3C form (32 lowercase hex digits), so that tracing tools accept it. */
export const newTraceId = (): string => randomBytes(16).toString('hex');

/**
 * The inputs a job of `pipeline` may read, as a submit takes them: confined to the landing
 * roots (s3:// ones to the S3 roots), and for a run on Kubernetes, on a volume its pods mount.
 * Throws the UserError a submit answers with. Start-up checks a schedule's input.paths with it
 * too (broker/schedules/scheduled-inputs.ts): what it accepts, every tick's submit accepts.
 */
export function acceptedInputs(
  pipeline: Pipeline,
  inputs: string[],
  options: { pipelines: PipelineRegistry; landingRoots: readonly string[]; s3Roots?: readonly S3Root[] | undefined; field: string },
): string[] {
  const confined = confineInputs(inputs, options.landingRoots, options.field, s3LandingRoots(options.pipelines.list(), options.s3Roots));
  // A run on Kubernetes reads only what its pods can: refused here, before a job exists.
  if (isKubernetesLauncher(pipeline.engine.launcher)) checkInputsOnVolumes(pipeline, confined);
  return confined;
}

export class JobsService {
  private readonly now: () => Date;

  constructor(private readonly deps: JobsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async submit(request: SubmitRequest, context: SubmitContext = {}): Promise<SubmitResult> {
    const { pipelines } = this.deps;
    const pipeline = pipelines.get(request.pipeline);
    if (!pipeline) {
      throw new UserError('unknown-pipeline', `no pipeline is named "${request.pipeline}"`, 422, [
        { path: 'pipeline', message: `unknown pipeline; known: ${pipelines.list().map((p) => p.name).join(', ') || 'none'}` },
      ]);
    }
    const key = context.idempotencyKey;
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new UserError('invalid-idempotency-key', 'Idempotency-Key must be 1-200 characters of A-Z a-z 0-9 . _ : -', 400, [
        { path: 'Idempotency-Key', message: 'invalid characters or length' },
      ]);
    }
    const scope = context.scope;
    // What a replay is compared on; only a submit with a key can be one.
    const bodyHash = key !== undefined ? createHash('sha256').update(canonicalJson(request)).digest('hex') : '';
    if (key !== undefined) {
      const replay = await this.replay(key, scope, bodyHash);
      if (replay) return replay;
    }
    const parameters = resolveParameters(pipeline, request.parameters);
    const inputs = acceptedInputs(pipeline, request.inputs ?? pipeline.input.paths, { pipelines, landingRoots: this.deps.landingRoots, s3Roots: this.deps.s3Roots, field: 'inputs' });
    if (inputs.length === 0) {
      throw new UserError('no-inputs', 'the request names no inputs and the pipeline has no default input paths', 422, [
        { path: 'inputs', message: 'give at least one file or folder' },
      ]);
    }
    const at = this.now();
    const iso = at.toISOString();
    const job: Job = {
      id: newJobId(at.getTime(), randomBytes(8)),
      pipeline: pipeline.name,
      state: 'queued',
      attempt: 1,
      maxAttempts: pipeline.policy.max_attempts,
      priority: request.priority ?? pipeline.policy.priority,
      parameters,
      inputs,
      labels: request.labels,
      ...(key !== undefined ? { idempotencyKey: key, ...(scope ? { idempotencyScope: scope } : {}) } : {}),
      ...(context.requestId ? { requestId: context.requestId } : {}),
      traceId: context.traceId ?? newTraceId(),
      createdAt: iso,
      updatedAt: iso,
      history: [{ state: 'queued', at: iso, attempt: 1, reason: 'submitted' }],
    };
    const existing = await this.createAndEnqueue(job, key !== undefined ? { jobId: job.id, bodyHash } : undefined);
    if (existing) {
      const replay = await this.replay(key!, scope, bodyHash);
      if (replay) return replay;
    }
    return { job, created: true };
  }

  /**
   * Writes the job and queues its first step; returns the idempotency record that held the key
   * already, if one did (then the job was not created). On a shared connection both go in one
   * round trip; the step queued for a job that was not created (its key lost the race to
   * another submit) is taken back.
   */
  private async createAndEnqueue(job: Job, idempotency: IdempotencyRecord | undefined): Promise<IdempotencyRecord | undefined> {
    const { store, queue } = this.deps;
    // The record rides with the first step, which then starts without reading it.
    const record = jobRecord(job);
    if (!this.deps.queueSharesStoreConnection) {
      const existing = await store.create(job, idempotency);
      if (!existing) await queue.enqueue(job, record);
      return existing;
    }
    const [created, queued] = await Promise.allSettled([store.create(job, idempotency), queue.enqueue(job, record)]);
    if (created.status === 'rejected') throw created.reason;
    if (queued.status === 'rejected' && !created.value) throw queued.reason;
    // Left alone, it would look for its record for the whole grace before ending.
    if (created.value && queued.status === 'fulfilled') await queue.removeIfIdle(job.id).catch(() => undefined);
    return created.value;
  }

  /** A repeated submit: the same key and body gives the same job (queued again if need be). */
  private async replay(key: string, scope: string | undefined, bodyHash: string): Promise<SubmitResult | undefined> {
    const record = await this.deps.store.readIdempotency(key, scope);
    if (!record) return undefined;
    if (record.bodyHash !== bodyHash) {
      throw new ConflictError('idempotency-key-reused', `this Idempotency-Key was already used with a different request body`);
    }
    const job = await this.deps.store.get(record.jobId);
    if (!job) throw new ConflictError('idempotency-key-reused', `this Idempotency-Key belongs to a job that no longer exists`);
    // The first submit may have died between writing the record and queueing it.
    if (!isFinal(job.state)) await this.deps.queue.enqueue(job);
    return { job, created: false };
  }

  async get(id: string): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job) throw new NotFoundError('job', id);
    return job;
  }

  list(filter: JobFilter): Promise<JobPage> {
    return this.deps.store.list(filter);
  }

  /** Jobs that finished in [fromMs, untilMs], newest first, at most `limit` (GET /v1/stats/runs). */
  finishedIn(fromMs: number, untilMs: number, limit: number): ReturnType<JobStore['finishedIn']> {
    return this.deps.store.finishedIn(fromMs, untilMs, limit);
  }

  /**
   * Cancels in any state. A queued job no worker holds is cancelled at once; otherwise the
   * job is marked and its step woken, and the worker stops the Spark run and finishes it.
   */
  async cancel(id: string, reason = 'cancelled by request'): Promise<Job> {
    const { store, queue } = this.deps;
    const job = await this.get(id);
    if (isFinal(job.state)) throw new ConflictError('job-finished', `job ${id} is already ${job.state}`);
    if (job.state === 'queued' && (await queue.removeIfIdle(id))) {
      const cancelled = await store.update(id, (current) =>
        current.state === 'queued'
          ? transition(current, 'cancelled', this.now(), reason, { failure: { class: 'cancelled', message: reason, stage: 'queued', attempt: current.attempt } })
          : undefined,
      );
      if (cancelled?.state === 'cancelled') return cancelled;
      // A worker took it between the two calls: fall through to the marked cancel.
      if (cancelled) await queue.enqueue(cancelled);
    }
    const marked = await store.update(id, (current) => (isFinal(current.state) || current.cancelRequested ? undefined : { ...current, cancelRequested: true, updatedAt: this.now().toISOString() }));
    if (!marked) throw new NotFoundError('job', id);
    // The job may have finished while the cancel was on its way.
    if (isFinal(marked.state)) throw new ConflictError('job-finished', `job ${id} is already ${marked.state}`);
    await queue.wake(id);
    return marked;
  }

  /** Runs a failed or cancelled job again as a new attempt, with a fresh allowance of retries. */
  async retry(id: string, by = 'request'): Promise<Job> {
    const { store, queue, pipelines } = this.deps;
    const job = await this.get(id);
    if (job.state !== 'failed' && job.state !== 'cancelled') {
      throw new ConflictError('job-not-retryable', `job ${id} is ${job.state}; only failed or cancelled jobs can be retried`);
    }
    const allowance = pipelines.get(job.pipeline)?.policy.max_attempts ?? 1;
    // A job whose Spark run committed and only its load failed retries the load alone.
    const reload = (candidate: Job) => candidate.failure?.stage === 'loading' && candidate.run !== undefined && candidate.output !== undefined;
    const retried = await store.update(id, (current) => {
      if (current.state !== 'failed' && current.state !== 'cancelled') return undefined;
      const attempt = current.attempt + 1;
      const { failure, cancelRequested: _cancel, run, finalized: _finalized, ...rest } = current;
      // The failure goes; the engine choice keeps how its attempt ended, for the next choice.
      const engine = current.engine && failure?.attempt === current.engine.attempt ? { ...current.engine, failedWith: failure.class } : current.engine;
      const patch = { attempt, maxAttempts: attempt + allowance - 1, ...(engine ? { engine } : {}) };
      if (reload(current)) return transition({ ...rest, run } as Job, 'loading', this.now(), `load retried by ${by}`, patch);
      return transition(rest as Job, 'queued', this.now(), `retried by ${by}`, patch);
    });
    if (!retried || (retried.state !== 'queued' && retried.state !== 'loading')) throw new ConflictError('job-not-retryable', `job ${id} changed state; try again`);
    await queue.requeue(retried);
    return retried;
  }
}
