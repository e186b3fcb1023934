// The job record: one run of a pipeline over a set of inputs, with its whole story (state
// history, attempts, the Spark run it owns, the committed output). Stored as JSON in Redis;
// the API returns it as it is.
import { z } from 'zod';
import { ColumnNameSchema, NameSchema } from './pipeline.ts';
import { ManifestSummarySchema } from './manifest.ts';

export const JOB_STATES = ['queued', 'launching', 'running', 'loading', 'succeeded', 'failed', 'cancelled'] as const;
export const JobStateSchema = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobStateSchema>;

const FINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);
export const isFinal = (state: JobState): boolean => FINAL_STATES.has(state);

export const FailureClassSchema = z.enum(['user', 'data', 'platform', 'timeout', 'cancelled']);
export type FailureClass = z.infer<typeof FailureClassSchema>;

export const ParameterValueSchema = z.union([z.string().max(4_096), z.number(), z.boolean()]);
export const LabelsSchema = z
  .record(z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label names are lowercase, at most 63 characters'), z.string().max(256))
  .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels');

/** The body of POST /v1/jobs. */
export const SubmitRequestSchema = z
  .object({
    pipeline: NameSchema,
    parameters: z.record(ColumnNameSchema, ParameterValueSchema).default({}),
    inputs: z.array(z.string().min(1).max(4_096)).max(10_000).optional(),
    priority: z.number().int().min(1).max(1_000).optional(),
    labels: LabelsSchema.default({}),
  })
  .strict();
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;
/** A submit as a client writes it (defaults still to apply). */
export type SubmitRequestBody = z.input<typeof SubmitRequestSchema>;

export const StateChangeSchema = z.object({
  state: JobStateSchema,
  at: z.string(),
  attempt: z.number().int(),
  reason: z.string().optional(),
});

export const FailureSchema = z.object({
  class: FailureClassSchema,
  message: z.string(),
  stage: JobStateSchema,
  attempt: z.number().int(),
  /** The end of the Spark driver log, when the failure came from Spark. */
  logTail: z.string().optional(),
  /** The input a data failure concerns, as the run spec named it: the file to quarantine. */
  input: z.string().optional(),
});
export type Failure = z.infer<typeof FailureSchema>;

/** What a launcher hands back from launch(): enough to find the run again after a restart. */
export const RunHandleSchema = z.object({
  launcher: z.string(),
  runId: z.string(),
  attempt: z.number().int(),
  startedAt: z.string(),
  uiUrl: z.string().optional(),
});
export type RunHandle = z.infer<typeof RunHandleSchema>;

/** What one SQL sink did with a committed run: shown by GET /v1/jobs/{id}. */
export const LoadOutcomeSchema = z.object({
  sink: z.string(),
  dialect: z.enum(['postgres', 'sqlserver']),
  table: z.string(),
  mode: z.enum(['merge', 'replace-partitions', 'append']),
  /** The attempt whose committed run was loaded (a load retried on its own keeps the run). */
  runAttempt: z.number().int(),
  rowsStaged: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
  durationMs: z.number().int(),
  loadedAt: z.string(),
  /** True when the ledger showed this run already loaded, so nothing was written again. */
  alreadyLoaded: z.boolean(),
  /** sha256 of the committed run's manifest (files, sizes, rows, schema), as the ledger records it. */
  checksum: z.string(),
});
export type LoadOutcome = z.infer<typeof LoadOutcomeSchema>;

export const JobSchema = z.object({
  id: z.string(),
  pipeline: NameSchema,
  state: JobStateSchema,
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1),
  priority: z.number().int(),
  parameters: z.record(z.string(), ParameterValueSchema),
  inputs: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  idempotencyKey: z.string().optional(),
  /** Whose key it is (the API key's name): keys of different callers never meet. */
  idempotencyScope: z.string().optional(),
  requestId: z.string().optional(),
  /**
   * Follows the job from its request (HTTP request id or `traceparent`, or a new one for
   * landings and schedules) through every log line, Spark's driver log, the manifest and the
   * SQL load ledger.
   */
  traceId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  history: z.array(StateChangeSchema),
  run: RunHandleSchema.optional(),
  failure: FailureSchema.optional(),
  output: ManifestSummarySchema.optional(),
  /** One entry per SQL sink loaded so far, in the pipeline's order. */
  loads: z.array(LoadOutcomeSchema).optional(),
  /** Set by cancel while a step may be running; the next step honours it. */
  cancelRequested: z.boolean().optional(),
  /** Set once the finish work (landing files archived or quarantined) is done for the final state. */
  finalized: z.boolean().optional(),
  /** When the next retry of a failed stage is due (ISO time), while one is scheduled. */
  retryAt: z.string().optional(),
});
export type Job = z.infer<typeof JobSchema>;

/** Where a job's idempotency key is recorded: the caller's scope and the key itself. */
export function scopedIdempotencyKey(key: string, scope: string | undefined): string {
  return scope ? `${scope}/${key}` : key;
}
