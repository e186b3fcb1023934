// The SQL sink on a real SQL Server, when SLUICE_TEST_MSSQL_URL points at one (a login that
// may create databases, e.g. mssql://sa:<password>@127.0.0.1:1433/master?encrypt=true&trustServerCertificate=true):
// the shared suite, then what is SQL Server's own (exact values through the bulk load,
// values it cannot store, staging tables and pooled connections). No CI machine can install SQL
// Server, so without the URL the file says it was skipped and why.
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSinks, type SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import type { RowBatch, RunColumn } from '../../sql-sinks/sink.ts';
import { sqlServerConfig } from '../../sql-sinks/sqlserver/sqlserver-driver.ts';
import { freePort } from '../harness/free-port.ts';
import { numberedRows, NUMBERED_COLUMNS } from '../harness/sink-rows.ts';
import { loadTypedRun } from '../harness/typed-run.ts';
import { sinkSuite } from './sql-sink-suite.ts';

const SERVER_URL = process.env.SLUICE_TEST_MSSQL_URL;

/** A pool of the test's own (not named "sluice", so that killing Sluice's sessions spares it). */
async function testPool(url: string, database?: string): Promise<sql.ConnectionPool> {
  const { config } = sqlServerConfig({ url, poolMax: 2, connectTimeoutMs: 15_000 });
  const pool = new sql.ConnectionPool({ ...config, ...(database ? { database } : {}), options: { ...config.options, appName: 'sluice-test' } });
  pool.on('error', () => undefined);
  return pool.connect();
}

/** The server URL with another database, password or port. */
function urlWith(change: { database?: string; password?: string; host?: string; port?: number }): string {
  const url = new URL(SERVER_URL!);
  if (change.database !== undefined) url.pathname = `/${change.database}`;
  if (change.password !== undefined) url.password = change.password;
  if (change.host !== undefined) url.hostname = change.host;
  if (change.port !== undefined) url.port = String(change.port);
  return url.toString();
}

if (!SERVER_URL) {
  console.warn(
    'SQL Server sink tests skipped: SLUICE_TEST_MSSQL_URL is not set. SQL Server cannot be installed on the CI machines; ' +
      'point the variable at a server (mssql://sa:<password>@host:1433/master?encrypt=true&trustServerCertificate=true) to run them.',
  );
  describe('SQL Server sink', () => {
    it.skip('runs the shared sink suite and SQL Server\'s own tests (set SLUICE_TEST_MSSQL_URL)', () => undefined);
  });
} else {
  let admin: sql.ConnectionPool;
  let databases = 0;
  const password = decodeURIComponent(new URL(SERVER_URL).password);

  beforeAll(async () => {
    admin = await testPool(SERVER_URL);
  });
  afterAll(async () => {
    await admin?.close();
  });

  async function freshDatabase(): Promise<string> {
    const name = `sluice_sink_${Date.now().toString(36)}_${databases++}`;
    await admin.request().batch(`CREATE DATABASE [${name}]`);
    return name;
  }

  async function dropDatabase(name: string): Promise<void> {
    await admin.request().batch(`IF DB_ID(N'${name}') IS NOT NULL BEGIN ALTER DATABASE [${name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${name}]; END`);
  }

  async function rows(pool: sql.ConnectionPool, text: string): Promise<Record<string, unknown>[]> {
    return (await pool.request().query<Record<string, unknown>>(text)).recordset ?? [];
  }

  sinkSuite('SQL Server', async () => {
    const name = await freshDatabase();
    const pool = await testPool(SERVER_URL, name);
    return {
      url: urlWith({ database: name }),
      wrongPasswordUrl: urlWith({ database: name, password: 'not-the-password' }),
      unknownDatabaseUrl: urlWith({ database: 'no_such_database' }),
      unreachableUrl: urlWith({ database: name, host: '127.0.0.1', port: await freePort() }),
      password,
      query: (text) => rows(pool, text),
      holdTable: async (table) => {
        const holder = new sql.Transaction(pool);
        await holder.begin();
        await new sql.Request(holder).query(`SELECT 1 FROM ${table} WITH (TABLOCKX, HOLDLOCK) WHERE 1 = 0`);
        return async () => {
          await holder.rollback();
        };
      },
      killSluiceSessions: async () => {
        await admin
          .request()
          .input('database', sql.NVarChar(128), name)
          .batch(
            [
              "DECLARE @kill nvarchar(max) = N'';",
              "SELECT @kill += N'KILL ' + CAST(session_id AS nvarchar(10)) + N';' FROM sys.dm_exec_sessions",
              " WHERE program_name = N'sluice' AND database_id = DB_ID(@database) AND session_id <> @@SPID;",
              'EXEC (@kill);',
            ].join('\n'),
          );
      },
      types: { int: 'int', bigint: 'bigint', text: 'nvarchar(max)' },
      close: async () => {
        await pool.close();
        await dropDatabase(name);
      },
    };
  });

  describe('SQL Server sink', () => {
    let sinks: SinkRegistry;
    let database: string;
    let pool: sql.ConnectionPool;
    beforeAll(async () => {
      database = await freshDatabase();
      pool = await testPool(SERVER_URL, database);
      sinks = openSinks({ urls: { SLUICE_SQL_MSSQL_URL: urlWith({ database }) }, poolMax: 2, connectTimeoutMs: 15_000 });
    });
    afterAll(async () => {
      await sinks?.close();
      await pool?.close();
      if (database) await dropDatabase(database);
    });

    it('carries every value type exactly from a Parquet run to the table (decimals past 2^53, microseconds, unicode, nulls, bytes)', async () => {
      await loadTypedRun(sinks.get('mssql'), 'mssql', 'dbo.typed', { ratio: '-1.5e300', name: "line\nbreak ]] 'quote'" });
      const loaded = await rows(
        pool,
        `SELECT id, CAST(big AS nvarchar(30)) AS big, CAST(amount AS nvarchar(50)) AS amount, ratio, name, ok,
                CONVERT(nvarchar(10), day, 23) AS day, CONVERT(nvarchar(27), CAST(at AS datetime2(6)), 121) AS at,
                DATEPART(TZOFFSET, at) AS offset, CONVERT(nvarchar(max), raw, 2) AS raw
           FROM dbo.typed ORDER BY id`,
      );
      expect(loaded).toEqual([
        { id: 1, big: '9007199254740993', amount: '12345678901234567.891', ratio: 0.1, name: 'tab\there', ok: true, day: '2025-03-01', at: '2025-03-01 12:00:00.123456', offset: 0, raw: '0001FF' },
        { id: 2, big: '-5', amount: '-0.005', ratio: -1.5e300, name: "line\nbreak ]] 'quote'", ok: false, day: '1969-12-31', at: '1969-12-31 23:59:59.999999', offset: 0, raw: '' },
        { id: 3, big: null, amount: null, ratio: null, name: 'Zürich ✓', ok: null, day: null, at: null, offset: null, raw: null },
      ]);
      const types = await rows(pool, `SELECT DATA_TYPE AS type FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME = 'typed' ORDER BY ORDINAL_POSITION`);
      expect(types.map((row) => row.type)).toEqual(['int', 'bigint', 'decimal', 'float', 'nvarchar', 'bit', 'date', 'datetimeoffset', 'varbinary']);
    });

    it('fails a value SQL Server cannot store (an infinite float) as the data\'s fault, naming the column', async () => {
      async function* withInfinity() {
        yield [[1n, 1n, 'a', Number.POSITIVE_INFINITY]] as RowBatch;
      }
      const columns: RunColumn[] = [...NUMBERED_COLUMNS, { name: 'ratio', type: 'double', nullable: true }];
      const error = await sinks
        .get('mssql')
        .load({
          jobId: 'infinite',
          runAttempt: 1,
          output: { connection: 'mssql', table: 'dbo.infinite', keys: ['x'], mode: 'merge', partition_by: [] },
          columns,
          rows: withInfinity,
          checksum: 'c',
          timeoutMs: 30_000,
        })
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(SinkError);
      expect((error as SinkError).failureClass).toBe('data');
      expect((error as SinkError).message).toMatch(/column "ratio"/);
    });

    it('leaves no staging table on a pooled connection after a committed load', async () => {
      const output = { connection: 'mssql', table: 'dbo.reused', keys: ['x'], mode: 'merge' as const, partition_by: [] };
      for (const job of ['reused-1', 'reused-2', 'reused-3']) {
        await sinks.get('mssql').load({ jobId: job, runAttempt: 1, output, columns: NUMBERED_COLUMNS, rows: () => numberedRows(10, 1), checksum: 'c', timeoutMs: 30_000 });
      }
      expect(await rows(pool, 'SELECT count(*) AS c FROM dbo.reused')).toEqual([{ c: 10 }]);
      expect(await rows(pool, "SELECT count(*) AS c FROM tempdb.sys.tables WHERE name LIKE N'#sluice[_]staging%'")).toEqual([{ c: 0 }]);
    });
  });
}
