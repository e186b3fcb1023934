// The run spec: the JSON document a launcher hands to the Spark app (spark-apps/). It holds
// everything the app needs and nothing secret. Field names are snake_case because the
// reader is Python.
import { z } from 'zod';
import type { Pipeline, ParameterValue } from './pipeline.ts';

export type SparkRunSpec = {
  version: 1;
  job_id: string;
  attempt: number;
  pipeline: string;
  request_id?: string;
  /** The job's trace id: the app logs it on every line and writes it in the manifest. */
  trace_id?: string;
  /** Absolute local paths (file URIs later) of the Parquet files to read. */
  inputs: string[];
  /** Column name → Spark SQL type name, checked per input file before any work. */
  expected_columns: Record<string, string>;
  transform: Pipeline['transform'];
  /** Bound as named parameters (`:name`) in the filter, derived columns and SQL. */
  parameters: Record<string, ParameterValue>;
  output: { table: string; run_uri: string };
};

/**
 * Exit codes of the Spark app. Anything else (the JVM died, out of memory, a lost executor)
 * is a platform failure and retried.
 */
export const SPARK_EXIT = { ok: 0, user: 64, data: 65 } as const;

export function buildRunSpec(args: {
  pipeline: Pipeline;
  jobId: string;
  attempt: number;
  inputs: string[];
  parameters: Record<string, ParameterValue>;
  runUri: string;
  requestId?: string;
  traceId?: string;
}): SparkRunSpec {
  return {
    version: 1,
    job_id: args.jobId,
    attempt: args.attempt,
    pipeline: args.pipeline.name,
    ...(args.requestId ? { request_id: args.requestId } : {}),
    ...(args.traceId ? { trace_id: args.traceId } : {}),
    inputs: args.inputs,
    expected_columns: args.pipeline.input.columns,
    transform: args.pipeline.transform,
    parameters: args.parameters,
    output: { table: args.pipeline.outputs.lake.table, run_uri: args.runUri },
  };
}

/**
 * The Spark app's last words on a failure it understood: one stderr line
 * `SLUICE_FAILURE {"class":"data","message":"…","input":"…"}`, read back by the launcher from
 * the driver log so that every launcher (local, Kubernetes) reports the reason the same way.
 * `input` is the spec input a data failure concerns, exactly as the spec names it; `trace_id`
 * (the job's, for whoever reads the log) may follow and is not read here.
 */
export const FAILURE_LINE_PREFIX = 'SLUICE_FAILURE ';

export const FailureLineSchema = z.object({ message: z.string().min(1), input: z.string().min(1).optional() });
export type FailureLine = z.infer<typeof FailureLineSchema>;
