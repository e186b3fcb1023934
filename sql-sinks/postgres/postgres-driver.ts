// The PostgreSQL dialect of the load protocol (pg + pg-copy-streams): rows are COPYed in
// text form into a session temp table, then MERGE (merge), DELETE + INSERT
// (replace-partitions) or INSERT (append) applies them inside the same transaction.
// Readers keep seeing the old rows (MVCC) until COMMIT.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { qualifiedWith, quoteWith, type TableName } from '../identifiers.ts';
import type { SchemaChange, TableShape } from '../schema-plan.ts';
import { LEDGER_TABLE, ledgerEntryOf, type LedgerRow, type ApplyCounts, type ApplyPlan, type LedgerEntry, type LedgerKey, type LoadTransaction, type SinkDriver } from '../sink-driver.ts';
import { columnsOf, type LoadBatch } from '../column-batch.ts';
import type { SqlColumn } from '../sql-types.ts';
import { ChunkWriter, COPY_BINARY_HEADER, COPY_BINARY_TRAILER, writeCopyBinary } from './copy-binary.ts';
import { readPostgresError } from './postgres-errors.ts';
import { connectionUrlProblem } from '../dialect-of.ts';
import { SinkError } from '../sink-error.ts';
import { parsePostgresType, postgresColumnType } from './postgres-types.ts';

export type PostgresSinkSettings = {
  url: string;
  /** Most connections this process opens to the database. */
  poolMax: number;
  connectTimeoutMs: number;
};

const quote = quoteWith('"', '"');
const STAGING = 'pg_temp.sluice_staging';
/** COPY data goes out in Buffers of this size, with up to about COPY_BUFFERED_BYTES waiting on each side of the pipe. */
const COPY_CHUNK_BYTES = 128 * 1024;
const COPY_BUFFERED_BYTES = 1024 * 1024;
/**
 * How long a change to a table's shape (a new column, a new table) waits for the table's lock.
 * ALTER TABLE needs the table to itself: while it waits behind a long report, every reader that
 * comes after queues behind it. Past this wait it gives way (SQLSTATE 55P03, a transient
 * error: the load tries again), so readers are held up for seconds, not for as long as the
 * report runs.
 */
export const DDL_LOCK_WAIT_MS = 5_000;
/** PostgreSQL's largest statement_timeout (an int of milliseconds); a stage timeout may be longer. */
const MAX_STATEMENT_TIMEOUT_MS = 2 ** 31 - 1;

export const qualified = qualifiedWith(quote);
const columnList = (columns: readonly { name: string }[]): string => columns.map((column) => quote(column.name)).join(', ');
const columnDefinitions = (columns: readonly SqlColumn[]): string =>
  columns.map((column) => `${quote(column.name)} ${postgresColumnType(column.type)}${column.nullable ? '' : ' NOT NULL'}`).join(', ');

/**
 * The SQL that applies the staged rows to the target; exported for unit tests. Merge is
 * PostgreSQL's MERGE (a join, then plain inserts: half the time of INSERT ... ON CONFLICT,
 * which probes the index row by row; measured in docs/adr/0009-sql-sinks.md), preceded by a
 * count of the staged rows that match, since MERGE reports only a total. Both run under the
 * target's load lock, so no other load changes the matches in between. When none match,
 * `insertOnly` replaces the MERGE: every staged row would be inserted anyway, and a plain
 * INSERT ... SELECT does it without the join and the per-row action dispatch (on the sql
 * bench's 1,000,000 keyed rows: MERGE 6–8 s, INSERT ... SELECT about 6 s, measured while
 * writing this). That insert goes in key order: the rows then reach the key's index in the
 * order of its leaves, each one beside the last, instead of at random pages (the bench's
 * 1,000,000 rows into an empty keyed table, PostgreSQL 15, six runs each: 2.3–2.9 s sorted,
 * the sort included, against 2.9–4.4 s as staged).
 */
export function applyStatements(plan: ApplyPlan): { count?: string; delete?: string; write: string; insertOnly?: string } {
  const target = qualified(plan.table);
  const names = columnList(plan.columns);
  const { output } = plan;
  switch (output.mode) {
    case 'merge': {
      const keys = output.keys;
      const on = keys.map((key) => `t.${quote(key)} = s.${quote(key)}`).join(' AND ');
      const others = plan.columns.filter((column) => !keys.includes(column.name));
      const update = others.length === 0 ? '' : ` WHEN MATCHED THEN UPDATE SET ${others.map((c) => `${quote(c.name)} = s.${quote(c.name)}`).join(', ')}`;
      const values = plan.columns.map((column) => `s.${quote(column.name)}`).join(', ');
      return {
        count: `SELECT count(*)::bigint AS matched FROM ${STAGING} s WHERE EXISTS (SELECT 1 FROM ${target} t WHERE ${on})`,
        insertOnly: `INSERT INTO ${target} (${names}) SELECT ${names} FROM ${STAGING} ORDER BY ${columnList(keys.map((name) => ({ name })))}`,
        write: `MERGE INTO ${target} t USING ${STAGING} s ON ${on}${update} WHEN NOT MATCHED THEN INSERT (${names}) VALUES (${values})`,
      };
    }
    case 'replace-partitions': {
      const partition = columnList(output.partition_by.map((name) => ({ name })));
      return {
        // NULL-safe: a run's NULL partition replaces the table's NULL partition. A run holds
        // few partitions, so matching each target row against them stays cheap.
        delete: `DELETE FROM ${target} t WHERE EXISTS (SELECT 1 FROM (SELECT DISTINCT ${partition} FROM ${STAGING}) s WHERE ${output.partition_by
          .map((name) => `t.${quote(name)} IS NOT DISTINCT FROM s.${quote(name)}`)
          .join(' AND ')})`,
        write: `INSERT INTO ${target} (${names}) SELECT ${names} FROM ${STAGING}`,
      };
    }
    case 'append':
      return { write: `INSERT INTO ${target} (${names}) SELECT ${names} FROM ${STAGING}` };
  }
}

/** The oldest PostgreSQL that has MERGE, which merge loads use. */
const MIN_SERVER_VERSION = 150000;

/**
 * Refuses a server older than PostgreSQL 15 at the first load, naming it: otherwise the first
 * load into an empty table (a plain INSERT) would pass and every later merge fail on MERGE's
 * syntax, as if the pipeline were at fault.
 */
export function checkServerVersion(versionNum: number, version: string): void {
  if (versionNum < MIN_SERVER_VERSION) {
    throw new SinkError('user', `the PostgreSQL server is version ${version}; Sluice's loads need PostgreSQL 15 or later (they merge with MERGE): upgrade the server, or point the connection at a newer one`);
  }
}

/** How many key values the staged rows repeat; exported for unit tests. */
export const repeatedKeysSql = (keys: readonly string[]): string =>
  `SELECT count(*)::bigint AS repeated FROM (SELECT 1 FROM ${STAGING} GROUP BY ${columnList(keys.map((name) => ({ name })))} HAVING count(*) > 1) d`;

/**
 * The URL's password, to be kept out of messages. A URL that does not parse is refused here,
 * before pg sees it: Node's URL error carries the whole URL, password included, in a field
 * that a logged error would show.
 */
function postgresUrlPassword(text: string): string {
  const problem = connectionUrlProblem(text);
  if (problem) throw new SinkError('user', `the PostgreSQL URL ${problem} (expected postgres://user:password@host:5432/database)`);
  return decodeURIComponent(new URL(text).password);
}

export function createPostgresDriver(settings: PostgresSinkSettings): SinkDriver {
  const password = postgresUrlPassword(settings.url);
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.poolMax,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'sluice',
  });
  // An idle connection that breaks is dropped by the pool; the next load opens another.
  pool.on('error', () => undefined);
  let ledgerReady: Promise<void> | undefined;

  const ledgerColumns = 'job_id, attempt, sink, target_table, rows, inserted, updated, deleted, checksum, loaded_at, trace_id';
  const readLedger = async (client: pg.Pool | pg.PoolClient, key: LedgerKey): Promise<LedgerEntry | undefined> => {
    const result = await client.query(`SELECT ${ledgerColumns} FROM ${quote(LEDGER_TABLE)} WHERE job_id = $1 AND attempt = $2 AND sink = $3`, [key.jobId, key.attempt, key.sink]);
    const row = result.rows[0] as LedgerRow | undefined;
    return row && ledgerEntryOf(row);
  };

  /** Runs `work` in a transaction on one connection; a connection that failed is destroyed, not reused. */
  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** A transaction-scoped advisory lock named by text: DDL on one table, or loads into one table, go one at a time. */
  const advisoryLock = (client: pg.PoolClient, name: string) => client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
  // A table's lock is named after the table itself, not the name as the pipeline spells it:
  // "tt" and "public.tt" are one table, and two loads through the two spellings must wait for
  // each other. The schema is the one the name resolves to, or, for a table not made yet, the
  // one CREATE TABLE would put it in. (Looked up in pg_class by a plain query, not
  // to_regclass: a name looked up before the wait would be remembered by this session as
  // missing, and the look after the wait would not see the table the other load made.) The
  // name is written as qualified() writes it, "schema"."table", which is what earlier versions
  // named the lock after when the pipeline spelled the schema: during a rolling upgrade, loads
  // of old and new workers into such a table still wait for each other.
  const tableLock = (client: pg.PoolClient, kind: 'sluice-ddl' | 'sluice-load', table: TableName) =>
    client.query(
      `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':"' || replace(coalesce(
         (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relname = $3 AND (n.nspname = $2 OR ($2 IS NULL AND n.nspname = ANY (current_schemas(false))))
           ORDER BY array_position(current_schemas(false), n.nspname) LIMIT 1),
         $2, current_schema()), '"', '""') || '"."' || replace($3, '"', '""') || '"', 0))`,
      [kind, table.schema ?? null, table.table],
    );

  async function describe(client: pg.PoolClient, table: TableName): Promise<TableShape | undefined> {
    const name = qualified(table);
    const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
    if (!exists.rows[0].found) return undefined;
    const columns = await client.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS declared, NOT a.attnotnull AS nullable
         FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [name],
    );
    const unique = await client.query(
      `SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid`,
      [name],
    );
    return {
      columns: columns.rows.map((row) => ({ name: row.name, declared: row.declared, nullable: row.nullable, type: parsePostgresType(row.declared) })),
      uniqueKeys: unique.rows.map((row) => row.columns as string[]),
    };
  }

  /** Under the table's DDL lock: reads its shape, asks `plan` what to change, and makes the change. */
  async function shape(client: pg.PoolClient, table: TableName, plan: (shape: TableShape | undefined) => SchemaChange): Promise<void> {
    await tableLock(client, 'sluice-ddl', table);
    const change = plan(await describe(client, table));
    if (change.kind === 'create') {
      // Only when missing: CREATE SCHEMA needs a privilege that a loader of an existing schema may lack.
      const schemaMissing = table.schema && (await client.query('SELECT to_regnamespace($1) IS NULL AS missing', [quote(table.schema)])).rows[0].missing;
      if (schemaMissing) {
        // Two loads creating tables in one new schema: one creates it, the other waits and finds it.
        await advisoryLock(client, `sluice-ddl-schema:${quote(table.schema!)}`);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(table.schema!)}`);
      }
      const key = change.primaryKey.length > 0 ? `, PRIMARY KEY (${columnList(change.primaryKey.map((name) => ({ name })))})` : '';
      await client.query(`CREATE TABLE ${qualified(table)} (${columnDefinitions(change.columns)}${key})`);
    } else if (change.kind === 'add') {
      const additions = change.columns.map((column) => `ADD COLUMN ${quote(column.name)} ${postgresColumnType(column.type)}`).join(', ');
      await client.query(`ALTER TABLE ${qualified(table)} ${additions}`);
    }
  }

  /**
   * Cancels what the session `pid` is running, from a connection of its own (not the pool's,
   * which the loads may hold every connection of). A failure is left to the statement timeout.
   */
  async function cancelBackend(pid: number): Promise<void> {
    const canceller = new pg.Client({ connectionString: settings.url, connectionTimeoutMillis: settings.connectTimeoutMs, application_name: 'sluice' });
    canceller.on('error', () => undefined);
    try {
      await canceller.connect();
      await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement timeout still ends it.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  function transaction(client: pg.PoolClient, signal: AbortSignal | undefined): LoadTransaction {
    let open = true;
    let broken: Error | undefined;
    // A checked-out connection that the server ends (failover, kill) reports it here, not
    // to the pool; the next statement fails and the connection is not reused.
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    // A load its caller gave up on (its deadline passed, its job was cancelled) stops now, not
    // when its statement ends: the statement is cancelled, and the connection is closed rather
    // than reused, so that a cancel still on its way cannot reach another load's statement.
    const pid = (client as unknown as { processID: number }).processID;
    const onAbort = () => {
      broken ??= new Error('the load was given up by its caller');
      void cancelBackend(pid);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const run = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        // A server error leaves the connection usable; a socket error does not.
        if (!(error as { severity?: string }).severity) broken = error as Error;
        throw error;
      }
    };
    return {
      stage: (columns, batches, onRows) =>
        run(async () => {
          await client.query(`CREATE TEMP TABLE sluice_staging (${columnDefinitions(columns.map((c) => ({ ...c, nullable: true })))}) ON COMMIT DROP`);
          let staged = 0;
          async function* chunks(): AsyncGenerator<Buffer> {
            yield COPY_BINARY_HEADER;
            const ready: Buffer[] = [];
            const out = new ChunkWriter(COPY_CHUNK_BYTES, (chunk) => ready.push(chunk));
            for await (const batch of batches as AsyncIterable<LoadBatch>) {
              const columnBatch = columnsOf(batch, columns.length);
              writeCopyBinary(out, columnBatch, columns);
              while (ready.length > 0) yield ready.shift()!;
              staged += columnBatch.rowCount;
              await onRows(staged);
            }
            out.flush();
            yield* ready;
            yield COPY_BINARY_TRAILER;
          }
          // Back-pressure end to end: the generator runs only while the COPY stream wants more,
          // so at most a few chunks wait here while the server catches up.
          await pipeline(
            Readable.from(chunks(), { objectMode: false, highWaterMark: COPY_BUFFERED_BYTES }),
            client.query(copyFrom(`COPY ${STAGING} (${columnList(columns)}) FROM STDIN (FORMAT binary)`, { highWaterMark: COPY_BUFFERED_BYTES })),
          );
          // Statistics let the planner pick hash joins for the apply step.
          await client.query(`ANALYZE ${STAGING}`);
          return staged;
        }),
      repeatedKeys: (keys) =>
        run(async () => Number((await client.query(repeatedKeysSql(keys))).rows[0].repeated)),
      lockTarget: (table) => run(() => tableLock(client, 'sluice-load', table).then(() => undefined)),
      ledgerEntry: (key) => run(() => readLedger(client, key)),
      apply: (plan) =>
        run(async (): Promise<ApplyCounts> => {
          const statements = applyStatements(plan);
          const matched = statements.count ? Number((await client.query(statements.count)).rows[0].matched) : 0;
          const deleted = statements.delete ? ((await client.query(statements.delete)).rowCount ?? 0) : 0;
          const write = statements.insertOnly && matched === 0 ? statements.insertOnly : statements.write;
          const written = (await client.query(write)).rowCount ?? 0;
          // A merge's total is the staged rows that matched (updated, or left alone when all
          // columns are keys) plus those inserted.
          if (plan.output.mode === 'merge') {
            const updated = plan.columns.every((column) => plan.output.keys.includes(column.name)) ? 0 : matched;
            return { inserted: written - updated, updated, deleted };
          }
          return { inserted: written, updated: 0, deleted };
        }),
      record: (entry) =>
        run(async () => {
          await client.query(`INSERT INTO ${quote(LEDGER_TABLE)} (${ledgerColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
            entry.jobId,
            entry.attempt,
            entry.sink,
            entry.table,
            entry.rows,
            entry.inserted,
            entry.updated,
            entry.deleted,
            entry.checksum,
            entry.loadedAt,
            entry.traceId ?? null,
          ]);
        }),
      commit: () =>
        run(async () => {
          await client.query('COMMIT');
          open = false;
        }),
      async release() {
        if (open && !broken) await client.query('ROLLBACK').catch((error: Error) => (broken = error));
        open = false;
        signal?.removeEventListener('abort', onAbort);
        client.off('error', onError);
        client.release(broken);
      },
    };
  }

  return {
    dialect: 'postgres',
    // PostgreSQL cuts longer names to 63 bytes (NAMEDATALEN - 1); a pipeline may write 128 characters.
    planOptions: { namesIgnoreCase: false, nameLimit: { bytes: 63, server: 'PostgreSQL' } },
    secrets: [settings.url, password].filter((secret) => secret.length > 0),

    ensureLedger() {
      ledgerReady ??= inTransaction(async (client) => {
        const server = await client.query(`SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`);
        checkServerVersion(server.rows[0].num, server.rows[0].version);
        await advisoryLock(client, `sluice-ddl:${LEDGER_TABLE}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${quote(LEDGER_TABLE)} (
             job_id text NOT NULL, attempt integer NOT NULL, sink text NOT NULL, target_table text NOT NULL,
             rows bigint NOT NULL, inserted bigint NOT NULL, updated bigint NOT NULL, deleted bigint NOT NULL,
             checksum text NOT NULL, loaded_at timestamptz NOT NULL, trace_id text,
             PRIMARY KEY (job_id, attempt, sink))`,
        );
        // A ledger made before trace ids existed gets the column (nullable: its old rows have
        // none); looked up first, because ALTER TABLE locks the ledger even when it changes nothing.
        const traced = await client.query(`SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'trace_id' AND NOT attisdropped`, [quote(LEDGER_TABLE)]);
        if (traced.rowCount === 0) await client.query(`ALTER TABLE ${quote(LEDGER_TABLE)} ADD COLUMN trace_id text`);
      }).catch((error: unknown) => {
        ledgerReady = undefined;
        throw error;
      });
      return ledgerReady;
    },

    ledgerEntry: (key) => readLedger(pool, key),

    shapeTable: (table, plan) =>
      inTransaction(async (client) => {
        await client.query(`SET LOCAL lock_timeout = ${DDL_LOCK_WAIT_MS}`);
        await shape(client, table, plan);
      }).catch((error: unknown) => {
        if ((error as { code?: string }).code !== '55P03') throw error;
        throw new SinkError(
          'platform',
          `table ${qualified(table)} is held by another session (a long read or write): the change to its shape waited ${DDL_LOCK_WAIT_MS / 1_000} s for it and gave way, so that readers are not held up behind the change; the load is tried again`,
          true,
          { cause: error },
        );
      }),

    async begin(timeoutMs, signal) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL statement_timeout = ${Math.min(MAX_STATEMENT_TIMEOUT_MS, Math.max(1, Math.floor(timeoutMs)))}`);
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      return transaction(client, signal);
    },

    read: readPostgresError,
    close: () => pool.end(),
  };
}
