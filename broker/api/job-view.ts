// What the API shows of a job: the JobView, the one public shape of a job in the OpenAPI
// document. The record in Redis carries bookkeeping the worker needs (cancelRequested,
// finalized, retryAt, idempotencyScope); a client must not come to depend on it, so the
// view names its fields one by one (a field added to the record stays private until it is
// added here) and every route answers through jobView().
import { z } from '@hono/zod-openapi';
import { EngineChoiceSchema, FailureSchema, isFinal, JobStateSchema, LoadOutcomeSchema, ParameterValueSchema, RunHandleSchema, RunningLoadSchema, StateChangeSchema, type Job } from '../core/job.ts';
import { ManifestSummarySchema } from '../core/manifest.ts';
import { NameSchema } from '../core/pipeline.ts';
import { currentStage, STAGES } from '../core/state-machine.ts';

// Nested parts get names of their own, so generated clients have a type for each.
const StateChangeView = StateChangeSchema.meta({ id: 'StateChange' });
const FailureView = FailureSchema.meta({ id: 'Failure' });
// The run's changing fields say in the document which link is current when.
const RunView = RunHandleSchema.extend({
  uiUrl: RunHandleSchema.shape.uiUrl.meta({
    description: 'The live Spark UI (from SLUICE_K8S_UI_URL). It answers only while the run lives: once the run ended, historyUrl is the link to follow.',
  }),
  historyUrl: RunHandleSchema.shape.historyUrl.meta({
    description:
      'The Spark history server\'s page of the run (from SLUICE_K8S_HISTORY_URL), the link once the run ended. ' +
      'Absent until the values its template needs are known: the Spark application id arrives after the launch (k8s-operator), and k8s-native runs have none.',
  }),
  sparkState: RunHandleSchema.shape.sparkState.meta({
    description:
      'Kubernetes runs: the run\'s state in the Spark Operator\'s words (SUBMITTED, RUNNING, COMPLETED, FAILED, SUBMISSION_FAILED, …); for k8s-native the driver pod\'s phase in those words. ' +
      'Updated by the worker as it watches the run; it keeps the last state seen once the run ended.',
  }),
  table: RunHandleSchema.shape.table.meta({
    description: 'The lake table the run writes to, as the pipeline said at its launch (its run folder is `<table>/run=<job>-<attempt>/`).',
  }),
}).meta({ id: 'Run' });
const EngineView = EngineChoiceSchema.omit({ failedWith: true }).meta({
  id: 'EngineChoice',
  description: 'The engine the latest attempt runs on and why, in words: "embedded: 46 MB ≤ 2 GB", "spark: 3.1 GB > 2 GB (SLUICE_EMBEDDED_MAX_BYTES)" (docs/adr/0021-embedded-engine.md).',
});
const OutputView = ManifestSummarySchema.meta({ id: 'Output' });
const LoadView = LoadOutcomeSchema.meta({ id: 'Load' });
const LoadProgressView = RunningLoadSchema.extend({
  sink: RunningLoadSchema.shape.sink.meta({ description: 'The SQL output being loaded, as `connection:table` (its outcome in `loads` has the same name).' }),
  phase: RunningLoadSchema.shape.phase.meta({
    description:
      '`staging`: the run\'s rows are going into a staging table; `staged`: all are in, and the load checks them and waits for its turn at the table (another load into it goes first); ' +
      '`applying`: the one transaction applies them to the table (merge, replace or insert) and writes the load ledger; `committed`: done (its outcome in `loads` follows at once).',
  }),
  rowsStaged: RunningLoadSchema.shape.rowsStaged.meta({ description: 'Rows in the staging table so far.' }),
  rowsTotal: RunningLoadSchema.shape.rowsTotal.meta({ description: 'Rows of the committed run, which the load stages in all: the job\'s `output.rowsOut`.' }),
  updatedAt: RunningLoadSchema.shape.updatedAt.meta({
    description:
      'When the worker recorded this: at each phase, and every 2 s or so while rows are staged. A phase that waits (for the table, say) keeps the time it began.',
  }),
}).meta({
  id: 'LoadProgress',
  description: 'A SQL load while it runs (docs/adr/0024-load-progress.md).',
});

export const JobViewSchema = z
  .strictObject({
    id: z.string(),
    pipeline: NameSchema,
    state: JobStateSchema,
    stage: z.enum(STAGES).openapi({ description: 'The step the worker runs next (`done` once final).' }),
    attempt: z.number().int().min(1),
    maxAttempts: z.number().int().min(1),
    priority: z.number().int(),
    parameters: z.record(z.string(), ParameterValueSchema),
    inputs: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    idempotencyKey: z.string().optional(),
    requestId: z.string().optional(),
    traceId: z.string().optional().openapi({ description: 'Follows the job through its logs, the Spark driver log, the manifest and the SQL load ledger.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    history: z.array(StateChangeView),
    run: RunView.optional(),
    engine: EngineView.optional(),
    failure: FailureView.optional(),
    output: OutputView.optional(),
    loads: z.array(LoadView).optional(),
    cancelRequested: z.literal(true).optional().openapi({
      description:
        'A cancel was asked for and the worker has not stopped the job yet (it stops its run, or rolls its load back, then writes `cancelled`). ' +
        'Absent otherwise, and once the job is final.',
    }),
    loadProgress: z.array(LoadProgressView).optional().openapi({
      description: 'While the job is `loading`: the SQL load running now (one per sink), until its outcome joins `loads`. Absent in every other state.',
    }),
  })
  .openapi('JobView');
export type JobView = z.infer<typeof JobViewSchema>;

/** The one mapping from the stored record to what the API answers. */
export function jobView(job: Job): JobView {
  const { id, pipeline, state, attempt, maxAttempts, priority, parameters, inputs, labels, createdAt, updatedAt, history } = job;
  return {
    id,
    pipeline,
    state,
    stage: currentStage(job),
    attempt,
    maxAttempts,
    priority,
    parameters,
    inputs,
    labels,
    ...(job.idempotencyKey !== undefined ? { idempotencyKey: job.idempotencyKey } : {}),
    ...(job.requestId !== undefined ? { requestId: job.requestId } : {}),
    ...(job.traceId !== undefined ? { traceId: job.traceId } : {}),
    createdAt,
    updatedAt,
    history,
    ...(job.run !== undefined ? { run: job.run } : {}),
    ...(job.engine !== undefined ? { engine: { attempt: job.engine.attempt, engine: job.engine.engine, reason: job.engine.reason } } : {}),
    ...(job.failure !== undefined ? { failure: job.failure } : {}),
    ...(job.output !== undefined ? { output: job.output } : {}),
    ...(job.loads !== undefined ? { loads: job.loads } : {}),
    ...(job.cancelRequested && !isFinal(job.state) ? { cancelRequested: true as const } : {}),
    ...(job.state === 'loading' && job.loadProgress?.length ? { loadProgress: job.loadProgress } : {}),
  };
}
