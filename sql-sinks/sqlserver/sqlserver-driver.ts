// The SQL Server dialect of the load protocol (mssql over tedious): rows are bulk-loaded,
// batch by batch, into a session temp table, then one MERGE ... WITH (HOLDLOCK), DELETE +
// INSERT (replace-partitions) or INSERT (append) applies them inside the same transaction.
// Readers of the target see none of it before COMMIT.
//
// Every transaction runs with XACT_ABORT ON: a run-time error, and a client timeout (the
// attention tedious sends), then roll the whole transaction back on the server instead of
// leaving it open on a pooled connection with its locks held.
//
// Statements that must outlive their request — SET XACT_ABORT, the staging table — go as
// plain batches: mssql sends a query through sp_executesql, whose scope would drop a temp
// table and undo a SET when it ends.
import sql from 'mssql';
import { rowsOf } from '../column-batch.ts';
import type { TableName } from '../identifiers.ts';
import type { TableColumn, TableShape } from '../schema-plan.ts';
import { SinkError } from '../sink-error.ts';
import { ledgerEntryOf, type ApplyCounts, type LedgerEntry, type LedgerKey, type LedgerRow, type LoadTransaction, type SinkDriver } from '../sink-driver.ts';
import type { RowBatch } from '../sink.ts';
import { readSqlServerError } from './sqlserver-errors.ts';
import {
  addColumnsSql,
  applySql,
  repeatedKeysSql,
  createSchemaSql,
  createStagingSql,
  createTableSql,
  describeTableSql,
  dropStagingSql,
  ensureLedgerSql,
  readLedgerSql,
  recordLedgerSql,
  STAGING_TABLE,
  tableLockSql,
} from './sqlserver-sql.ts';
import { bulkColumn, declaredSqlServerType, parseSqlServerType, type BulkColumn } from './sqlserver-types.ts';

export type SqlServerSinkSettings = {
  /** mssql://user:password@host:1433/database?encrypt=true&trustServerCertificate=false (or sqlserver://), or an ADO connection string. */
  url: string;
  /** Most connections this process opens to the server. */
  poolMax: number;
  connectTimeoutMs: number;
};

/**
 * How long a statement outside a load transaction (ledger, catalog, DDL waiting for a running
 * load to let go of its table) may take. It is also the connection's own request timeout,
 * which is the only one tedious applies to a bulk load.
 */
export const STATEMENT_TIMEOUT_MS = 10 * 60_000;

const URL_PARAMETERS = ['encrypt', 'trustServerCertificate', 'instanceName'] as const;

/** The mssql configuration for the settings, and the strings that must never appear in a message. */
export function sqlServerConfig(settings: SqlServerSinkSettings): { config: sql.config; secrets: string[] } {
  const parsed = /^[a-z][a-z0-9+.-]*:\/\//i.test(settings.url) ? fromUrl(settings.url) : fromConnectionString(settings.url);
  const config: sql.config = {
    ...parsed.config,
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: STATEMENT_TIMEOUT_MS,
    pool: {
      max: settings.poolMax,
      min: 0,
      idleTimeoutMillis: 30_000,
      // Opening a connection may take the whole connect timeout; tarn's own limits (30 s by
      // default) must not cut it short and hide tedious's clearer error.
      createTimeoutMillis: settings.connectTimeoutMs + 5_000,
      acquireTimeoutMillis: Math.max(30_000, settings.connectTimeoutMs + 5_000),
    },
    // The default: a borrowed connection is checked with SELECT 1, so one whose session the
    // server ended (a failover, a KILL) is replaced rather than handed to a load.
    validateConnection: true,
    options: {
      ...parsed.config.options,
      appName: 'sluice',
      // Dates and times are written from their UTC fields (sqlserver-types.ts relies on it).
      useUTC: true,
      // XACT_ABORT ON from login on, for every statement of every connection; each
      // transaction sets it again so as not to depend on this option alone.
      abortTransactionOnError: true,
    },
  };
  return { config, secrets: [settings.url, ...parsed.secrets].filter((secret) => secret.length > 0) };
}

const urlError = (detail: string) => new SinkError('user', `the SQL Server URL ${detail} (expected mssql://user:password@host:1433/database?encrypt=true)`);

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw urlError(`has a badly escaped ${what}`);
  }
}

function flag(name: string, value: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw urlError(`sets ${name} to "${value}", which is neither true nor false`);
}

function fromUrl(text: string): { config: sql.config; secrets: string[] } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The URL itself is not repeated: it may hold the password.
    throw urlError('cannot be parsed');
  }
  if (url.protocol !== 'mssql:' && url.protocol !== 'sqlserver:') throw urlError(`has the scheme ${url.protocol}`);
  const server = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!server) throw urlError('names no host');
  const database = decode(url.pathname.replace(/^\//, ''), 'database');
  if (database.includes('/')) throw urlError('has more than a database name in its path');
  const password = decode(url.password, 'password');
  const options: sql.IOptions = {};
  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'encrypt':
        options.encrypt = flag(name, value);
        break;
      case 'trustServerCertificate':
        options.trustServerCertificate = flag(name, value);
        break;
      case 'instanceName':
        options.instanceName = value;
        break;
      default:
        throw urlError(`has the unknown parameter "${name}" (known: ${URL_PARAMETERS.join(', ')})`);
    }
  }
  const config: sql.config = {
    server,
    ...(url.port ? { port: Number(url.port) } : {}),
    ...(database ? { database } : {}),
    ...(url.username ? { user: decode(url.username, 'user name') } : {}),
    ...(url.password ? { password } : {}),
    options,
  };
  return { config, secrets: [password, url.password] };
}

function fromConnectionString(text: string): { config: sql.config; secrets: string[] } {
  let parsed: ReturnType<typeof sql.ConnectionPool.parseConnectionString>;
  try {
    parsed = sql.ConnectionPool.parseConnectionString(text);
  } catch {
    throw new SinkError('user', 'the SQL Server connection string cannot be parsed (expected an mssql:// URL or Server=...;Database=...;User Id=...;Password=...)');
  }
  if (!parsed.server) throw new SinkError('user', 'the SQL Server connection string names no server');
  // Its own pool and timeout settings give way to Sluice's.
  const { pool: _pool, requestTimeout: _requestTimeout, connectionTimeout: _connectionTimeout, ...config } = parsed;
  return { config, secrets: [parsed.password ?? ''] };
}

type Parameters = Record<string, [type: (() => sql.ISqlType) | sql.ISqlType, value: unknown]>;
type Query = <T>(text: string, parameters?: Parameters) => Promise<sql.IResult<T>>;

// mssql 12.7 takes per-request overrides as a second argument (its README, "Request");
// @types/mssql 12.3 does not declare it yet.
const RequestWithOverrides = sql.Request as unknown as new (parent: sql.ConnectionPool | sql.Transaction, overrides: { requestTimeout: number }) => sql.Request;

function withParameters(request: sql.Request, parameters: Parameters): sql.Request {
  for (const [name, [type, value]] of Object.entries(parameters)) request.input(name, type, value);
  return request;
}

const tableParameters = (table: TableName): Parameters => ({ schema: [sql.NVarChar(128), table.schema ?? null], table: [sql.NVarChar(128), table.table] });
const ledgerKeyParameters = (key: LedgerKey): Parameters => ({ job_id: [sql.NVarChar, key.jobId], attempt: [sql.Int, key.attempt], sink: [sql.NVarChar, key.sink] });

/** bigint columns come back as strings (tedious keeps all 64 bits that way); ledgerEntryOf reads either. */
const ledgerEntryOrNone = (row: LedgerRow | undefined): LedgerEntry | undefined => row && ledgerEntryOf(row);

type ColumnRow = {
  name: string;
  data_type: string;
  max_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  nullable: number;
};
type IndexColumnRow = { index_id: number; name: string };

/** The table as the catalog describes it; undefined when it has no (visible) columns, i.e. does not exist. */
export function tableShape(columns: readonly ColumnRow[], indexColumns: readonly IndexColumnRow[]): TableShape | undefined {
  if (columns.length === 0) return undefined;
  const shaped: TableColumn[] = columns.map((row) => {
    const catalog = { dataType: row.data_type, maxLength: row.max_length, precision: row.numeric_precision, scale: row.numeric_scale, datetimePrecision: row.datetime_precision };
    return { name: row.name, type: parseSqlServerType(catalog), nullable: row.nullable === 1, declared: declaredSqlServerType(catalog) };
  });
  const unique = new Map<number, string[]>();
  for (const row of indexColumns) unique.set(row.index_id, [...(unique.get(row.index_id) ?? []), row.name]);
  return { columns: shaped, uniqueKeys: [...unique.values()] };
}

/** A run's batch as the staging table's rows, each value converted for its column. */
export function bulkRows(batch: RowBatch, columns: readonly BulkColumn[]): unknown[][] {
  const rows = new Array<unknown[]>(batch.length);
  for (let r = 0; r < batch.length; r++) {
    const row = batch[r]!;
    const converted = new Array<unknown>(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const value = row[c];
      converted[c] = value === null || value === undefined ? null : columns[c]!.convert(value);
    }
    rows[r] = converted;
  }
  return rows;
}

/** One batch of the run as an mssql bulk table into the staging table, which exists already (create stays off). */
export function stagingTable(columns: readonly BulkColumn[], batch: RowBatch): sql.Table {
  const table = new sql.Table(STAGING_TABLE);
  table.create = false;
  for (const column of columns) table.columns.add(column.name, column.sqlType(), { nullable: true });
  // mssql's typings leave out bigint, which tedious writes exactly for a bigint column.
  const rows = table.rows as unknown as unknown[][];
  for (const row of bulkRows(batch, columns)) rows.push(row);
  return table;
}

/** One transaction on one pooled connection (mssql pins it from begin to commit or rollback). */
class Session {
  private open = true;

  constructor(
    private readonly transaction: sql.Transaction,
    private readonly timeoutMs: number,
  ) {}

  private request(): sql.Request {
    return new RequestWithOverrides(this.transaction, { requestTimeout: this.timeoutMs });
  }

  /** A plain batch: its temp tables and SET options stay with the session. */
  async batch(text: string): Promise<void> {
    await this.request().batch(text);
  }

  query<T>(text: string, parameters: Parameters = {}): Promise<sql.IResult<T>> {
    return withParameters(this.request(), parameters).query<T>(text);
  }

  /**
   * mssql applies no request timeout to a bulk load (tedious times it by the connection's
   * setting only), so the load's own limit is kept here by cancelling it, as mssql's README advises.
   */
  async bulk(table: sql.Table): Promise<void> {
    const request = this.request();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.cancel();
    }, this.timeoutMs);
    try {
      await request.bulk(table);
    } catch (error) {
      if (timedOut) throw new SinkError('timeout', `bulk load into the staging table did not finish within ${this.timeoutMs} ms`, false, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async commit(): Promise<void> {
    await this.transaction.commit();
    this.open = false;
  }

  /**
   * Rolls back when still open; the connection goes back to the pool either way. After a
   * server error XACT_ABORT has already rolled back (mssql then answers EABORT), and after a
   * lost connection there is nothing left to roll back: neither is an error here.
   */
  async release(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.transaction.rollback().catch(() => undefined);
  }
}

export function createSqlServerDriver(settings: SqlServerSinkSettings): SinkDriver {
  const { config, secrets } = sqlServerConfig(settings);
  const pool = new sql.ConnectionPool(config);
  // A pooled connection that breaks is dropped and replaced; the load using it hears of it itself.
  pool.on('error', () => undefined);

  let connecting: Promise<sql.ConnectionPool> | undefined;
  /** Connects on first use; a failed connect is tried again by the next caller. */
  const connected = (): Promise<sql.ConnectionPool> =>
    (connecting ??= pool.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    }));

  let ledgerReady: Promise<void> | undefined;

  async function begin(timeoutMs: number): Promise<Session> {
    await connected();
    const transaction = new sql.Transaction(pool);
    await transaction.begin(sql.ISOLATION_LEVEL.READ_COMMITTED);
    const session = new Session(transaction, timeoutMs);
    try {
      await session.batch('SET XACT_ABORT ON;');
    } catch (error) {
      await session.release();
      throw error;
    }
    return session;
  }

  async function inTransaction<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = await begin(STATEMENT_TIMEOUT_MS);
    try {
      const result = await work(session);
      await session.commit();
      return result;
    } finally {
      await session.release();
    }
  }

  async function readLedger(query: Query, key: LedgerKey): Promise<LedgerEntry | undefined> {
    const result = await query<LedgerRow>(readLedgerSql, ledgerKeyParameters(key));
    return ledgerEntryOrNone(result.recordset[0]);
  }

  function loadTransaction(session: Session): LoadTransaction {
    let staging = false;
    return {
      async stage(columns, batches, onRows) {
        await session.batch(createStagingSql(columns));
        staging = true;
        const bulkColumns = columns.map(bulkColumn);
        let staged = 0;
        // One batch in memory at a time: each is its own bulk load into the staging table.
        for await (const loaded of batches) {
          const batch = rowsOf(loaded);
          if (batch.length > 0) await session.bulk(stagingTable(bulkColumns, batch));
          staged += batch.length;
          await onRows(staged);
        }
        return staged;
      },
      async repeatedKeys(keys) {
        const result = await session.query<{ repeated: string | number }>(repeatedKeysSql(keys));
        return Number(result.recordset[0]!.repeated);
      },
      async lockTarget(table) {
        await session.query(tableLockSql('sluice-load'), tableParameters(table));
      },
      ledgerEntry: (key) => readLedger((text, parameters) => session.query(text, parameters), key),
      async apply(plan): Promise<ApplyCounts> {
        const result = await session.query<{ inserted: string | number; updated: string | number; deleted: string | number }>(applySql(plan));
        const row = result.recordset[0]!;
        return { inserted: Number(row.inserted), updated: Number(row.updated), deleted: Number(row.deleted) };
      },
      async record(entry) {
        await session.query(recordLedgerSql, {
          ...ledgerKeyParameters(entry),
          target_table: [sql.NVarChar, entry.table],
          rows: [sql.BigInt, entry.rows],
          inserted: [sql.BigInt, entry.inserted],
          updated: [sql.BigInt, entry.updated],
          deleted: [sql.BigInt, entry.deleted],
          checksum: [sql.NVarChar, entry.checksum],
          loaded_at: [sql.DateTime2(3), new Date(entry.loadedAt)],
          trace_id: [sql.NVarChar, entry.traceId ?? null],
        });
      },
      async commit() {
        // The session, and so a committed staging table, outlives the transaction in the pool.
        if (staging) await session.batch(dropStagingSql);
        staging = false;
        await session.commit();
      },
      release: () => session.release(),
    };
  }

  return {
    dialect: 'sqlserver',
    planOptions: { namesIgnoreCase: true },
    secrets,

    ensureLedger() {
      ledgerReady ??= inTransaction((session) => session.query(ensureLedgerSql).then(() => undefined)).catch((error: unknown) => {
        ledgerReady = undefined;
        throw error;
      });
      return ledgerReady;
    },

    async ledgerEntry(key) {
      const ready = await connected();
      return readLedger((text, parameters = {}) => withParameters(ready.request(), parameters).query(text), key);
    },

    shapeTable: (table, plan) =>
      inTransaction(async (session) => {
        const described = await session.query<unknown>(`${tableLockSql('sluice-ddl')}\n${describeTableSql}`, tableParameters(table));
        const [columns = [], indexColumns = []] = described.recordsets as unknown as [ColumnRow[]?, IndexColumnRow[]?];
        const change = plan(tableShape(columns, indexColumns));
        if (change.kind === 'create') {
          if (table.schema) await session.query(createSchemaSql(table.schema), { schema: [sql.NVarChar(128), table.schema] });
          await session.query(createTableSql(table, change.columns, change.primaryKey));
        } else if (change.kind === 'add') {
          await session.query(addColumnsSql(table, change.columns));
        }
      }),

    async begin(timeoutMs) {
      return loadTransaction(await begin(timeoutMs));
    },

    read: readSqlServerError,

    async close() {
      // mssql refuses to close a pool that is still connecting.
      await connecting?.catch(() => undefined);
      await pool.close();
    },
  };
}
