// The PostgreSQL side of the type mapping (documented in docs/sql-type-mapping.md):
// SqlType → column DDL, and a catalog's declared type (format_type) → SqlType.
import type { SqlType } from '../sql-types.ts';

export function postgresColumnType(type: SqlType): string {
  switch (type.kind) {
    case 'integer':
      return { 16: 'smallint', 32: 'integer', 64: 'bigint' }[type.bits];
    case 'float':
      return type.bits === 32 ? 'real' : 'double precision';
    case 'decimal':
      return `numeric(${type.precision},${type.scale})`;
    case 'string':
      return type.length === undefined ? 'text' : `varchar(${type.length})`;
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamptz':
      return 'timestamptz';
    case 'timestamp':
      return 'timestamp';
    case 'binary':
      return 'bytea';
  }
}

/** An unconstrained numeric holds any decimal a run can carry. */
const ANY_NUMERIC: SqlType = { kind: 'decimal', precision: 1000, scale: 500 };

/** Reads `format_type()` output; undefined for types Sluice never writes into (json, arrays, ...). */
export function parsePostgresType(declared: string): SqlType | undefined {
  const simple: Record<string, SqlType> = {
    smallint: { kind: 'integer', bits: 16 },
    integer: { kind: 'integer', bits: 32 },
    bigint: { kind: 'integer', bits: 64 },
    real: { kind: 'float', bits: 32 },
    'double precision': { kind: 'float', bits: 64 },
    numeric: ANY_NUMERIC,
    text: { kind: 'string' },
    'character varying': { kind: 'string' },
    boolean: { kind: 'boolean' },
    date: { kind: 'date' },
    bytea: { kind: 'binary' },
  };
  if (simple[declared]) return simple[declared];
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(declared);
  if (numeric) return { kind: 'decimal', precision: Number(numeric[1]), scale: Number(numeric[2]) };
  const text = /^(character varying|character)\((\d+)\)$/.exec(declared);
  if (text) return { kind: 'string', length: Number(text[2]) };
  if (/^timestamp(\(\d\))? with time zone$/.test(declared)) return { kind: 'timestamptz' };
  if (/^timestamp(\(\d\))? without time zone$/.test(declared)) return { kind: 'timestamp' };
  return undefined;
}
