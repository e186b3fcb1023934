import { describe, expect, it } from 'vitest';
import { parseTableName } from '../identifiers.ts';
import { readPostgresError } from './postgres-errors.ts';
import { applyStatements, checkServerVersion, createPostgresDriver, repeatedKeysSql } from './postgres-driver.ts';
import { parsePostgresType, postgresColumnType } from './postgres-types.ts';
import { runSqlColumns } from '../schema-plan.ts';
import { SinkError } from '../sink-error.ts';

const columns = runSqlColumns([
  { name: 'site_id', type: 'bigint', nullable: false },
  { name: 'Day', type: 'date', nullable: false },
  { name: 'kwh', type: 'double', nullable: true },
]);

describe('PostgreSQL apply statements', () => {
  it('merges with every identifier quoted, updating only the non-key columns', () => {
    const { count, write } = applyStatements({ table: parseTableName('dbo.MeterDaily'), columns, output: { connection: 'r', table: 'dbo.MeterDaily', keys: ['site_id', 'Day'], mode: 'merge', partition_by: [] } });
    expect(write).toBe(
      'MERGE INTO "dbo"."MeterDaily" t USING pg_temp.sluice_staging s ON t."site_id" = s."site_id" AND t."Day" = s."Day" WHEN MATCHED THEN UPDATE SET "kwh" = s."kwh" WHEN NOT MATCHED THEN INSERT ("site_id", "Day", "kwh") VALUES (s."site_id", s."Day", s."kwh")',
    );
    expect(count).toContain('WHERE EXISTS (SELECT 1 FROM "dbo"."MeterDaily" t WHERE t."site_id" = s."site_id" AND t."Day" = s."Day")');
  });

  it('offers a plain insert in key order for a merge whose staged rows match nothing', () => {
    const { insertOnly } = applyStatements({ table: parseTableName('dbo.MeterDaily'), columns, output: { connection: 'r', table: 'dbo.MeterDaily', keys: ['site_id', 'Day'], mode: 'merge', partition_by: [] } });
    expect(insertOnly).toBe(`INSERT INTO "dbo"."MeterDaily" (${columns.map((c) => `"${c.name}"`).join(', ')}) SELECT ${columns.map((c) => `"${c.name}"`).join(', ')} FROM pg_temp.sluice_staging ORDER BY "site_id", "Day"`);
  });

  it('merges rows made only of keys by inserting the missing ones', () => {
    const keysOnly = columns.slice(0, 2);
    const { write } = applyStatements({ table: parseTableName('t'), columns: keysOnly, output: { connection: 'r', table: 't', keys: ['site_id', 'Day'], mode: 'merge', partition_by: [] } });
    expect(write).not.toContain('WHEN MATCHED');
  });

  it('replaces the partitions the run holds, then inserts', () => {
    const statements = applyStatements({ table: parseTableName('t'), columns, output: { connection: 'r', table: 't', keys: [], mode: 'replace-partitions', partition_by: ['Day'] } });
    // NULL-safe: a run's NULL partition replaces the table's.
    expect(statements.delete).toBe('DELETE FROM "t" t WHERE EXISTS (SELECT 1 FROM (SELECT DISTINCT "Day" FROM pg_temp.sluice_staging) s WHERE t."Day" IS NOT DISTINCT FROM s."Day")');
    expect(statements.write).toBe('INSERT INTO "t" ("site_id", "Day", "kwh") SELECT "site_id", "Day", "kwh" FROM pg_temp.sluice_staging');
  });

  it('refuses a table name that is not two plain identifiers', () => {
    expect(() => parseTableName('dbo.T; DROP TABLE x')).toThrow(SinkError);
    expect(() => parseTableName('a.b.c')).toThrow(/"table" or "schema.table"/);
  });
});

describe('PostgreSQL server version', () => {
  it('refuses a server without MERGE (before 15), naming its version, and takes 15 and later', () => {
    expect(() => checkServerVersion(140011, '14.11 (Debian 14.11-1)')).toThrow(/the PostgreSQL server is version 14\.11 \(Debian 14\.11-1\); Sluice's loads need PostgreSQL 15 or later/);
    expect(() => checkServerVersion(140011, '14.11')).toThrow(SinkError);
    expect(() => checkServerVersion(150000, '15.0')).not.toThrow();
    expect(() => checkServerVersion(170002, '17.2')).not.toThrow();
  });
});

describe('PostgreSQL repeated keys', () => {
  it('counts the key values the staged rows repeat, quoting each key', () => {
    expect(repeatedKeysSql(['site_id', 'da"y'])).toBe('SELECT count(*)::bigint AS repeated FROM (SELECT 1 FROM pg_temp.sluice_staging GROUP BY "site_id", "da""y" HAVING count(*) > 1) d');
  });
});

describe('PostgreSQL types', () => {
  it('maps each SQL type to DDL and reads the catalog back to the same type', () => {
    for (const type of ['smallint', 'int', 'bigint', 'float', 'double', 'decimal(38,9)', 'string', 'boolean', 'date', 'timestamp', 'timestamp_ntz', 'binary']) {
      const sql = runSqlColumns([{ name: 'c', type, nullable: true }])[0]!.type;
      const ddl = postgresColumnType(sql);
      const catalog = { timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone', 'numeric(38,9)': 'numeric(38,9)' }[ddl] ?? ddl;
      expect(parsePostgresType(catalog)).toEqual(sql);
    }
    expect(parsePostgresType('character varying(40)')).toEqual({ kind: 'string', length: 40 });
    expect(parsePostgresType('jsonb')).toBeUndefined();
  });
});

describe('PostgreSQL error reading', () => {
  const server = (code: string, message = 'boom') => Object.assign(new Error(message), { code, severity: 'ERROR' });
  it('retries deadlocks, serialization failures and dropped sessions within the stage', () => {
    for (const code of ['40P01', '40001', '57P01', '08006']) expect(readPostgresError(server(code))).toMatchObject({ failureClass: 'platform', transient: true });
    expect(readPostgresError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ transient: true });
  });
  it('fails logins, missing databases and refused connections as platform, without a quick retry', () => {
    for (const code of ['28P01', '3D000']) expect(readPostgresError(server(code))).toMatchObject({ failureClass: 'platform', transient: false });
    expect(readPostgresError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ failureClass: 'platform', transient: false });
  });
  it('reads a statement timeout as timeout, bad values as data, and other server errors as the pipeline\'s', () => {
    expect(readPostgresError(server('57014'))?.failureClass).toBe('timeout');
    expect(readPostgresError(server('22003'))?.failureClass).toBe('data');
    expect(readPostgresError(server('42703', 'column "x" does not exist'))).toMatchObject({ failureClass: 'user', message: 'PostgreSQL 42703: column "x" does not exist' });
    expect(readPostgresError(new TypeError('a bug'))).toBeUndefined();
  });
  it('names the column and staged row a bad value was found in, which the message alone does not', () => {
    const nul = Object.assign(server('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), { where: 'COPY sluice_staging, line 3, column label' });
    expect(readPostgresError(nul)).toMatchObject({ failureClass: 'data', message: 'PostgreSQL 22021: invalid byte sequence for encoding "UTF8": 0x00 [staged row 3, column label]' });
    const notNull = Object.assign(server('23502', 'null value in column "n" violates not-null constraint'), { column: 'n' });
    expect(readPostgresError(notNull)?.message).toBe('PostgreSQL 23502: null value in column "n" violates not-null constraint [column n]');
  });
});

describe('PostgreSQL connection URL', () => {
  it.each(['postgres://loader:Sup3rSecret@db:99999/x', 'postgres://loader:Sup3rSecret%@db/x'])(
    'refuses %s as the user\'s to fix, with no trace of the password in the error',
    (url) => {
      let thrown: unknown;
      try {
        createPostgresDriver({ url, poolMax: 1, connectTimeoutMs: 1_000 });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SinkError);
      expect((thrown as SinkError).failureClass).toBe('user');
      expect(JSON.stringify(thrown, Object.getOwnPropertyNames(thrown))).not.toContain('Sup3rSecret');
    },
  );
});
