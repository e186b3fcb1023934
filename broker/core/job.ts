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

/** C0 controls, DEL and C1 controls: never part of a file name or label a person typed; NUL cuts C strings short. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
export const hasControlCharacters = (text: string): boolean => CONTROL_CHARACTERS.test(text);

/**
 * Keys that name JavaScript's object machinery. JSON.parse keeps "__proto__" as an own key
 * and zod's records then drop it without a word, so a caller would never learn that their
 * parameter or label was ignored; and any of the three could reach code that indexes a plain
 * object. They are refused, with their field path, before the record is parsed.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function withoutReservedKeys<T extends z.ZodType>(record: T): z.ZodType<z.output<T>, z.input<T>> {
  return z.preprocess((value, ctx) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        if (RESERVED_KEYS.has(key)) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is a reserved name`, input: value });
      }
    }
    return value;
  }, record);
}

export const LabelsSchema = withoutReservedKeys(
  z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label names are lowercase, at most 63 characters'),
      z.string().max(256).refine((value) => !hasControlCharacters(value), 'label values may not hold control characters (NUL, newline, tab, …)'),
    )
    .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels'),
);

/** Inputs one job may name: beyond this, name their folder (it is expanded at launch). */
export const MAX_INPUTS = 10_000;

/**
 * The characters Hadoop's glob (under every Spark read) interprets: {a,b} [abc] * ? and the
 * backslash escape. A file inside a root literally named "{x,../outside/y}.parquet" would be read as
 * two paths, one outside the roots, so a request may not name them (a file:// URI is checked
 * decoded: %7B is "{"). Files found by folder expansion or by the watchers are not requests;
 * the Spark app reads every path literally (sluice_spark.storage.literal_path).
 */
const GLOB_CHARACTERS = /[{}[\]*?\\]/;

function hasGlobCharacters(input: string): boolean {
  if (GLOB_CHARACTERS.test(input)) return true;
  if (!/^file:/i.test(input)) return false;
  try {
    return GLOB_CHARACTERS.test(decodeURIComponent(input));
  } catch {
    return false; // not decodable: confinement refuses it with its own reason
  }
}

/**
 * Whether the file or folder a path names is one Spark skips without a word: its file index
 * takes names starting with "_" or "." for hidden (_SUCCESS, .crc), so a job naming
 * "_late.parquet" would succeed without its rows.
 */
function namesHiddenFile(input: string): boolean {
  const last = input.split('/').filter((segment) => segment !== '').at(-1) ?? '';
  return last.startsWith('_') || last.startsWith('.');
}

const InputPathSchema = z
  .string()
  .min(1)
  .max(4_096)
  .refine((path) => !hasControlCharacters(path), 'paths may not hold control characters (NUL, newline, tab, …)')
  .refine((path) => !hasGlobCharacters(path), 'paths may not hold { } [ ] * ? or \\ (Spark would read them as a pattern); name the file or its folder without them')
  .refine((path) => !namesHiddenFile(path), 'a file or folder whose name starts with "_" or "." is skipped by Spark as hidden (and by folder expansion): rename it')

/** The body of POST /v1/jobs. */
export const SubmitRequestSchema = z
  .object({
    pipeline: NameSchema,
    parameters: withoutReservedKeys(z.record(ColumnNameSchema, ParameterValueSchema)).default({}),
    inputs: z
      .array(InputPathSchema)
      .max(MAX_INPUTS, `at most ${MAX_INPUTS} inputs per job; name their folder instead`)
      .optional(),
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

/** Which engine ran an attempt, and why in words ("embedded: 46 MB ≤ 2 GB"). */
export const EngineChoiceSchema = z.object({
  attempt: z.number().int(),
  engine: z.enum(['embedded', 'spark']),
  reason: z.string(),
  /**
   * How that attempt failed, set when a retry by request clears the job's failure: the next
   * attempt's engine choice still needs it (an embedded attempt that failed `platform` falls
   * back to Spark). Not shown in the API.
   */
  failedWith: FailureClassSchema.optional(),
});

/** What a launcher hands back from launch(): enough to find the run again after a restart. */
export const RunHandleSchema = z.object({
  launcher: z.string(),
  runId: z.string(),
  attempt: z.number().int(),
  startedAt: z.string(),
  /** The live Spark UI, from SLUICE_K8S_UI_URL: it answers only while the run lives (after its end, historyUrl is the link). */
  uiUrl: z.string().optional(),
  /** Kubernetes runs: the namespace of the SparkApplication (k8s-operator) or driver pod (k8s-native). */
  namespace: z.string().optional(),
  /** Kubernetes runs: the SparkApplication's or the driver pod's name. */
  name: z.string().optional(),
  /**
   * The Spark history server's page of the run, from SLUICE_K8S_HISTORY_URL: the link once the
   * run ended. Absent until the values its template needs are known (the Spark application id
   * arrives after the launch).
   */
  historyUrl: z.string().optional(),
  /**
   * Kubernetes runs: the run's state in the Spark Operator's words (SUBMITTED, RUNNING,
   * COMPLETED, FAILED, …), as last seen by the worker; for k8s-native the driver pod's phase in
   * the same words. It stays at the last state seen once the run ends. Absent for local runs.
   */
  sparkState: z.string().optional(),
  /**
   * The lake table the run writes to, as its spec said at launch (recorded by the worker, not
   * the launcher): its manifest is looked for there even when the pipeline's table is renamed
   * while the run goes on. Absent in records written before it was kept.
   */
  table: z.string().optional(),
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

/** Where a SQL load stands (the sink's phases, in order): rows going into staging, all staged, applied to the table, committed. */
export const LoadPhaseSchema = z.enum(['staging', 'staged', 'applying', 'committed']);
export type LoadPhase = z.infer<typeof LoadPhaseSchema>;

/**
 * A SQL load while it runs, as the worker last recorded it: at each phase, and at most every
 * couple of seconds while rows are staged (load-progress-writer.ts). Every transition ends it,
 * and the sink's outcome in `loads` replaces it once the load commits.
 */
export const RunningLoadSchema = z.object({
  sink: z.string(),
  phase: LoadPhaseSchema,
  rowsStaged: z.number().int(),
  /** The committed run's rows: what the load stages in all. */
  rowsTotal: z.number().int(),
  /** When the worker recorded this (a phase that waits, on a table lock say, keeps its time). */
  updatedAt: z.string(),
});
export type RunningLoad = z.infer<typeof RunningLoadSchema>;

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
  /**
   * The engine chosen for `attempt` (engine-choice.ts), recorded with the `launching` change
   * so that a re-delivered launch step uses the same one and never starts a second run.
   */
  engine: EngineChoiceSchema.optional(),
  failure: FailureSchema.optional(),
  output: ManifestSummarySchema.optional(),
  /** One entry per SQL sink loaded so far, in the pipeline's order. */
  loads: z.array(LoadOutcomeSchema).optional(),
  /** The SQL loads running now, one per sink, while the job is loading. */
  loadProgress: z.array(RunningLoadSchema).optional(),
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
