// The SQL Server side of the type mapping: SqlType → column DDL, INFORMATION_SCHEMA.COLUMNS →
// SqlType, and how each type travels through a bulk load into the staging table and from
// there into the target.
//
//   SqlType            target column                staged as (bulk)            read from staging
//   integer(16|32|64)  smallint | int | bigint      same                        as is
//   float(32|64)       real | float                 same                        as is
//   decimal(p,s)       decimal(p,s)                 nvarchar(64), exact text    CAST(.. AS decimal(p,s))
//   string             nvarchar(max) (key: 450)     nvarchar(max)               as is
//   boolean            bit                          bit                         as is
//   date               date                         date                        as is
//   timestamptz        datetimeoffset(6)            datetime2(6), UTC           TODATETIMEOFFSET(.., 0)
//   timestamp          datetime2(6)                 datetime2(6)                as is
//   binary             varbinary(max) (key: 900)    varbinary(max)              as is
//
// Two types take a detour through staging because of how tedious writes them: it turns a
// decimal into a JavaScript number (parseFloat) and writes at most 64 bits of it, so any
// decimal past ~15 significant digits would arrive changed; and it writes a datetimeoffset
// with the offset of the worker's own time zone, so the same instant would be stored with
// different offsets depending on where the load ran. Exact text and a UTC datetime2,
// converted by the server, lose nothing and always store +00:00.
import sql from 'mssql';
import { asMicros } from '../row-text.ts';
import { SinkError } from '../sink-error.ts';
import type { RowValue } from '../sink.ts';
import type { SqlColumn, SqlType } from '../sql-types.ts';

/** An index key holds at most 900 bytes, so a key column cannot be nvarchar(max) or varbinary(max). */
const KEY_STRING = 'nvarchar(450)';
const KEY_BINARY = 'varbinary(900)';
/** nvarchar(n) takes n up to 4000; longer declared lengths become max. */
const NVARCHAR_LIMIT = 4000;
/** Room for any decimal(38,s) as text: sign, 38 digits, point, a leading zero. */
const DECIMAL_TEXT_LENGTH = 64;

export function sqlServerColumnType(type: SqlType, role: 'key' | 'value' = 'value'): string {
  switch (type.kind) {
    case 'integer':
      return { 16: 'smallint', 32: 'int', 64: 'bigint' }[type.bits];
    case 'float':
      return type.bits === 32 ? 'real' : 'float';
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'string':
      if (role === 'key') return KEY_STRING;
      return type.length !== undefined && type.length <= NVARCHAR_LIMIT ? `nvarchar(${type.length})` : 'nvarchar(max)';
    case 'boolean':
      return 'bit';
    case 'date':
      return 'date';
    case 'timestamptz':
      return 'datetimeoffset(6)';
    case 'timestamp':
      return 'datetime2(6)';
    case 'binary':
      return role === 'key' ? KEY_BINARY : 'varbinary(max)';
  }
}

/** One row of INFORMATION_SCHEMA.COLUMNS, as the driver selects it. */
export type CatalogColumn = {
  dataType: string;
  /** CHARACTER_MAXIMUM_LENGTH: characters (bytes for binary), -1 for max, null for other types. */
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
  /** DATETIME_PRECISION: fractional second digits of datetime2, datetimeoffset, time. */
  datetimePrecision?: number | null;
};

const SIMPLE: Record<string, SqlType> = {
  // tinyint (0..255) is read as 16 bits wide: a run's value that does not fit fails with
  // the server's arithmetic overflow (class data), which names the value.
  tinyint: { kind: 'integer', bits: 16 },
  smallint: { kind: 'integer', bits: 16 },
  int: { kind: 'integer', bits: 32 },
  bigint: { kind: 'integer', bits: 64 },
  real: { kind: 'float', bits: 32 },
  bit: { kind: 'boolean' },
  date: { kind: 'date' },
  datetimeoffset: { kind: 'timestamptz' },
  datetime2: { kind: 'timestamp' },
  // datetime rounds to 1/300 s, as a timestamp(0) column rounds in PostgreSQL: a DBA's choice
  // of precision that the load respects rather than refuses.
  datetime: { kind: 'timestamp' },
};

/** Reads a catalog column; undefined for types Sluice never writes into (money, xml, uniqueidentifier, text, ...). */
export function parseSqlServerType(column: CatalogColumn): SqlType | undefined {
  const dataType = column.dataType.toLowerCase();
  const simple = SIMPLE[dataType];
  if (simple) return simple;
  switch (dataType) {
    case 'float':
      // float(n) is real for n <= 24 and double precision above; the catalog reports n.
      return { kind: 'float', bits: column.precision !== null && column.precision <= 24 ? 32 : 64 };
    case 'decimal':
    case 'numeric':
      if (column.precision === null || column.scale === null) return undefined;
      return { kind: 'decimal', precision: column.precision, scale: column.scale };
    case 'nvarchar':
    case 'varchar':
    case 'nchar':
    case 'char':
      // varchar holds only its collation's code page unless the collation is UTF-8: like a
      // bounded nvarchar it is the table owner's choice, accepted as a string column.
      return column.maxLength === null || column.maxLength === -1 ? { kind: 'string' } : { kind: 'string', length: column.maxLength };
    case 'varbinary':
    case 'binary':
      return { kind: 'binary' };
    default:
      return undefined;
  }
}

/** The column's type as SQL Server declares it, for messages: "nvarchar(100)", "decimal(10,2)". */
export function declaredSqlServerType(column: CatalogColumn): string {
  const dataType = column.dataType.toLowerCase();
  switch (dataType) {
    case 'nvarchar':
    case 'varchar':
    case 'nchar':
    case 'char':
    case 'varbinary':
    case 'binary':
      return column.maxLength === null ? dataType : `${dataType}(${column.maxLength === -1 ? 'max' : column.maxLength})`;
    case 'decimal':
    case 'numeric':
      return `${dataType}(${column.precision},${column.scale})`;
    case 'datetime2':
    case 'datetimeoffset':
    case 'time':
      return column.datetimePrecision === null || column.datetimePrecision === undefined ? dataType : `${dataType}(${column.datetimePrecision})`;
    default:
      return dataType;
  }
}

/** The staging table's column type: what the bulk load writes (see the table above). */
export function stagingColumnType(type: SqlType): string {
  switch (type.kind) {
    case 'decimal':
      return `nvarchar(${DECIMAL_TEXT_LENGTH})`;
    case 'timestamptz':
      return 'datetime2(6)';
    case 'string':
      return 'nvarchar(max)';
    case 'binary':
      return 'varbinary(max)';
    default:
      return sqlServerColumnType(type);
  }
}

/** SQL that reads a staged column (`quoted`) as the target's type. */
export function stagedValue(type: SqlType, quoted: string): string {
  switch (type.kind) {
    case 'decimal':
      return `CAST(${quoted} AS decimal(${type.precision},${type.scale}))`;
    case 'timestamptz':
      // The staged value is the instant's UTC wall-clock time; offset 0 makes it that instant.
      return `TODATETIMEOFFSET(${quoted}, 0)`;
    case 'string':
      // The staging table lives in tempdb and takes its collation: compared with the target's
      // text (a merge's keys, replaced partitions) in a database of another collation, it would
      // fail with a collation conflict (Msg 468). Read as the database's own, it compares.
      return `${quoted} COLLATE DATABASE_DEFAULT`;
    default:
      return quoted;
  }
}

/** A Date that tedious writes with microseconds: `nanosecondDelta` (seconds) is added below the millisecond. */
export type PreciseDate = Date & { nanosecondDelta?: number };

/** How one column's values go into a bulk load of the staging table. */
export type BulkColumn = {
  name: string;
  /** A new mssql type each call: mssql's Table writes the column's name onto the type object it is given. */
  sqlType: () => sql.ISqlType;
  /** Turns a run's (non-null) value into what tedious writes for `sqlType`. */
  convert: (value: RowValue) => unknown;
};

const MS_PER_DAY = 86_400_000;
/** date and datetime2 hold 0001-01-01 through 9999-12-31 (days since 1970-01-01). */
const FIRST_DAY = -719_162;
const LAST_DAY = 2_932_896;
const FIRST_MICROS = BigInt(FIRST_DAY) * 86_400_000_000n;
const END_MICROS = BigInt(LAST_DAY + 1) * 86_400_000_000n;

function outOfRange(column: string, value: RowValue, what: string): SinkError {
  return new SinkError('data', `column "${column}" holds ${String(value)}, ${what}`);
}

export function bulkColumn(column: SqlColumn): BulkColumn {
  const { name, type } = column;
  switch (type.kind) {
    case 'integer':
      if (type.bits === 64) {
        // tedious writes a bigint as a signed 64-bit integer, exact for JavaScript bigints; a
        // number is made one (BigInt refuses a fraction rather than rounding it).
        return { name, sqlType: () => sql.BigInt(), convert: (value) => (typeof value === 'bigint' ? value : BigInt(value as number)) };
      }
      return { name, sqlType: () => (type.bits === 16 ? sql.SmallInt() : sql.Int()), convert: (value) => (typeof value === 'bigint' ? Number(value) : value) };
    case 'float':
      return {
        name,
        sqlType: () => (type.bits === 32 ? sql.Real() : sql.Float()),
        // SQL Server's float has no NaN or infinity: tedious refuses NaN with a bare "Invalid
        // number." and sends an infinity on for the server to refuse; neither names the column.
        convert: (value) => {
          if (typeof value === 'number' && !Number.isFinite(value)) throw outOfRange(name, value, 'which SQL Server cannot store in a float column');
          return value;
        },
      };
    case 'decimal':
      return { name, sqlType: () => sql.NVarChar(DECIMAL_TEXT_LENGTH), convert: (value) => (typeof value === 'string' ? value : String(value)) };
    case 'string':
      return { name, sqlType: () => sql.NVarChar(sql.MAX), convert: (value) => (typeof value === 'string' ? value : String(value)) };
    case 'boolean':
      return { name, sqlType: () => sql.Bit(), convert: (value) => Boolean(value) };
    case 'date':
      return {
        name,
        sqlType: () => sql.Date(),
        // Midnight UTC of that day; tedious reads the UTC date of it (useUTC is on).
        convert: (value) => {
          const days = Number(value);
          if (days < FIRST_DAY || days > LAST_DAY) throw outOfRange(name, value, 'days from 1970-01-01, outside the years 1 to 9999 that a date holds');
          return new Date(days * MS_PER_DAY);
        },
      };
    case 'timestamp':
    case 'timestamptz':
      return { name, sqlType: () => sql.DateTime2(6), convert: (value) => preciseDate(name, asMicros(value)) };
    case 'binary':
      return {
        name,
        sqlType: () => sql.VarBinary(sql.MAX),
        // tedious wants a Buffer; this one shares the bytes rather than copying them.
        convert: (value) => {
          const bytes = value as Uint8Array;
          return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        },
      };
  }
}

/** Microseconds since the epoch as a Date tedious writes to the microsecond. */
export function preciseDate(column: string, micros: bigint | number): PreciseDate {
  if (micros < FIRST_MICROS || micros >= END_MICROS) {
    throw outOfRange(column, micros, 'microseconds from 1970-01-01, outside the years 1 to 9999 that datetime2 holds');
  }
  // Split into whole milliseconds (floored, so a time before 1970 keeps a positive
  // fraction) and the microseconds past them, in integer arithmetic so none is lost.
  let millis: number;
  let rest: number;
  if (typeof micros === 'bigint') {
    let whole = micros / 1000n;
    let part = micros % 1000n;
    if (part < 0n) {
      part += 1000n;
      whole -= 1n;
    }
    millis = Number(whole);
    rest = Number(part);
  } else {
    millis = Math.floor(micros / 1000);
    rest = micros - millis * 1000;
  }
  const date: PreciseDate = new Date(millis);
  date.nanosecondDelta = rest / 1_000_000;
  return date;
}
