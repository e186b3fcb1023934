// The SQL sink on a real PostgreSQL (Debian's, started by test/harness): the shared suite,
// then what is PostgreSQL's own (exact values through COPY).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSinks, type SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import { DDL_LOCK_WAIT_MS } from '../../sql-sinks/postgres/postgres-driver.ts';
import { freePort } from '../harness/free-port.ts';
import { waitFor } from '../harness/wait-for.ts';
import { PostgresServer } from '../harness/postgres-server.ts';
import { loadTypedRun } from '../harness/typed-run.ts';
import { numberedRows, NUMBERED_COLUMNS } from '../harness/sink-rows.ts';
import type { LoadRequest, RowBatch } from '../../sql-sinks/sink.ts';
import { sinkSuite } from './sql-sink-suite.ts';

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await PostgresServer.start({ settings: { fsync: 'off' } });
});
afterAll(async () => {
  await server?.destroy();
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
    holdTable: async (table) => (await server.holding(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`, name)).end,
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

  /** A merge of `rows` (NUMBERED_COLUMNS unless given) into `table` on x, as a job's load step makes it. */
  const mergeInto = (table: string, jobId: string, rows: LoadRequest['rows'], extra: Partial<LoadRequest> = {}) =>
    sinks.get('pg').load({
      jobId,
      runAttempt: 1,
      output: { connection: 'pg', table, keys: ['x'], mode: 'merge', partition_by: [] },
      columns: NUMBERED_COLUMNS,
      rows,
      checksum: 'c'.repeat(64),
      timeoutMs: 60_000,
      ...extra,
    });
  /** Waits until `count` says no session is left (the server ends a closed one's work shortly after). */
  const waitForNone = (count: () => Promise<Array<Record<string, unknown>>>) =>
    waitFor('no Sluice session left working', async () => ((await count())[0]!.n === 0 ? true : undefined), 5_000, 50);
  const rejection = (load: Promise<unknown>): Promise<unknown> =>
    load.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

  it('carries every value type exactly from a Parquet run to the table (decimals, microseconds, escapes, unicode, nulls, bytes)', async () => {
    await loadTypedRun(sinks.get('pg'), 'pg', 'typed', { ratio: 'inf', name: 'line\nbreak \\ back' });
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
  });

  it('refuses a column name PostgreSQL would cut to 63 bytes, as the pipeline\'s to fix, and makes no table', async () => {
    const long = `label_${'x'.repeat(58)}`; // 64 bytes
    const columns = [NUMBERED_COLUMNS[0]!, NUMBERED_COLUMNS[1]!, { name: long, type: 'string', nullable: true }];
    const error = await rejection(mergeInto('long_named', 'long-name', () => numberedRows(10, 1), { columns }));
    expect(error).toMatchObject({ failureClass: 'user', message: `column name "${long}" is 64 bytes long; PostgreSQL keeps names to 63 bytes: give it a shorter name in the pipeline` });
    expect(await server.query(`SELECT to_regclass('long_named') IS NULL AS missing`, database)).toEqual([{ missing: true }]);
  });

  it('fails a string holding NUL (which PostgreSQL text cannot hold) as bad data, naming the staged row and column', async () => {
    const rows = async function* () {
      yield [
        [1n, 1n, 'fine'],
        [2n, 2n, 'nul \u0000 inside'],
      ] as RowBatch;
    };
    const error = await rejection(mergeInto('with_nul', 'nul-value', rows));
    expect(error).toMatchObject({ failureClass: 'data' });
    expect((error as Error).message).toMatch(/^PostgreSQL 22021: .*\[staged row 2, column label\]$/);
  });

  it('adds a new column without holding readers up behind a long read: the change gives way after its lock wait, and the load goes on once the read ends', async () => {
    await server.query('CREATE TABLE reported (x bigint NOT NULL PRIMARY KEY, n bigint NOT NULL)', database);
    // A long report reads the table in another session; the run brings a column it lacks.
    const report = await server.holding('SELECT count(*) FROM reported', database);
    try {
      const load = mergeInto('reported', 'new-column', () => numberedRows(10, 1));
      load.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // A reader who comes while the change waits: it gets through once the change gives way
      // (DDL_LOCK_WAIT_MS), not when the report ends, which here is never before it answers.
      const reader = server.query('SELECT count(*)::int AS rows FROM reported', database);
      const late = new Promise<'held up'>((resolve) => setTimeout(() => resolve('held up'), DDL_LOCK_WAIT_MS + 4_000));
      expect(await Promise.race([reader, late])).toEqual([{ rows: 0 }]);
      await report.end();
      // The load's next try finds the table free and adds the column.
      expect(await load).toMatchObject({ inserted: 10, alreadyLoaded: false });
    } finally {
      await report.end();
    }
    expect(await server.query(`SELECT count(label)::int AS labelled FROM reported`, database)).toEqual([{ labelled: 10 }]);
  }, 30_000);

  it('stops a load its caller gave up on at once, even mid-statement: the statement is cancelled and nothing is left open', async () => {
    await server.query('CREATE TABLE held_up (x bigint NOT NULL PRIMARY KEY, n bigint NOT NULL, label text)', database);
    const holder = await server.holding('LOCK TABLE held_up IN ACCESS EXCLUSIVE MODE', database);
    try {
      const givenUp = new AbortController();
      // Its stage has an hour left; the caller gives up (a cancel) while it waits for the table.
      const load = rejection(mergeInto('held_up', 'given-up', () => numberedRows(10, 1), { signal: givenUp.signal, timeoutMs: 3_600_000 }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const waiting = () => server.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sluice' AND datname = $1 AND state <> 'idle'`, database, [database]);
      expect(await waiting()).toEqual([{ n: 1 }]);
      givenUp.abort();
      const late = new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 5_000));
      const error = await Promise.race([load, late]);
      expect(error).toMatchObject({ failureClass: 'timeout', message: expect.stringMatching(/given up by its caller/) });
      await waitForNone(waiting);
    } finally {
      await holder.end();
    }
    expect(await server.query('SELECT count(*)::int AS rows FROM held_up', database)).toEqual([{ rows: 0 }]);
  });

  it('makes two loads into one table wait for each other however the pipelines spell its name ("spelled" and "public.spelled")', async () => {
    // A table a DBA made, with no key index: only the load lock keeps a merge from inserting a key twice.
    await server.query('CREATE TABLE spelled (x bigint NOT NULL, n bigint NOT NULL, label text)', database);
    const load = (table: string, job: string, scale: number, onProgress?: LoadRequest['onProgress']) =>
      mergeInto(table, job, () => numberedRows(500, scale), onProgress ? { onProgress } : {});
    // The first holds its lock at "applying" until the second has had time to reach its own.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let applying!: () => void;
    const firstApplying = new Promise<void>((resolve) => (applying = resolve));
    const first = load('spelled', 'spelled-1', 1, async ({ phase }) => {
      if (phase === 'applying') {
        applying();
        await held;
      }
    });
    await firstApplying;
    const second = load('public.spelled', 'spelled-2', 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    const [one, two] = await Promise.all([first, second]);
    expect([one.inserted, two.inserted, two.updated]).toEqual([500, 0, 500]);
    const rows = await server.query('SELECT count(*)::int AS rows, count(DISTINCT x)::int AS keys, sum(n)::bigint::text AS total FROM spelled', database);
    expect(rows).toEqual([{ rows: 500, keys: 500, total: String(2 * ((499 * 500) / 2)) }]);
  });
});
