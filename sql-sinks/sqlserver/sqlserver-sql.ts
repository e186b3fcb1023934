// The T-SQL the SQL Server dialect sends, built by pure functions so that tests can read it.
// Identifiers are checked (identifiers.ts) before they get here and are always written
// bracket-quoted; values never appear in the text: they are parameters (@name) or bulk rows.
import { qualifiedWith, quoteWith, type TableName } from '../identifiers.ts';
import { LEDGER_TABLE, type ApplyPlan } from '../sink-driver.ts';
import type { SqlColumn } from '../sql-types.ts';
import { sqlServerColumnType, stagedValue, stagingColumnType } from './sqlserver-types.ts';

export const quote = quoteWith('[', ']');

/** A session temp table: only this connection sees it, and a rollback drops it. */
export const STAGING_TABLE = '#sluice_staging';

/** The ledger lives in dbo, whatever the login's default schema, so every loader of a database finds the same one. */
export const LEDGER_SCHEMA = 'dbo';
export const LEDGER = `${quote(LEDGER_SCHEMA)}.${quote(LEDGER_TABLE)}`;

/** Our own error numbers (THROW needs 50000 or more) for an application lock that was not granted. */
export const APPLOCK_DEADLOCK = 51205;
export const APPLOCK_NOT_GRANTED = 51222;

export const qualified = qualifiedWith(quote);
const columnList = (names: readonly string[]): string => names.map(quote).join(', ');

/** Text that is part of the statement (never a value), as an N'' literal. */
const literal = (text: string): string => `N'${text.split("'").join("''")}'`;

/**
 * Takes an exclusive application lock owned by the open transaction (released by COMMIT or
 * ROLLBACK) on `resource`, an expression. The server truncates resource names to 255
 * characters; two long names that share a prefix then share a lock, which only makes them
 * wait for each other. sp_getapplock reports failure by its return code, not by an error, so
 * a refusal is turned into one here.
 */
function appLock(resource: string): string {
  return [
    `DECLARE @lock_resource nvarchar(255) = LEFT(${resource}, 255);`,
    'DECLARE @lock_result int;',
    "EXEC @lock_result = sys.sp_getapplock @Resource = @lock_resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction';",
    `IF @lock_result = -3 THROW ${APPLOCK_DEADLOCK}, N'sp_getapplock: chosen as deadlock victim while waiting for the lock', 1;`,
    `IF @lock_result < 0 THROW ${APPLOCK_NOT_GRANTED}, N'sp_getapplock: the lock was not granted', 1;`,
  ].join('\n');
}

/**
 * The lock on one table's name, for DDL ('sluice-ddl') or for loads ('sluice-load'). Takes
 * @schema (null for the login's default schema) and @table. The name is resolved and lowered
 * on the server, so that "MeterDaily", "meterdaily" and "dbo.MeterDaily" — one table under the
 * usual case-insensitive collation — are one lock.
 */
export function tableLockSql(purpose: 'sluice-ddl' | 'sluice-load'): string {
  return appLock(`LOWER(CONCAT(${literal(`${purpose}:`)}, QUOTENAME(COALESCE(@schema, SCHEMA_NAME())), N'.', QUOTENAME(@table)))`);
}

/** The table's columns, then the columns of each unique index (one row per column); takes @schema and @table. */
export const describeTableSql = [
  'SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS data_type, c.CHARACTER_MAXIMUM_LENGTH AS max_length,',
  '       c.NUMERIC_PRECISION AS numeric_precision, c.NUMERIC_SCALE AS numeric_scale, c.DATETIME_PRECISION AS datetime_precision,',
  "       CASE c.IS_NULLABLE WHEN 'YES' THEN 1 ELSE 0 END AS nullable",
  '  FROM INFORMATION_SCHEMA.COLUMNS AS c',
  ' WHERE c.TABLE_SCHEMA = COALESCE(@schema, SCHEMA_NAME()) AND c.TABLE_NAME = @table',
  ' ORDER BY c.ORDINAL_POSITION;',
  'SELECT i.index_id AS index_id, col.name AS name',
  '  FROM sys.indexes AS i',
  '  JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.is_included_column = 0',
  '  JOIN sys.columns AS col ON col.object_id = ic.object_id AND col.column_id = ic.column_id',
  " WHERE i.object_id = OBJECT_ID(QUOTENAME(COALESCE(@schema, SCHEMA_NAME())) + N'.' + QUOTENAME(@table), N'U')",
  '   AND i.is_unique = 1 AND i.has_filter = 0',
  ' ORDER BY i.index_id, ic.key_ordinal;',
].join('\n');

/**
 * Creates the schema when it is missing (CREATE SCHEMA needs a privilege a loader of an
 * existing schema may lack). Two loads creating tables in one new schema would both see it
 * missing, so the check is repeated under a lock on the schema's name. CREATE SCHEMA must be
 * alone in its batch, hence EXEC. Takes @schema.
 */
export function createSchemaSql(schema: string): string {
  return [
    'IF SCHEMA_ID(@schema) IS NULL',
    'BEGIN',
    appLock(`LOWER(CONCAT(N'sluice-ddl:', QUOTENAME(@schema)))`),
    `  IF SCHEMA_ID(@schema) IS NULL EXEC(${literal(`CREATE SCHEMA ${quote(schema)}`)});`,
    'END;',
  ].join('\n');
}

const definitions = (columns: readonly SqlColumn[], keys: readonly string[] = []): string =>
  columns
    .map((column) => {
      const key = keys.includes(column.name);
      return `${quote(column.name)} ${sqlServerColumnType(column.type, key ? 'key' : 'value')} ${column.nullable && !key ? 'NULL' : 'NOT NULL'}`;
    })
    .join(', ');

/** The target table. The primary key's constraint is left for the server to name: a name of our own could clash or pass 128 characters. */
export function createTableSql(table: TableName, columns: readonly SqlColumn[], primaryKey: readonly string[]): string {
  const key = primaryKey.length > 0 ? `, PRIMARY KEY (${columnList(primaryKey)})` : '';
  return `CREATE TABLE ${qualified(table)} (${definitions(columns, primaryKey)}${key});`;
}

/** New columns are always nullable, so the rows already there and their readers are unaffected. */
export function addColumnsSql(table: TableName, columns: readonly SqlColumn[]): string {
  return `ALTER TABLE ${qualified(table)} ADD ${definitions(columns.map((column) => ({ ...column, nullable: true })))};`;
}

/**
 * This session's staging table, every column nullable. A connection goes back to the pool
 * with its session, so a staging table a committed load left behind would still be there:
 * it is dropped first (and again before each commit).
 */
export function createStagingSql(columns: readonly SqlColumn[]): string {
  const staged = columns.map((column) => `${quote(column.name)} ${stagingColumnType(column.type)} NULL`).join(', ');
  return [`IF OBJECT_ID(N'tempdb..${STAGING_TABLE}') IS NOT NULL DROP TABLE ${STAGING_TABLE};`, `CREATE TABLE ${STAGING_TABLE} (${staged});`].join('\n');
}

export const dropStagingSql = `DROP TABLE ${STAGING_TABLE};`;

/** The staged rows with the target's column types (decimals and instants are staged in another form). */
export function stagedRows(columns: readonly SqlColumn[]): string {
  const values = columns.map((column) => {
    const name = quote(column.name);
    const value = stagedValue(column.type, name);
    return value === name ? name : `${value} AS ${name}`;
  });
  return `SELECT ${values.join(', ')} FROM ${STAGING_TABLE}`;
}

/**
 * How many key values the staged rows repeat. Grouped as staged: in the staging table's
 * collation (tempdb's), which may tell apart strings that the target's collation takes as one.
 */
export function repeatedKeysSql(keys: readonly string[]): string {
  return `SELECT COUNT_BIG(*) AS repeated FROM (SELECT 1 AS one FROM ${STAGING_TABLE} GROUP BY ${columnList(keys)} HAVING COUNT_BIG(*) > 1) AS d;`;
}

/** One batch per mode; each ends with one row: inserted, updated, deleted (bigint). */
export function applySql(plan: ApplyPlan): string {
  const target = qualified(plan.table);
  const names = plan.columns.map((column) => column.name);
  const source = `(${stagedRows(plan.columns)}) AS s`;
  const { output } = plan;
  switch (output.mode) {
    case 'merge': {
      const keys = output.keys;
      const others = names.filter((name) => !keys.includes(name));
      const on = keys.map((key) => `t.${quote(key)} = s.${quote(key)}`).join(' AND ');
      // HOLDLOCK keeps the key ranges the MERGE looked at locked until commit: without it a
      // concurrent insert of the same key between the match and the insert is possible.
      return [
        'DECLARE @actions TABLE ([action] nvarchar(10) NOT NULL);',
        `MERGE ${target} WITH (HOLDLOCK) AS t`,
        `USING ${source}`,
        `   ON ${on}`,
        ...(others.length > 0 ? [`WHEN MATCHED THEN UPDATE SET ${others.map((name) => `${quote(name)} = s.${quote(name)}`).join(', ')}`] : []),
        `WHEN NOT MATCHED BY TARGET THEN INSERT (${columnList(names)}) VALUES (${names.map((name) => `s.${quote(name)}`).join(', ')})`,
        'OUTPUT $action INTO @actions ([action]);',
        "SELECT COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END) AS inserted, COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END) AS updated, CAST(0 AS bigint) AS deleted FROM @actions;",
      ].join('\n');
    }
    case 'replace-partitions': {
      const nullable = new Set(plan.columns.filter((column) => column.nullable).map((column) => column.name));
      // A NULL partition value names a partition too: it replaces the target's NULL rows.
      const same = output.partition_by
        .map((name) => {
          const equal = `t.${quote(name)} = s.${quote(name)}`;
          return nullable.has(name) ? `(${equal} OR (t.${quote(name)} IS NULL AND s.${quote(name)} IS NULL))` : equal;
        })
        .join(' AND ');
      return [
        'DECLARE @deleted bigint, @inserted bigint;',
        `DELETE t FROM ${target} AS t WHERE EXISTS (SELECT 1 FROM ${source} WHERE ${same});`,
        'SET @deleted = ROWCOUNT_BIG();',
        `INSERT INTO ${target} (${columnList(names)}) SELECT ${columnList(names)} FROM ${source};`,
        'SET @inserted = ROWCOUNT_BIG();',
        'SELECT @inserted AS inserted, CAST(0 AS bigint) AS updated, @deleted AS deleted;',
      ].join('\n');
    }
    case 'append':
      return [
        'DECLARE @inserted bigint;',
        `INSERT INTO ${target} (${columnList(names)}) SELECT ${columnList(names)} FROM ${source};`,
        'SET @inserted = ROWCOUNT_BIG();',
        'SELECT @inserted AS inserted, CAST(0 AS bigint) AS updated, CAST(0 AS bigint) AS deleted;',
      ].join('\n');
  }
}

const LEDGER_COLUMNS = ['job_id', 'attempt', 'sink', 'target_table', 'rows', 'inserted', 'updated', 'deleted', 'checksum', 'loaded_at', 'trace_id'];

const ledgerMissing = `OBJECT_ID(${literal(LEDGER)}, N'U') IS NULL`;
/** A ledger made before trace ids existed lacks the column (nullable: its old rows have none). */
const traceIdMissing = `COL_LENGTH(${literal(LEDGER)}, N'trace_id') IS NULL`;

/**
 * The ledger, created when missing (or given its trace_id column when an older Sluice made
 * it) under a lock on its name. Its key is at most 900 bytes: job_id 128 + attempt 4 + sink
 * 768 (a sink is "<connection>:<schema>.<table>", at most 321 characters).
 */
export const ensureLedgerSql = [
  `IF ${ledgerMissing} OR ${traceIdMissing}`,
  'BEGIN',
  appLock(literal(`sluice-ddl:${LEDGER}`)),
  `  IF ${ledgerMissing}`,
  `  CREATE TABLE ${LEDGER} (`,
  '    [job_id] nvarchar(64) NOT NULL, [attempt] int NOT NULL, [sink] nvarchar(384) NOT NULL, [target_table] nvarchar(300) NOT NULL,',
  '    [rows] bigint NOT NULL, [inserted] bigint NOT NULL, [updated] bigint NOT NULL, [deleted] bigint NOT NULL,',
  '    [checksum] nvarchar(128) NOT NULL, [loaded_at] datetimeoffset(3) NOT NULL, [trace_id] nvarchar(128) NULL,',
  '    PRIMARY KEY ([job_id], [attempt], [sink]));',
  `  ELSE IF ${traceIdMissing}`,
  `  ALTER TABLE ${LEDGER} ADD [trace_id] nvarchar(128) NULL;`,
  'END;',
].join('\n');

/** Takes @job_id, @attempt, @sink. */
export const readLedgerSql = `SELECT ${columnList(LEDGER_COLUMNS)} FROM ${LEDGER} WHERE [job_id] = @job_id AND [attempt] = @attempt AND [sink] = @sink;`;

/** Takes one parameter per column; @loaded_at is the UTC time as datetime2, stored with offset +00:00. */
export const recordLedgerSql = `INSERT INTO ${LEDGER} (${columnList(LEDGER_COLUMNS)}) VALUES (${LEDGER_COLUMNS.map((name) => (name === 'loaded_at' ? 'TODATETIMEOFFSET(@loaded_at, 0)' : `@${name}`)).join(', ')});`;
