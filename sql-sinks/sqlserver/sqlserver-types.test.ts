import sql from 'mssql';
import { TYPES as TDS } from 'tedious';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../sink-error.ts';
import type { RowValue } from '../sink.ts';
import { fits, type SqlType } from '../sql-types.ts';
import {
  bulkColumn,
  declaredSqlServerType,
  parseSqlServerType,
  preciseDate,
  sqlServerColumnType,
  stagedValue,
  stagingColumnType,
  type CatalogColumn,
} from './sqlserver-types.ts';

const catalog = (dataType: string, patch: Partial<CatalogColumn> = {}): CatalogColumn => ({ dataType, maxLength: null, precision: null, scale: null, ...patch });

const EVERY_TYPE: SqlType[] = [
  { kind: 'integer', bits: 16 },
  { kind: 'integer', bits: 32 },
  { kind: 'integer', bits: 64 },
  { kind: 'float', bits: 32 },
  { kind: 'float', bits: 64 },
  { kind: 'decimal', precision: 38, scale: 10 },
  { kind: 'string' },
  { kind: 'boolean' },
  { kind: 'date' },
  { kind: 'timestamptz' },
  { kind: 'timestamp' },
  { kind: 'binary' },
];

/** What INFORMATION_SCHEMA.COLUMNS reports for a column declared as `declared`. */
function catalogOf(declared: string): CatalogColumn {
  const sized = /^(\w+)\((max|\d+)(?:,(\d+))?\)$/.exec(declared);
  if (!sized) return catalog(declared, declared === 'float' ? { precision: 53 } : declared === 'real' ? { precision: 24 } : {});
  const [, dataType, first, second] = sized as unknown as [string, string, string, string | undefined];
  if (dataType === 'decimal') return catalog(dataType, { precision: Number(first), scale: Number(second) });
  if (dataType === 'datetime2' || dataType === 'datetimeoffset') return catalog(dataType, { datetimePrecision: Number(first) });
  return catalog(dataType, { maxLength: first === 'max' ? -1 : Number(first) });
}

describe('type mapping', () => {
  it('declares each type as the documented SQL Server column type', () => {
    expect(EVERY_TYPE.map((type) => sqlServerColumnType(type))).toEqual([
      'smallint',
      'int',
      'bigint',
      'real',
      'float',
      'decimal(38,10)',
      'nvarchar(max)',
      'bit',
      'date',
      'datetimeoffset(6)',
      'datetime2(6)',
      'varbinary(max)',
    ]);
  });

  it('keeps key columns within the 900 bytes an index key may hold', () => {
    expect(sqlServerColumnType({ kind: 'string' }, 'key')).toBe('nvarchar(450)');
    expect(sqlServerColumnType({ kind: 'binary' }, 'key')).toBe('varbinary(900)');
    expect(sqlServerColumnType({ kind: 'integer', bits: 64 }, 'key')).toBe('bigint');
  });

  it('reads every column it creates back as a type that takes the run again (a second load never fails on its own table)', () => {
    for (const type of EVERY_TYPE) {
      for (const role of ['key', 'value'] as const) {
        const read = parseSqlServerType(catalogOf(sqlServerColumnType(type, role)));
        expect(read, `${sqlServerColumnType(type, role)}`).toBeDefined();
        expect(fits(type, read!), `${type.kind} into ${sqlServerColumnType(type, role)}`).toBe(true);
      }
    }
  });

  it('reads the catalog types a DBA may have chosen', () => {
    expect(parseSqlServerType(catalog('tinyint'))).toEqual({ kind: 'integer', bits: 16 });
    expect(parseSqlServerType(catalog('float', { precision: 24 }))).toEqual({ kind: 'float', bits: 32 });
    expect(parseSqlServerType(catalog('float', { precision: 53 }))).toEqual({ kind: 'float', bits: 64 });
    expect(parseSqlServerType(catalog('numeric', { precision: 10, scale: 2 }))).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(parseSqlServerType(catalog('nvarchar', { maxLength: 100 }))).toEqual({ kind: 'string', length: 100 });
    expect(parseSqlServerType(catalog('varchar', { maxLength: -1 }))).toEqual({ kind: 'string' });
    expect(parseSqlServerType(catalog('datetime'))).toEqual({ kind: 'timestamp' });
    expect(parseSqlServerType(catalog('DATETIMEOFFSET', { datetimePrecision: 7 }))).toEqual({ kind: 'timestamptz' });
  });

  it('reads types Sluice never writes as unknown, so a run column meeting one fails naming it', () => {
    for (const dataType of ['money', 'smallmoney', 'xml', 'uniqueidentifier', 'sql_variant', 'time', 'ntext', 'text', 'image', 'geography', 'smalldatetime', 'hierarchyid']) {
      expect(parseSqlServerType(catalog(dataType)), dataType).toBeUndefined();
    }
  });

  it('refuses what would lose values: a narrower integer, a smaller decimal scale, a datetime2 for an instant', () => {
    expect(fits({ kind: 'integer', bits: 64 }, parseSqlServerType(catalog('int'))!)).toBe(false);
    expect(fits({ kind: 'decimal', precision: 22, scale: 3 }, parseSqlServerType(catalog('decimal', { precision: 22, scale: 2 }))!)).toBe(false);
    expect(fits({ kind: 'timestamptz' }, parseSqlServerType(catalog('datetime2', { datetimePrecision: 6 }))!)).toBe(false);
  });

  it('names the declared type in messages as SQL Server writes it', () => {
    expect(declaredSqlServerType(catalog('nvarchar', { maxLength: -1 }))).toBe('nvarchar(max)');
    expect(declaredSqlServerType(catalog('varchar', { maxLength: 20 }))).toBe('varchar(20)');
    expect(declaredSqlServerType(catalog('decimal', { precision: 10, scale: 2 }))).toBe('decimal(10,2)');
    expect(declaredSqlServerType(catalog('datetime2', { datetimePrecision: 3 }))).toBe('datetime2(3)');
    expect(declaredSqlServerType(catalog('money'))).toBe('money');
  });
});

describe('staging forms', () => {
  it('stages decimals as exact text and instants as UTC datetime2, converting them on the server', () => {
    expect(stagingColumnType({ kind: 'decimal', precision: 38, scale: 10 })).toBe('nvarchar(64)');
    expect(stagedValue({ kind: 'decimal', precision: 38, scale: 10 }, '[x]')).toBe('CAST([x] AS decimal(38,10))');
    expect(stagingColumnType({ kind: 'timestamptz' })).toBe('datetime2(6)');
    expect(stagedValue({ kind: 'timestamptz' }, '[x]')).toBe('TODATETIMEOFFSET([x], 0)');
  });

  it('stages every other type as the target declares it (unbounded), read back unchanged', () => {
    expect(stagingColumnType({ kind: 'string', length: 20 })).toBe('nvarchar(max)');
    expect(stagingColumnType({ kind: 'integer', bits: 64 })).toBe('bigint');
    expect(stagedValue({ kind: 'timestamp' }, '[x]')).toBe('[x]');
  });

  it('gives a new mssql type object per call (mssql writes the column name onto it)', () => {
    const column = bulkColumn({ name: 'x', type: { kind: 'string' }, nullable: true });
    expect(column.sqlType()).not.toBe(column.sqlType());
    expect(column.sqlType()).toMatchObject({ type: sql.NVarChar, length: sql.MAX });
  });
});

/** Runs a value through tedious's own validation and wire encoding, as a bulk load does. */
function wire(type: keyof typeof TDS, value: unknown, parameter: { scale?: number; precision?: number; length?: number } = {}): Buffer {
  const dataType = TDS[type] as unknown as {
    validate(value: unknown, collation?: unknown, options?: unknown): unknown;
    generateParameterData(parameter: unknown, options: unknown): Iterable<Buffer>;
  };
  const validated = dataType.validate(value, undefined, { useUTC: true });
  return Buffer.concat([...dataType.generateParameterData({ ...parameter, value: validated }, { useUTC: true })]);
}

describe('values as tedious writes them', () => {
  const convert = (type: SqlType, value: RowValue) => bulkColumn({ name: 'c', type, nullable: true }).convert(value);

  it('writes a bigint beyond 2^53 exactly', () => {
    const value = convert({ kind: 'integer', bits: 64 }, 9_007_199_254_740_993n);
    expect(wire('BigInt', value).readBigInt64LE(0)).toBe(9_007_199_254_740_993n);
    expect(wire('BigInt', convert({ kind: 'integer', bits: 64 }, -5)).readBigInt64LE(0)).toBe(-5n);
  });

  it('passes a decimal on as its exact text', () => {
    expect(convert({ kind: 'decimal', precision: 20, scale: 3 }, '12345678901234567.891')).toBe('12345678901234567.891');
    expect(bulkColumn({ name: 'c', type: { kind: 'decimal', precision: 20, scale: 3 }, nullable: true }).sqlType()).toMatchObject({ type: sql.NVarChar, length: 64 });
  });

  it('writes a timestamp to the microsecond, before 1970 too', () => {
    const micros = [1_740_830_400_123_456n, -1n, -62_135_596_800_000_000n, 253_402_300_799_999_999n];
    for (const value of micros) {
      const bytes = wire('DateTime2', convert({ kind: 'timestamp' }, value), { scale: 6 });
      // datetime2(6): 5 bytes of microseconds into the day, then 3 bytes of days since 0001-01-01.
      const ofDay = BigInt(bytes.readUIntLE(0, 5));
      const days = BigInt(bytes.readUIntLE(5, 3));
      expect(days * 86_400_000_000n + ofDay - 62_135_596_800_000_000n, String(value)).toBe(value);
    }
  });

  it('writes a timestamp the reader gave as a number to the microsecond too', () => {
    // Up to the largest exact number of microseconds (2^53 - 1, some 285 years either side of 1970).
    for (const value of [1_740_830_400_123_456, -1, -999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      const bytes = wire('DateTime2', convert({ kind: 'timestamp' }, value), { scale: 6 });
      const micros = BigInt(bytes.readUIntLE(5, 3)) * 86_400_000_000n + BigInt(bytes.readUIntLE(0, 5)) - 62_135_596_800_000_000n;
      expect(micros, String(value)).toBe(BigInt(value));
    }
  });

  it('stages an instant (timestamptz) as the same UTC microseconds', () => {
    const bytes = wire('DateTime2', convert({ kind: 'timestamptz' }, 1_740_830_400_123_456n), { scale: 6 });
    expect(bytes.readUIntLE(0, 5)).toBe((12 * 3600 + 0) * 1_000_000 + 123_456);
  });

  it('writes a date from its days since 1970, whatever the worker\'s time zone', () => {
    for (const days of [20_148, -1, -719_162, 2_932_896]) {
      const bytes = wire('Date', convert({ kind: 'date' }, days));
      expect(bytes.readUIntLE(0, 3) - 719_162, String(days)).toBe(days);
    }
  });

  it('hands binary values over as a Buffer sharing the bytes', () => {
    const source = new Uint8Array([9, 0, 1, 255, 7]).subarray(1, 4);
    const value = convert({ kind: 'binary' }, source) as Buffer;
    expect(Buffer.isBuffer(value)).toBe(true);
    expect([...value]).toEqual([0, 1, 255]);
    expect(value.buffer).toBe(source.buffer);
  });

  it('turns small integers given as bigint into numbers, and keeps strings and booleans', () => {
    expect(convert({ kind: 'integer', bits: 32 }, 7n)).toBe(7);
    expect(convert({ kind: 'string' }, 'Zürich ✓')).toBe('Zürich ✓');
    expect(convert({ kind: 'boolean' }, false)).toBe(false);
  });

  it('fails a value SQL Server cannot store as the data\'s fault, naming the column', () => {
    const failures = [
      () => convert({ kind: 'float', bits: 64 }, Number.POSITIVE_INFINITY),
      () => convert({ kind: 'float', bits: 32 }, Number.NaN),
      () => convert({ kind: 'date' }, 2_932_897),
      () => convert({ kind: 'timestamp' }, 253_402_300_800_000_000n),
      () => preciseDate('c', -62_135_596_800_000_001n),
    ];
    for (const fail of failures) {
      const error = (() => {
        try {
          fail();
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(SinkError);
      expect((error as SinkError).failureClass).toBe('data');
      expect((error as SinkError).message).toMatch(/^column "c" holds /);
    }
  });
});
