// The one seam between the broker and SQL: a Sink loads a committed run into one table,
// exactly once. Two dialects implement it (postgres/, sqlserver/) through the same
// protocol in sql-sink.ts: bulk rows into a staging table, then in one transaction apply
// them to the target and write a load-ledger row whose key (job, attempt, sink) makes a
// second load of the same run a no-op.
import type { LoadOutcome, LoadPhase } from '../broker/core/job.ts';
import type { SqlOutput } from '../broker/core/pipeline.ts';
import type { LoadBatch } from './column-batch.ts';

export type Dialect = LoadOutcome['dialect'];

/** One column of the committed run, as its manifest records it (a Spark type name). */
export type RunColumn = { name: string; type: string; nullable: boolean };

/**
 * Row values as the lake reader yields them, one array per row in the run's column order:
 * integers as number or bigint, floats as number, decimals as exact strings ("-12.50"),
 * strings, booleans, dates as days since 1970-01-01, timestamps as microseconds since the
 * epoch (UTC; number, or bigint), binary as Uint8Array; null for SQL NULL.
 */
export type RowValue = null | boolean | number | bigint | string | Uint8Array;
export type RowBatch = RowValue[][];

export type { LoadPhase };
export type LoadProgress = { phase: LoadPhase; rowsStaged: number };

export type LoadRequest = {
  jobId: string;
  /** The attempt whose committed run this is: with the job and sink, the ledger key. */
  runAttempt: number;
  /** The job's pipeline (metrics label). */
  pipeline?: string;
  /** The job's trace id, written in the ledger row beside the key. */
  traceId?: string;
  output: SqlOutput;
  columns: RunColumn[];
  /**
   * The run's rows, in batches of rows or of columns (the lake reader's form). Called again
   * from the start when a transient error retries the load.
   */
  rows: () => AsyncIterable<LoadBatch>;
  /** Identifies the run's content in the ledger (sha256 of its manifest). */
  checksum: string;
  /** How long the load may take; statements past it are cancelled. */
  timeoutMs: number;
  /**
   * Aborted when the caller stopped waiting (the job step's deadline passed): the load must
   * not commit after that, or a failed job would have loaded all the same.
   */
  signal?: AbortSignal;
  /** Told of each phase; a returned promise is awaited (tests use it to stop a load at a chosen point). */
  onProgress?: (progress: LoadProgress) => void | Promise<void>;
};

export interface Sink {
  readonly dialect: Dialect;
  load(request: LoadRequest): Promise<LoadOutcome>;
  close(): Promise<void>;
}
