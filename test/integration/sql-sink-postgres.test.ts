// The SQL sink on a real PostgreSQL (Debian's, started by test/harness): the shared suite,
// then what is PostgreSQL's own (exact values through COPY, tables a DBA made, timeouts).
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestChecksum } from '../../broker/lake/manifests.ts';
import { readRunBatches } from '../../broker/lake/run-batches.ts';
import { openSinks, type SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import type { RowBatch } from '../../sql-sinks/sink.ts';
import { freePort } from '../harness/free-port.ts';
import { PostgresServer } from '../harness/postgres-server.ts';
import { writeTypedRun } from '../harness/typed-run.ts';
import { numberedRows, NUMBERED_COLUMNS } from '../harness/sink-rows.ts';
import { sinkSuite } from './sql-sink-suite.ts';

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await PostgresServer.start({ settings: { fsync: 'off' } });
});
afterAll(async () => {
  await server?.stop();
});

async function freshDatabase(): Promise<string> {
  const name = `sink_${databases++}`;
  await server.createDatabase(name);
  return name;
}

sinkSuite('PostgreSQL', async () => {
  const name = await freshDatabase();
  return {
    url: server.url(name),
    wrongPasswordUrl: server.url(name, 'not-the-password'),
    unknownDatabaseUrl: server.url('no_such_database'),
    unreachableUrl: `postgres://sluice:${server.password}@127.0.0.1:${await freePort()}/${name}`,
    password: server.password,
    query: (sql) => server.query(sql, name),
    killSluiceSessions: async () => {
      await server.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sluice' AND datname = $1`, name, [name]);
    },
    types: { int: 'integer', bigint: 'bigint', text: 'text' },
    close: async () => undefined,
  };
});

describe('PostgreSQL sink', () => {
  let sinks: SinkRegistry;
  let database: string;
  beforeAll(async () => {
    database = await freshDatabase();
    sinks = openSinks({ urls: { SLUICE_SQL_PG_URL: server.url(database) }, poolMax: 2, connectTimeoutMs: 5_000 });
  });
  afterAll(async () => sinks?.close());

  it('carries every value type exactly from a Parquet run to the table (decimals, microseconds, escapes, unicode, nulls, bytes)', async () => {
    const { lakeDir, lake, manifest } = await writeTypedRun({ ratio: 'inf', name: 'line\nbreak \\ back' });
try {
      await sinks.get('pg').load({
        jobId: 'typed',
        runAttempt: 1,
        output: { connection: 'pg', table: 'typed', keys: ['id'], mode: 'merge', partition_by: [] },
        columns: manifest.schema,
        rows: () => readRunBatches(lake, manifest, 2),
        checksum: manifestChecksum(manifest),
        timeoutMs: 30_000,
      });
      const rows = await server.query(
        `SELECT id, big::text, amount::text, ratio::text, name, ok, day::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at, encode(raw, 'hex') AS raw FROM typed ORDER BY id`,
        database,
      );
      expect(rows).toEqual([
        { id: 1, big: '9007199254740993', amount: '12345678901234567.891', ratio: '0.1', name: 'tab\there', ok: true, day: '2025-03-01', at: '2025-03-01 12:00:00.123456', raw: '0001ff' },
        { id: 2, big: '-5', amount: '-0.005', ratio: 'Infinity', name: 'line\nbreak \\ back', ok: false, day: '1969-12-31', at: '1969-12-31 23:59:59.999999', raw: '' },
        { id: 3, big: null, amount: null, ratio: null, name: 'Zürich ✓', ok: null, day: null, at: null, raw: null },
      ]);
      const types = await server.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'typed' ORDER BY ordinal_position`, database);
      expect(types.map((row) => row.data_type)).toEqual(['integer', 'bigint', 'numeric', 'double precision', 'text', 'boolean', 'date', 'timestamp with time zone', 'bytea']);
    } finally {
      await rm(lakeDir, { recursive: true, force: true });
    }
  });

  it('merges into a table a DBA made, leaving the columns Sluice does not write alone', async () => {
    await server.query("CREATE TABLE dba_made (x bigint PRIMARY KEY, n numeric(30,0), label varchar(20), note text DEFAULT 'kept')", database);
    await server.query("INSERT INTO dba_made (x, n, note) VALUES (1, 0, 'by hand')", database);
    const outcome = await sinks.get('pg').load({
      jobId: 'dba',
      runAttempt: 1,
      output: { connection: 'pg', table: 'dba_made', keys: ['x'], mode: 'merge', partition_by: [] },
      columns: NUMBERED_COLUMNS,
      rows: () => numberedRows(3, 4),
      checksum: 'c',
      timeoutMs: 30_000,
    });
    expect(outcome).toMatchObject({ inserted: 2, updated: 1 });
    expect(await server.query('SELECT x::int, n::int, label, note FROM dba_made ORDER BY x', database)).toEqual([
      { x: 0, n: 0, label: 'row 0', note: 'kept' },
      { x: 1, n: 4, label: 'row 1', note: 'by hand' },
      { x: 2, n: 8, label: 'row 2', note: 'kept' },
    ]);
  });

  it('fails a run with two rows for one key as the pipeline\'s fault, loading nothing', async () => {
    async function* twice() {
      const rows: RowBatch = [
        [1n, 1n, 'a'],
        [1n, 2n, 'b'],
      ];
      yield rows;
    }
    const error = await sinks
      .get('pg')
      .load({
        jobId: 'dupes',
        runAttempt: 1,
        output: { connection: 'pg', table: 'dupes', keys: ['x'], mode: 'merge', partition_by: [] },
        columns: NUMBERED_COLUMNS,
        rows: twice,
        checksum: 'c',
        timeoutMs: 30_000,
      })
      .catch((thrown: unknown) => thrown);
    expect((error as SinkError).failureClass).toBe('user');
    expect((error as SinkError).message).toMatch(/more than one row for the same key/);
    expect(await server.query('SELECT count(*)::int AS c FROM dupes', database)).toEqual([{ c: 0 }]);
  });

  it('stops a load that outlives its time with class timeout, writing nothing', async () => {
    await server.query('CREATE TABLE locked (x bigint PRIMARY KEY, n bigint, label text)', database);
    // Another session holds the table; the load's apply waits on it until its statement timeout.
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: server.url(database) });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE locked IN ACCESS EXCLUSIVE MODE');
    try {
      const error = await sinks
        .get('pg')
        .load({
          jobId: 'slow',
          runAttempt: 1,
          output: { connection: 'pg', table: 'locked', keys: ['x'], mode: 'merge', partition_by: [] },
          columns: NUMBERED_COLUMNS,
          rows: () => numberedRows(5, 1),
          checksum: 'c',
          timeoutMs: 1_500,
        })
        .catch((thrown: unknown) => thrown);
      expect((error as SinkError).failureClass).toBe('timeout');
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await server.query('SELECT count(*)::int AS c FROM locked', database)).toEqual([{ c: 0 }]);
  });
});
