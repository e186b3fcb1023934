// The load protocol, the same for every dialect:
//
//   ledger has (job, attempt, sink)? ──yes──► already loaded: nothing is written
//        │ no
//   shape the table (create it, or add the run's new nullable columns; refuse narrowing)
//        │
//   BEGIN ─► stage all rows (session staging table) ─► lock the target ─► ledger again?
//        │                                                    (a racing twin committed: roll back)
//        ▼
//   apply to the target ─► insert the ledger row ─► COMMIT
//
// A process killed anywhere before COMMIT leaves the target untouched (the server rolls
// the transaction back when the connection drops); one killed after it finds the ledger
// row when the load runs again. Transient errors (deadlock victim, connection reset,
// failover) retry the whole protocol a few times here; others leave as a SinkError.
import type { LoadOutcome } from '../broker/core/job.ts';
import { sqlSinkName } from '../broker/core/pipeline.ts';
import { columnsOf, firstNullIn, type LoadBatch } from './column-batch.ts';
import { parseTableName } from './identifiers.ts';
import { enforcesKeys, planSchema, runSqlColumns } from './schema-plan.ts';
import type { LedgerEntry, SinkDriver } from './sink-driver.ts';
import { redact, SinkError } from './sink-error.ts';
import type { Dialect, LoadPhase, LoadRequest, RunColumn, Sink } from './sink.ts';

/**
 * The run's batches, refused at the first row with a NULL merge key. A NULL key matches no
 * row (NULL = NULL is not true), so a merge would insert it again on every run, duplicating
 * the row wherever the table allows NULL keys (a DBA's table with a nullable key column;
 * a unique index takes any number of NULLs). A table Sluice made has NOT NULL keys and would
 * refuse the row too, in words about its own internals. Checked as the rows stream into
 * staging, so the refusal costs nothing but the staging transaction, which rolls back.
 */
async function* withKeysPresent(batches: AsyncIterable<LoadBatch>, columns: readonly RunColumn[], keys: readonly string[]): AsyncGenerator<LoadBatch> {
  // Every key is a column of the run: planSchema refused the load otherwise.
  const indexes = keys.map((key) => columns.findIndex((column) => column.name === key));
  let before = 0;
  for await (const batch of batches) {
    // The lake reader's batches are columns already; a row batch (tests, small callers) is turned into them.
    const columnar = columnsOf(batch, columns.length);
    const found = firstNullIn(columnar, indexes);
    if (found) {
      const name = columns[found.column]!.name;
      throw new SinkError(
        'user',
        `the run's row ${before + found.row + 1} has NULL in the merge key column "${name}": a merge matches rows by their keys, and NULL matches nothing, ` +
          `so the row would be inserted again by every run; drop or replace such rows in the pipeline's transform (a filter, or coalesce), or drop "${name}" from the keys`,
      );
    }
    before += columnar.rowCount;
    yield batch;
  }
}

const givenUp = () => new SinkError('timeout', 'the load was given up by its caller (its deadline passed, or its job was cancelled) and rolled back');

export type SqlSinkOptions = {
  /** How many times a transient error may retry the load within the stage. */
  transientRetries?: number;
  /** The first pause between such retries; it doubles each time. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
};

/** `driver` may still be loading (each database's library is imported on first use: open-sinks.ts). */
export function createSqlSink(dialect: Dialect, driverOrLoading: SinkDriver | Promise<SinkDriver>, options: SqlSinkOptions = {}): Sink {
  const ready = Promise.resolve(driverOrLoading);
  ready.catch(() => undefined); // reported by the first load, not as an unhandled rejection
  const retries = options.transientRetries ?? 4;
  const firstDelay = options.retryDelayMs ?? 250;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** Any error as a SinkError with a clean message; errors no driver recognizes (bugs) pass unchanged. */
  function asSinkError(driver: SinkDriver, error: unknown): unknown {
    if (error instanceof SinkError) return new SinkError(error.failureClass, redact(error.message, driver.secrets), error.transient, { cause: error });
    const reading = driver.read(error);
    if (!reading) return error;
    return new SinkError(reading.failureClass, redact(reading.message, driver.secrets), reading.transient, { cause: error });
  }

  async function loadOnce(driver: SinkDriver, request: LoadRequest, started: number): Promise<LoadOutcome> {
    const { output } = request;
    const table = parseTableName(output.table);
    const key = { jobId: request.jobId, attempt: request.runAttempt, sink: sqlSinkName(output) };
    const progress = async (phase: LoadPhase, rowsStaged: number) => request.onProgress?.({ phase, rowsStaged });
    const outcome = (entry: LedgerEntry, alreadyLoaded: boolean): LoadOutcome => ({
      sink: key.sink,
      dialect: driver.dialect,
      table: output.table,
      mode: output.mode,
      runAttempt: request.runAttempt,
      rowsStaged: entry.rows,
      inserted: entry.inserted,
      updated: entry.updated,
      deleted: entry.deleted,
      durationMs: Date.now() - started,
      loadedAt: entry.loadedAt,
      alreadyLoaded,
      checksum: entry.checksum,
    });

    const columns = runSqlColumns(request.columns);
    await driver.ensureLedger();
    const loaded = await driver.ledgerEntry(key);
    if (loaded) return outcome(loaded, true);
    let keysEnforced = true;
    await driver.shapeTable(table, (shape) => {
      keysEnforced = output.mode !== 'merge' || enforcesKeys(shape, output.keys, driver.planOptions);
      return planSchema(output.table, columns, shape, output, driver.planOptions);
    });

    const transaction = await driver.begin(request.timeoutMs, request.signal);
    try {
      await progress('staging', 0);
      const batches = output.mode === 'merge' ? withKeysPresent(request.rows(), request.columns, output.keys) : request.rows();
      const rows = await transaction.stage(columns, batches, (staged) => progress('staging', staged));
      await progress('staged', rows);
      // A table with no unique index on the keys would take a repeated key's rows as they are.
      if (!keysEnforced) {
        const repeated = await transaction.repeatedKeys(output.keys);
        if (repeated > 0) {
          throw new SinkError(
            'user',
            `the run holds ${repeated} value(s) of the merge key (${output.keys.join(', ')}) on more than one row, and table ${output.table} has no unique index on the key to refuse the second one, ` +
              `so the merge would insert them all: outputs.sql.keys must pick out one row of the run (the transform's group_by columns, or what makes a sql transform's rows unique)`,
          );
        }
      }
      await transaction.lockTarget(table);
      const raced = await transaction.ledgerEntry(key);
      if (raced) return outcome(raced, true);
      await progress('applying', rows);
      const counts = await transaction.apply({ table, columns, output });
      const entry: LedgerEntry = {
        ...key,
        ...counts,
        table: output.table,
        rows,
        checksum: request.checksum,
        loadedAt: new Date().toISOString(),
        ...(request.traceId ? { traceId: request.traceId } : {}),
      };
      await transaction.record(entry);
      // Checked last, before the one write that counts: a load its caller gave up on rolls back.
      if (request.signal?.aborted) throw givenUp();
      await transaction.commit();
      await progress('committed', rows);
      return outcome(entry, false);
    } finally {
      await transaction.release();
    }
  }

  return {
    dialect,
    async load(request) {
      const started = Date.now();
      const driver = await ready;
      for (let attempt = 0; ; attempt++) {
        try {
          return await loadOnce(driver, request, started);
        } catch (error) {
          // Whatever stopped it (a statement the driver cancelled, say), a load given up on says so, and is not tried again.
          if (request.signal?.aborted) throw givenUp();
          const failure = asSinkError(driver, error);
          if (!(failure instanceof SinkError) || !failure.transient || attempt >= retries) throw failure;
          await sleep(firstDelay * 2 ** attempt);
        }
      }
    },
    close: async () => (await ready).close(),
  };
}
