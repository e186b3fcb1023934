// What a dialect provides to the shared load protocol (sql-sink.ts): the ledger, the
// table's shape, and one load transaction. Each method is one step of the protocol, so
// the order of the steps — the part that makes a load exactly-once — lives in one place.
import type { SqlOutput } from '../broker/core/pipeline.ts';
import type { TableName } from './identifiers.ts';
import type { PlanOptions, SchemaChange, TableShape } from './schema-plan.ts';
import type { ErrorReading } from './sink-error.ts';
import type { LoadBatch } from './column-batch.ts';
import type { Dialect } from './sink.ts';
import type { SqlColumn } from './sql-types.ts';

/** The ledger's unique key: one committed run (job, attempt) into one sink. */
export type LedgerKey = { jobId: string; attempt: number; sink: string };
export type ApplyCounts = { inserted: number; updated: number; deleted: number };
/** `traceId`: the loading job's trace id (absent in rows written before the column existed). */
export type LedgerEntry = LedgerKey & ApplyCounts & { table: string; rows: number; checksum: string; loadedAt: string; traceId?: string };

/** The ledger table: in the login's default schema on PostgreSQL (search_path), in dbo on SQL Server. */
export const LEDGER_TABLE = 'sluice_load_ledger';

export type ApplyPlan = { table: TableName; columns: SqlColumn[]; output: SqlOutput };

/** One connection inside one transaction. Nothing it does is visible to readers before commit(). */
export interface LoadTransaction {
  /** Creates this session's staging table and bulk-loads the rows into it; returns how many. */
  stage(columns: SqlColumn[], batches: AsyncIterable<LoadBatch>, onRows: (staged: number) => Promise<void>): Promise<number>;
  /** How many distinct values of `keys` the staged rows hold more than once. */
  repeatedKeys(keys: readonly string[]): Promise<number>;
  /** Serializes loads into one table until commit: the later load waits and its values win. */
  lockTarget(table: TableName): Promise<void>;
  ledgerEntry(key: LedgerKey): Promise<LedgerEntry | undefined>;
  /** Applies the staged rows to the target (merge, replace-partitions or append). */
  apply(plan: ApplyPlan): Promise<ApplyCounts>;
  record(entry: LedgerEntry): Promise<void>;
  commit(): Promise<void>;
  /** Rolls back (when still open) and gives the connection back; safe to call after commit. */
  release(): Promise<void>;
}

export interface SinkDriver {
  readonly dialect: Dialect;
  readonly planOptions: PlanOptions;
  /** Strings that must never appear in a message (the password, the connection URL). */
  readonly secrets: readonly string[];
  /** Creates the ledger table when it is missing. */
  ensureLedger(): Promise<void>;
  ledgerEntry(key: LedgerKey): Promise<LedgerEntry | undefined>;
  /** Under a lock on the table's name: reads its shape, asks `plan` what to change, and makes the change. */
  shapeTable(table: TableName, plan: (shape: TableShape | undefined) => SchemaChange): Promise<void>;
  /**
   * Opens a load transaction whose statements are cancelled after `timeoutMs`, or when `signal`
   * aborts (where the driver can cancel a running statement; else at its next look).
   */
  begin(timeoutMs: number, signal?: AbortSignal): Promise<LoadTransaction>;
  /** Reads a driver or server error; undefined when it is neither (a bug, to be thrown as it is). */
  read(error: unknown): ErrorReading | undefined;
  close(): Promise<void>;
}

/** A ledger row as both dialects return it (bigint counts may come back as strings). */
export type LedgerRow = {
  job_id: string;
  attempt: number;
  sink: string;
  target_table: string;
  rows: number | string;
  inserted: number | string;
  updated: number | string;
  deleted: number | string;
  checksum: string;
  loaded_at: Date | string;
  trace_id?: string | null;
};

export function ledgerEntryOf(row: LedgerRow): LedgerEntry {
  return {
    jobId: row.job_id,
    attempt: row.attempt,
    sink: row.sink,
    table: row.target_table,
    rows: Number(row.rows),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    deleted: Number(row.deleted),
    checksum: row.checksum,
    loadedAt: new Date(row.loaded_at).toISOString(),
    ...(row.trace_id ? { traceId: row.trace_id } : {}),
  };
}
