// The column types a sink deals in, independent of dialect. A committed run's manifest
// names Spark types ("bigint", "decimal(22,2)", "timestamp"); each is read here into one
// SqlType, which each dialect turns into its own DDL and reads back from its catalog.
// `fits` decides whether a run's column can go into an existing table column without
// losing anything: wider is fine, narrower fails the load naming the column.

export type SqlType =
  | { kind: 'integer'; bits: 16 | 32 | 64 }
  | { kind: 'float'; bits: 32 | 64 }
  | { kind: 'decimal'; precision: number; scale: number }
  /** `length` undefined means unbounded (text, nvarchar(max)). */
  | { kind: 'string'; length?: number }
  | { kind: 'boolean' }
  | { kind: 'date' }
  /** An instant (Spark `timestamp`): stored with time zone. */
  | { kind: 'timestamptz' }
  /** A wall-clock time without zone (Spark `timestamp_ntz`). */
  | { kind: 'timestamp' }
  | { kind: 'binary' };

export type SqlColumn = { name: string; type: SqlType; nullable: boolean };

const SPARK_SIMPLE: Record<string, SqlType> = {
  tinyint: { kind: 'integer', bits: 16 },
  smallint: { kind: 'integer', bits: 16 },
  int: { kind: 'integer', bits: 32 },
  bigint: { kind: 'integer', bits: 64 },
  float: { kind: 'float', bits: 32 },
  double: { kind: 'float', bits: 64 },
  string: { kind: 'string' },
  boolean: { kind: 'boolean' },
  date: { kind: 'date' },
  timestamp: { kind: 'timestamptz' },
  timestamp_ntz: { kind: 'timestamp' },
  binary: { kind: 'binary' },
};

/** The SqlType of a Spark type name as a manifest records it, or undefined when no SQL column can hold it. */
export function sqlTypeOfSpark(sparkType: string): SqlType | undefined {
  const simple = SPARK_SIMPLE[sparkType];
  if (simple) return simple;
  const decimal = /^decimal\((\d{1,2}),(\d{1,2})\)$/.exec(sparkType);
  if (decimal) return { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  if (/^varchar\(\d+\)$|^char\(\d+\)$/.test(sparkType)) return { kind: 'string' };
  return undefined;
}

/** Digits left of the point that a signed integer of `bits` may need. */
const INTEGER_DIGITS = { 16: 5, 32: 10, 64: 19 } as const;

/** Whether every value of `run` fits a table column of type `table` unchanged. */
export function fits(run: SqlType, table: SqlType): boolean {
  switch (run.kind) {
    case 'integer':
      if (table.kind === 'integer') return table.bits >= run.bits;
      if (table.kind === 'decimal') return table.precision - table.scale >= INTEGER_DIGITS[run.bits];
      // A double holds every integer up to 2^53 exactly, which covers 16 and 32 bits.
      return table.kind === 'float' && table.bits === 64 && run.bits <= 32;
    case 'float':
      return table.kind === 'float' && table.bits >= run.bits;
    case 'decimal':
      return table.kind === 'decimal' && table.scale >= run.scale && table.precision - table.scale >= run.precision - run.scale;
    case 'string':
      // A bounded table column (a DBA's nvarchar(100)) is accepted: the run's strings carry
      // no declared length, and one too long fails the load with the server's own message.
      return table.kind === 'string';
    case 'timestamptz':
      return table.kind === 'timestamptz';
    default:
      return table.kind === run.kind;
  }
}

/** A type as people write it, for messages: "integer(64)", "decimal(22,2)". */
export function describeType(type: SqlType): string {
  switch (type.kind) {
    case 'integer':
    case 'float':
      return `${type.kind}(${type.bits})`;
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'string':
      return type.length === undefined ? 'string' : `string(${type.length})`;
    default:
      return type.kind;
  }
}
