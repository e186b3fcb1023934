// The pipeline: a declarative YAML file that says where a job's Parquet comes from, what to
// check and compute, where the result goes and how hard to try. Validated at load; nothing
// past this schema re-checks the shape.
import { nextTick } from './cron-ticks.ts';
import { z } from 'zod';
import { K8sEngineFields, KUBERNETES_LAUNCHERS } from './k8s-engine.ts';
import { LandingConfigSchema } from './landing-config.ts';
import { DurationInputSchema, DurationSchema, durationMs, SizeSchema } from './units.ts';
import { DEADLINE_HINT, NOTIFY_KINDS, parseDeadline } from './notify-policy.ts';

/** Names that end up in paths, Redis keys and Spark column lists: kept to a safe alphabet. */
export const NameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must start with a lowercase letter and hold only a-z, 0-9, "_" and "-" (at most 63)');

export const ColumnNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a plain column name (letters, digits, "_")');

/** Spark SQL type names that the Spark app checks landings against. */
export const ColumnTypeSchema = z
  .string()
  .regex(
    /^(string|boolean|int|long|float|double|date|timestamp|binary|decimal\(\d{1,2},\d{1,2}\))$/,
    'must be one of string, boolean, int, long, float, double, date, timestamp, binary, decimal(p,s)',
  );

export const MetricFunctionSchema = z.enum(['count', 'sum', 'avg', 'min', 'max', 'count_distinct', 'approx_percentile']);

export const MetricSchema = z
  .object({
    name: ColumnNameSchema,
    fn: MetricFunctionSchema,
    column: ColumnNameSchema.optional(),
    percentile: z.number().gt(0).lt(1).optional(),
  })
  .strict()
  .superRefine((metric, ctx) => {
    if (metric.fn !== 'count' && !metric.column) {
      ctx.addIssue({ code: 'custom', path: ['column'], message: `${metric.fn} needs a column` });
    }
    if (metric.fn === 'approx_percentile' && metric.percentile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['percentile'], message: 'approx_percentile needs a percentile between 0 and 1' });
    }
  });

/** Filter, derived columns, group-by keys and metrics; or one SQL statement over the `landing` view. */
export const TransformSchema = z.union([
  z
    .object({
      filter: z.string().min(1).optional(),
      derive: z.record(ColumnNameSchema, z.string().min(1)).default({}),
      group_by: z.array(ColumnNameSchema).min(1),
      metrics: z.array(MetricSchema).min(1),
    })
    .strict(),
  z.object({ sql: z.string().min(1) }).strict(),
]);

export const ParameterSchema = z
  .object({
    type: z.enum(['string', 'number', 'boolean']),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((parameter, ctx) => {
    // Checked here, not at submit: a wrong default would fail every request with a 422 that blames the caller.
    if (parameter.default !== undefined && typeof parameter.default !== parameter.type) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `must be a ${parameter.type}, as the parameter's type says` });
    }
  });

// Also the storage keys that name no secret in words: Azure's account keys and SAS tokens,
// a service account's private key, a server-side encryption key.
const SECRET_SETTING = /(secret|password|token|credential|access\.key|session\.key|account\.key|private\.key|encryption\.key|fs\.azure\.sas\.)/i;

/**
 * The Spark settings Sluice sets for each run, and where a pipeline says what it wants instead.
 * One in engine.conf would win over Sluice's (the pipeline's conf is applied last): executors in
 * another namespace than the driver and its RBAC, a driver pod the launcher cannot find, a run
 * sized apart from the engine fields the worker and the caps read.
 */
const SLUICE_SETS = 'Sluice sets it for each run';
const RUN_OWNED_CONF: Record<string, string> = {
  'spark.master': SLUICE_SETS,
  'spark.submit.deployMode': SLUICE_SETS,
  'spark.app.name': `${SLUICE_SETS} (the run's name)`,
  'spark.kubernetes.namespace': 'use engine.namespace',
  'spark.kubernetes.driver.pod.name': `${SLUICE_SETS} (the driver pod's name)`,
  'spark.kubernetes.executor.podNamePrefix': `${SLUICE_SETS} (the executors' names)`,
  'spark.kubernetes.authenticate.driver.serviceAccountName': 'use engine.service_account',
  'spark.kubernetes.container.image': 'use engine.image',
  'spark.kubernetes.submitInDriver': SLUICE_SETS,
  'spark.driver.host': SLUICE_SETS,
  'spark.driver.port': SLUICE_SETS,
  'spark.driver.blockManager.port': SLUICE_SETS,
  'spark.driver.memory': 'use engine.driver_memory (local runs) or engine.driver.memory (Kubernetes)',
  'spark.driver.cores': 'use engine.cores (local runs) or engine.driver.cores (Kubernetes)',
  'spark.executor.memory': 'use engine.executor.memory',
  'spark.executor.cores': 'use engine.executor.cores',
  'spark.executor.instances': 'use engine.executor.instances or engine.dynamic_allocation',
};

export const LAUNCHERS = ['local', ...KUBERNETES_LAUNCHERS] as const;

export const EngineSchema = z
  .object({
    launcher: z.enum(LAUNCHERS).default('local'),
    /**
     * Which engine runs a job (ADR 0021): `auto` runs small landings (SLUICE_EMBEDDED_MAX_BYTES)
     * on the embedded engine (DuckDB on the worker) and the rest on `launcher`; `spark` and
     * `embedded` force one.
     */
    kind: z.enum(['auto', 'spark', 'embedded']).default('auto'),
    /** `spark`: an attempt that failed on the embedded engine as a platform failure (out of memory) is retried on Spark. */
    fallback: z.enum(['spark', 'none']).default('spark'),
    app: z.enum(['aggregate']).default('aggregate'),
    driver_memory: z.string().regex(/^\d+[kmgtKMGT]$/, 'must be a JVM size such as 1g or 512m').default('1g'),
    executor_memory: z.string().regex(/^\d+[kmgtKMGT]$/, 'must be a JVM size such as 1g or 512m').default('1g'),
    cores: z.number().int().min(1).max(256).default(2),
    conf: z
      .record(z.string(), z.string())
      .superRefine((conf, ctx) => {
        for (const key of Object.keys(conf)) {
          if (!/^spark\.[A-Za-z0-9._-]+$/.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'must be a spark.* setting' });
          // Pipelines are shown by the API and copied into run specs: no secret may live in one.
          else if (SECRET_SETTING.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'looks like a secret; secrets come from the environment, never from a pipeline file' });
          else if (Object.hasOwn(RUN_OWNED_CONF, key)) ctx.addIssue({ code: 'custom', path: [key], message: `cannot be set in engine.conf: ${RUN_OWNED_CONF[key]}` });
        }
      })
      .default({}),
    ...K8sEngineFields,
  })
  .strict()
  .superRefine((engine, ctx) => {
    // Two volumes on one mount point, or one variable twice, would leave one silently unused.
    const mounts = new Set<string>();
    engine.volumes.forEach((volume, index) => {
      if (mounts.has(volume.mount)) ctx.addIssue({ code: 'custom', path: ['volumes', index, 'mount'], message: `${volume.mount} is mounted twice` });
      mounts.add(volume.mount);
    });
    const names = new Set<string>();
    engine.env.forEach((env, index) => {
      if (names.has(env.name)) ctx.addIssue({ code: 'custom', path: ['env', index, 'name'], message: `${env.name} is set twice` });
      names.add(env.name);
    });
  });

export const BackoffSchema = z
  .object({
    initial: DurationSchema.default(5_000),
    max: DurationSchema.default(300_000),
    factor: z.number().min(1).max(10).default(2),
  })
  .strict();

/**
 * A duration, or `none` for no limit (null once parsed). Only the queued stage may have none:
 * a queued job holds nothing, and an operator may pause a queue for longer than any bound;
 * a job that launches, runs or loads always has a limit (see ADR 0011). `none` is told apart
 * in the transform rather than by a union of it and DurationSchema: a union that fails both ways
 * says only "Invalid input", losing the duration's own words ("30" has no unit…). (The literal
 * stays in the union for the published contract, which lists `none`.)
 */
export const DurationOrNoneSchema = z.union([z.literal('none'), ...DurationInputSchema.options]).transform((value, ctx) => (value === 'none' ? null : durationMs(value, ctx, ', or none for no limit')));

export const STAGE_TIMEOUT_DEFAULTS = { queued: 86_400_000, launching: 120_000, running: 7_200_000, loading: 1_800_000 } as const;

export const StageTimeoutsSchema = z
  .object({
    /** From entering `queued` (submit, or a retry) to taking a run slot; `none` waits for ever. */
    queued: DurationOrNoneSchema.default(STAGE_TIMEOUT_DEFAULTS.queued),
    launching: DurationSchema.default(STAGE_TIMEOUT_DEFAULTS.launching),
    running: DurationSchema.default(STAGE_TIMEOUT_DEFAULTS.running),
    loading: DurationSchema.default(STAGE_TIMEOUT_DEFAULTS.loading),
  })
  .strict();

export const PolicySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(20).default(3),
    backoff: BackoffSchema.default({ initial: 5_000, max: 300_000, factor: 2 }),
    timeouts: StageTimeoutsSchema.default({ ...STAGE_TIMEOUT_DEFAULTS }),
    concurrency: z.number().int().min(1).max(1_000).default(4),
    priority: z.number().int().min(1).max(1_000).default(10),
    /**
     * When a job is late: a duration after submit ("30m") or a time of day "HH:MM" (in the
     * schedule's time zone, else UTC). A late job raises `deadline_missed` once (docs/adr/0020-alerts.md).
     */
    deadline: z.string().refine((text) => parseDeadline(text) !== undefined, DEADLINE_HINT).optional(),
  })
  .strict();

export const InputSchema = z
  .object({
    format: z.literal('parquet').default('parquet'),
    /** Expected columns and their types; landings are checked against them before any work. */
    columns: z.record(ColumnNameSchema, ColumnTypeSchema),
    /** Default inputs when a request names none: files or folders under a landing root. */
    paths: z.array(z.string().min(1)).default([]),
    /** A landed file larger than this is quarantined when it lands, before any job reads it. */
    max_file_size: SizeSchema.optional(),
    /**
     * Columns that must hold no nulls. Checked on landings at the door, from the footer: the
     * column is REQUIRED, or every row group's statistics count no nulls (a footer without
     * null counts cannot show it, and passes).
     */
    not_null: z.array(ColumnNameSchema).default([]),
  })
  .strict()
  .superRefine((input, ctx) => {
    input.not_null.forEach((name, index) => {
      if (!(name in input.columns)) ctx.addIssue({ code: 'custom', path: ['not_null', index], message: `"${name}" is not one of input.columns` });
    });
  });

/** `table` or `schema.table`, each part a plain identifier: nothing else ever reaches SQL text. */
export const SqlTableNameSchema = z
  .string()
  .regex(/^([A-Za-z_][A-Za-z0-9_]{0,127}\.)?[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be "table" or "schema.table", each a plain identifier (letters, digits, "_")');

export const SqlLoadModeSchema = z.enum(['merge', 'replace-partitions', 'append']);

/** One SQL table that a committed run is loaded into. The connection's URL comes from the environment. */
export const SqlOutputSchema = z
  .object({
    connection: NameSchema,
    table: SqlTableNameSchema,
    keys: z.array(ColumnNameSchema).default([]),
    mode: SqlLoadModeSchema.default('merge'),
    /** The columns whose values name the partitions that replace-partitions replaces. */
    partition_by: z.array(ColumnNameSchema).default([]),
  })
  .strict()
  .superRefine((output, ctx) => {
    if (output.mode === 'merge' && output.keys.length === 0) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'merge needs the key columns it merges on' });
    if (output.mode === 'replace-partitions' && output.partition_by.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['partition_by'], message: 'replace-partitions needs the columns that name a partition' });
    }
  });

export const OutputsSchema = z
  .object({
    lake: z.object({ table: NameSchema }).strict(),
    /** One table, or several; each is loaded exactly once per committed run. */
    sql: z.union([SqlOutputSchema, z.array(SqlOutputSchema).min(1)]).optional(),
  })
  .strict();

/** cron-parser's named schedules; anything else must spell out five or six fields. */
const CRON_ALIASES = /^@(yearly|annually|monthly|weekly|daily|hourly)$/;

/**
 * What is wrong with a cron expression, or undefined. Five fields (minute first) or six
 * (second first), as BullMQ's job schedulers read them: cron-parser would silently fill in
 * missing fields, so "0 2" would tick every day at minute 2 of every hour.
 */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (!CRON_ALIASES.test(cron.trim()) && (fields.length < 5 || fields.length > 6)) {
    return 'must have five fields (minute hour day-of-month month day-of-week) or six (seconds first)';
  }
  try {
    if (nextTick(cron, Date.now(), 'UTC') === undefined) return 'is a cron expression that never ticks';
    return undefined;
  } catch (error) {
    return `is not a cron expression: ${(error as Error).message}`;
  }
}

/** Whether the runtime knows this IANA time zone (cron-parser would fail later with an unhelpful message). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * When jobs start on their own: each tick of `cron` (read in `timezone`) submits one job with
 * `params`. `catchup` says what a tick missed while no worker ran does: `latest` runs it once
 * at start, `none` skips it (see broker/schedules/ and docs/adr/0019-schedules.md).
 */
export const ScheduleSchema = z
  .object({
    cron: z.string().superRefine((cron, ctx) => {
      const problem = cronProblem(cron);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    timezone: z
      .string()
      .refine(isKnownTimeZone, 'must be an IANA time zone such as Europe/Zurich or UTC')
      .default('UTC'),
    params: z.record(ColumnNameSchema, z.union([z.string().max(4_096), z.number(), z.boolean()])).default({}),
    catchup: z.enum(['latest', 'none']).default('latest'),
  })
  .strict();

export type Schedule = z.infer<typeof ScheduleSchema>;

/**
 * A schedule's params, checked at load as a submit would check them: a tick has nobody to
 * answer a 422, so a mistake here would fail every tick in silence.
 */
function checkSchedule(pipeline: { parameters: Record<string, z.infer<typeof ParameterSchema>>; input: { paths: string[] }; schedule?: Schedule }, ctx: z.RefinementCtx): void {
  const schedule = pipeline.schedule;
  if (!schedule) return;
  for (const name of Object.keys(schedule.params)) {
    if (!Object.hasOwn(pipeline.parameters, name)) ctx.addIssue({ code: 'custom', path: ['schedule', 'params', name], message: `the pipeline declares no parameter "${name}"` });
  }
  for (const [name, declaration] of Object.entries(pipeline.parameters)) {
    const value = Object.hasOwn(schedule.params, name) ? schedule.params[name] : declaration.default;
    if (value === undefined) ctx.addIssue({ code: 'custom', path: ['schedule', 'params', name], message: 'is required: the parameter has no default' });
    else if (typeof value !== declaration.type) ctx.addIssue({ code: 'custom', path: ['schedule', 'params', name], message: `must be a ${declaration.type}` });
  }
  if (pipeline.input.paths.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'a scheduled job reads the pipeline\'s input.paths: give at least one' });
  }
}

/**
 * One alert rule: a target (its URL and HMAC secret are SLUICE_WEBHOOK_<TARGET>_URL and
 * _SECRET, never in the pipeline, which the API shows) and what it hears about.
 */
export const NotifyRuleSchema = z
  .object({
    target: NameSchema,
    on: z.array(z.enum(NOTIFY_KINDS)).min(1, 'must list at least one of failed, succeeded, quarantined, deadline_missed'),
  })
  .strict();
export type NotifyRule = z.infer<typeof NotifyRuleSchema>;

export const PipelineSchema = z
  .object({
    name: NameSchema,
    description: z.string().default(''),
    input: InputSchema,
    parameters: z.record(ColumnNameSchema, ParameterSchema).default({}),
    transform: TransformSchema,
    outputs: OutputsSchema,
    /** Where files land for this pipeline (with none, jobs come only from the API), batching, and after-work. */
    ...LandingConfigSchema.shape,
    engine: EngineSchema.default(EngineSchema.parse({})),
    policy: PolicySchema.default(PolicySchema.parse({})),
    /** Jobs on a timetable, besides the API and the landings. */
    schedule: ScheduleSchema.optional(),
    /** Who hears of this pipeline's jobs: webhook targets, whose URL and secret come from the environment. */
    notify: z.array(NotifyRuleSchema).default([]),
  })
  .strict()
  .superRefine((pipeline, ctx) => {
    checkSchedule(pipeline, ctx);
    // A file archived or quarantined inside a watched folder would land again, for ever.
    for (const field of ['archive', 'quarantine'] as const) {
      const location = pipeline.after[field];
      if (!location) continue;
      const watchedAt = (source: (typeof pipeline.sources)[number]) =>
        source.kind === 'fs' ? `${source.path.replace(/\/+$/, '')}/` : `s3://${source.bucket}/${source.prefix}`;
      const inside = pipeline.sources.some((source) => `${location.replace(/\/+$/, '')}/`.startsWith(watchedAt(source)));
      if (inside) ctx.addIssue({ code: 'custom', path: ['after', field], message: 'must lie outside every watched folder' });
    }
    const sinks = sqlOutputs(pipeline);
    const sinkNames = new Set<string>();
    sinks.forEach((sink, index) => {
      const name = sqlSinkName(sink);
      if (sinkNames.has(name)) ctx.addIssue({ code: 'custom', path: ['outputs', 'sql', index, 'table'], message: `"${name}" is loaded twice` });
      sinkNames.add(name);
    });
    const transform = pipeline.transform;
    if (!('group_by' in transform)) return;
    const known = new Set([...Object.keys(pipeline.input.columns), ...Object.keys(transform.derive)]);
    transform.group_by.forEach((key, index) => {
      if (!known.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['transform', 'group_by', index], message: `"${key}" is neither an input column nor a derived column` });
      }
    });
    const outputNames = new Set<string>(transform.group_by);
    transform.metrics.forEach((metric, index) => {
      if (outputNames.has(metric.name)) {
        ctx.addIssue({ code: 'custom', path: ['transform', 'metrics', index, 'name'], message: `"${metric.name}" is already an output column` });
      }
      outputNames.add(metric.name);
      if (metric.column && !known.has(metric.column)) {
        ctx.addIssue({ code: 'custom', path: ['transform', 'metrics', index, 'column'], message: `"${metric.column}" is neither an input column nor a derived column` });
      }
    });
    // With a declarative transform the output columns are known now; a SQL transform's are
    // checked when its run is loaded.
    sinks.forEach((sink, index) => {
      const path = Array.isArray(pipeline.outputs.sql) ? ['outputs', 'sql', index] : ['outputs', 'sql'];
      for (const field of ['keys', 'partition_by'] as const) {
        sink[field].forEach((column, at) => {
          if (!outputNames.has(column)) ctx.addIssue({ code: 'custom', path: [...path, field, at], message: `"${column}" is not an output column of the transform` });
        });
      }
    });
  });

export type SqlOutput = z.infer<typeof SqlOutputSchema>;

/** The pipeline's SQL outputs as a list (the YAML may give one or several). */
export function sqlOutputs(pipeline: { outputs: { sql?: SqlOutput | SqlOutput[] } }): SqlOutput[] {
  const sql = pipeline.outputs.sql;
  return sql === undefined ? [] : Array.isArray(sql) ? sql : [sql];
}

/** How a load names its sink in the ledger and the job record: connection and table. */
export const sqlSinkName = (output: SqlOutput): string => `${output.connection}:${output.table}`;

export type Pipeline = z.infer<typeof PipelineSchema>;

/**
 * Whether a pipeline's jobs may run on Spark, on its `engine.launcher`: all but a `kind:
 * embedded` pipeline with `fallback: none` (with the default `fallback: spark`, an embedded
 * attempt that fails `platform` is retried there).
 */
export const mayRunSpark = (pipeline: Pick<Pipeline, 'engine'>): boolean => pipeline.engine.kind !== 'embedded' || pipeline.engine.fallback === 'spark';
export type Policy = z.infer<typeof PolicySchema>;
export type ParameterValue = string | number | boolean;
