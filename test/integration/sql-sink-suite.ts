// The sink behaviour every SQL dialect must show, run against a real server through the
// Sink interface: sql-sink-postgres.test.ts runs it on PostgreSQL (always), and
// sql-sink-sqlserver.test.ts on SQL Server when SLUICE_TEST_MSSQL_URL points at one.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadOutcome } from '../../broker/core/job.ts';
import type { SqlOutput } from '../../broker/core/pipeline.ts';
import { openSinks, type SinkRegistry } from '../../sql-sinks/open-sinks.ts';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import type { LoadRequest, RunColumn, RowBatch } from '../../sql-sinks/sink.ts';
import { numberedRows, NUMBERED_COLUMNS } from '../harness/sink-rows.ts';

export type SinkDatabase = {
  /** A fresh, empty database on the server under test. */
  url: string;
  /** The same login with a wrong password; an unknown database; a port nothing listens on. */
  wrongPasswordUrl: string;
  unknownDatabaseUrl: string;
  unreachableUrl: string;
  password: string;
  /** Rows of a query in `url`'s database. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Ends every session that Sluice opened (application name "sluice"), as a failover would. */
  killSluiceSessions(): Promise<void>;
  /** Locks `table` from another session until the returned function is called. */
  holdTable(table: string): Promise<() => Promise<void>>;
  /** Column type names of the dialect, for tables the tests create by hand. */
  types: { int: string; bigint: string; text: string };
  close(): Promise<void>;
};

const merge = (table: string, keys = ['x']): SqlOutput => ({ connection: 'target', table, keys, mode: 'merge', partition_by: [] });

let next = 0;
const jobId = () => `job-${Date.now().toString(36)}-${next++}`;

function request(output: SqlOutput, rows: () => AsyncIterable<RowBatch>, patch: Partial<LoadRequest> = {}): LoadRequest {
  return { jobId: jobId(), runAttempt: 1, output, columns: NUMBERED_COLUMNS, rows, checksum: 'c'.repeat(64), timeoutMs: 60_000, ...patch };
}

async function failure(promise: Promise<unknown>): Promise<SinkError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

/** Runs a load in a child process that stops at `phase`; resolves once it is paused there. */
async function pausedChild(url: string, table: string, job: string, rows: number, scale: number, phase: string, afterRows = 0) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/harness/sink-load-child.ts', url, table, job, String(rows), String(scale), phase, String(afterRows)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`load child exited with ${code} before pausing at ${phase}`)));
    lines.on('line', (line) => {
      if (line.startsWith('PAUSED')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return {
    kill: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export function sinkSuite(dialect: string, openDatabase: () => Promise<SinkDatabase>): void {
  describe(`${dialect} sink (shared suite)`, () => {
    let db: SinkDatabase;
    let sinks: SinkRegistry;
    const sink = () => sinks.get('target');
    const count = async (table: string) => Number((await db.query(`SELECT count(*) AS c FROM ${table}`))[0]!.c);
    const values = async (table: string) => (await db.query(`SELECT x, n FROM ${table} ORDER BY x`)).map((row) => [Number(row.x), Number(row.n)]);
    const ledger = async (job: string) => db.query(`SELECT job_id, attempt, sink, rows FROM sluice_load_ledger WHERE job_id = '${job}'`);

    beforeAll(async () => {
      db = await openDatabase();
      await db.query('CREATE SCHEMA sluice_test');
      sinks = openSinks({ urls: { SLUICE_SQL_TARGET_URL: db.url }, poolMax: 4, connectTimeoutMs: 5_000 });
    });
    afterAll(async () => {
      await sinks?.close();
      await db?.close();
    });

    it('creates a missing table with the keys as primary key, loads every row and reports the counts', async () => {
      const outcome = await sink().load(request(merge('sluice_test.created'), () => numberedRows(2_500, 2)));
      expect(outcome).toMatchObject({ rowsStaged: 2_500, inserted: 2_500, updated: 0, deleted: 0, alreadyLoaded: false, mode: 'merge' });
      expect(await count('sluice_test.created')).toBe(2_500);
      expect((await values('sluice_test.created'))[1_234]).toEqual([1_234, 2_468]);
      // The primary key is there: a second row with the same key is refused by the server itself.
      await expect(db.query(`INSERT INTO sluice_test.created (x, n) VALUES (1, 1)`)).rejects.toThrow();
    });

    it('merges on the keys: overlapping keys take the later run\'s values, new keys are inserted', async () => {
      const table = 'sluice_test.merged';
      await sink().load(request(merge(table), () => numberedRows(100, 1)));
      const second = await sink().load(request(merge(table), () => numberedRows(100, 10, 1_000, 50)));
      expect(second).toMatchObject({ rowsStaged: 100, inserted: 50, updated: 50 });
      const rows = await values(table);
      expect(rows).toHaveLength(150);
      expect(rows[49]).toEqual([49, 49]);
      expect(rows[50]).toEqual([50, 500]);
      expect(rows[149]).toEqual([149, 1_490]);
    });

    it('loads a run once: a second load of the same job, attempt and sink writes nothing', async () => {
      const table = 'sluice_test.once';
      const first = request({ ...merge(table), mode: 'append', keys: [] }, () => numberedRows(300, 1));
      await sink().load(first);
      const again = await sink().load({ ...first, rows: () => numberedRows(300, 99) });
      expect(again).toMatchObject({ alreadyLoaded: true, rowsStaged: 300, inserted: 300 });
      expect(await count(table)).toBe(300);
      expect(await ledger(first.jobId)).toHaveLength(1);
      // Another attempt of the same job is another run: it loads.
      await sink().load({ ...first, runAttempt: 2 });
      expect(await count(table)).toBe(600);
    });

    it('replaces whole partitions and leaves the others alone', async () => {
      const table = 'sluice_test.partitions';
      const columns: RunColumn[] = [...NUMBERED_COLUMNS, { name: 'day', type: 'date', nullable: false }];
      const output: SqlOutput = { connection: 'target', table, keys: [], mode: 'replace-partitions', partition_by: ['day'] };
      const dayRows = (day: number, count: number, scale: number) => async function* () {
        const rows: RowBatch = [];
        for (let i = 0; i < count; i++) rows.push([BigInt(day * 1000 + i), BigInt(i * scale), null, day]);
        yield rows;
      };
      async function* twoDays() {
        yield* dayRows(20_000, 5, 1)();
        yield* dayRows(20_001, 5, 1)();
      }
      await sink().load(request(output, twoDays, { columns }));
      const replaced = await sink().load(request(output, dayRows(20_001, 3, 7), { columns }));
      expect(replaced).toMatchObject({ deleted: 5, inserted: 3 });
      expect(await count(table)).toBe(8);
      expect(await db.query(`SELECT n FROM ${table} WHERE x = 20001002`)).toEqual([expect.objectContaining({ n: expect.anything() })]);
      expect(Number((await db.query(`SELECT n FROM ${table} WHERE x = 20001002`))[0]!.n)).toBe(14);
    });

    it('adds a new column of the run as a nullable column, keeping the rows already there', async () => {
      const table = 'sluice_test.evolving';
      await sink().load(request(merge(table), () => numberedRows(10, 1)));
      const wider: RunColumn[] = [...NUMBERED_COLUMNS, { name: 'extra', type: 'double', nullable: false }];
      async function* rows() {
        yield [[10n, 10n, 'row 10', 0.5]] as RowBatch;
      }
      await sink().load(request(merge(table), rows, { columns: wider }));
      const loaded = await db.query(`SELECT x, extra FROM ${table} ORDER BY x`);
      expect(loaded).toHaveLength(11);
      expect(loaded[0]!.extra).toBeNull();
      expect(Number(loaded[10]!.extra)).toBe(0.5);
    });

    it('refuses a narrowed type, naming the column, and changes nothing', async () => {
      const table = 'sluice_test.narrow';
      await db.query(`CREATE TABLE ${table} (x ${db.types.bigint} NOT NULL PRIMARY KEY, n ${db.types.int}, label ${db.types.text})`);
      const error = await failure(sink().load(request(merge(table), () => numberedRows(10, 1))));
      expect(error.failureClass).toBe('user');
      expect(error.message).toMatch(/column "n"/);
      expect(await count(table)).toBe(0);
    });

    it('refuses a load whose key column the table lacks, naming the column', async () => {
      const table = 'sluice_test.keyless';
      await db.query(`CREATE TABLE ${table} (n ${db.types.bigint}, label ${db.types.text})`);
      const error = await failure(sink().load(request(merge(table), () => numberedRows(10, 1))));
      expect(error.failureClass).toBe('user');
      expect(error.message).toMatch(/"x"/);
      expect(await count(table)).toBe(0);
    });

    it('rejects a hostile table or column name before any SQL is sent', async () => {
      // The unreachable server proves it: a name checked first fails as a user error, not a connection error.
      const unreachable = openSinks({ urls: { SLUICE_SQL_TARGET_URL: db.unreachableUrl }, poolMax: 1, connectTimeoutMs: 2_000 });
      try {
        const table = await failure(unreachable.get('target').load(request(merge('dbo.T; DROP TABLE x'), () => numberedRows(1, 1))));
        expect(table.failureClass).toBe('user');
        expect(table.message).toMatch(/dbo\.T; DROP TABLE x/);
        const columns: RunColumn[] = [{ name: 'x', type: 'bigint', nullable: false }, { name: 'a]b', type: 'bigint', nullable: true }];
        const column = await failure(unreachable.get('target').load(request(merge('sluice_test.hostile'), () => numberedRows(1, 1), { columns })));
        expect(column.failureClass).toBe('user');
        expect(column.message).toMatch(/"a\]b"/);
      } finally {
        await unreachable.close();
      }
    });

    it('fails with class platform and no secret for a wrong password, an unknown database and an unreachable host', async () => {
      for (const url of [db.wrongPasswordUrl, db.unknownDatabaseUrl, db.unreachableUrl]) {
        const broken = openSinks({ urls: { SLUICE_SQL_TARGET_URL: url }, poolMax: 1, connectTimeoutMs: 3_000 });
        try {
          const error = await failure(broken.get('target').load(request(merge('sluice_test.never'), () => numberedRows(1, 1))));
          expect(error.failureClass).toBe('platform');
          expect(error.message).not.toContain(db.password);
          expect(error.message).not.toContain(url);
          expect(error.message).not.toMatch(/:\/\/[^@\s]*:[^@\s]*@/);
        } finally {
          await broken.close();
        }
      }
    });

    it('merges into a table a DBA made without a primary key, leaving the columns Sluice does not write alone', async () => {
      const table = 'sluice_test.dba_made';
      await db.query(`CREATE TABLE ${table} (x ${db.types.bigint} NOT NULL, n numeric(30,0), label varchar(20), note varchar(20) DEFAULT 'kept')`);
      await db.query(`INSERT INTO ${table} (x, n, note) VALUES (1, 0, 'by hand')`);
      const outcome = await sink().load(request(merge(table), () => numberedRows(3, 4)));
      expect(outcome).toMatchObject({ inserted: 2, updated: 1 });
      const rows = (await db.query(`SELECT x, n, label, note FROM ${table} ORDER BY x`)).map((row) => ({ ...row, x: Number(row.x), n: Number(row.n) }));
      expect(rows).toEqual([
        { x: 0, n: 0, label: 'row 0', note: 'kept' },
        { x: 1, n: 4, label: 'row 1', note: 'by hand' },
        { x: 2, n: 8, label: 'row 2', note: 'kept' },
      ]);
    });

    it('fails a run with two rows for one key as the pipeline\'s fault, loading nothing', async () => {
      const table = 'sluice_test.dupes';
      async function* twice() {
        const batch: RowBatch = [
          [1n, 1n, 'a'],
          [1n, 2n, 'b'],
        ];
        yield batch;
      }
      const error = await failure(sink().load(request(merge(table), twice)));
      expect(error.failureClass).toBe('user');
      expect(error.message).toMatch(/more than one row for the same key/);
      expect(await count(table)).toBe(0);
    });

    it('refuses a run that repeats a merge key where the table has no unique index to refuse it, loading nothing (a merge would insert every copy)', async () => {
      // A DBA's table without a key: only the load can notice that a key comes twice.
      const table = 'sluice_test.unkeyed';
      await db.query(`CREATE TABLE ${table} (x ${db.types.bigint} NOT NULL, n ${db.types.bigint}, label ${db.types.text})`);
      async function* repeated(): AsyncGenerator<RowBatch> {
        yield* numberedRows(100, 1);
        yield [
          [7n, 70n, 'again'],
          [9n, 90n, 'again'],
        ] as RowBatch;
      }
      const error = await failure(sink().load(request(merge(table), repeated)));
      expect(error.failureClass).toBe('user');
      expect(error.message).toMatch(/the run holds 2 value\(s\) of the merge key \(x\) on more than one row, and table sluice_test\.unkeyed has no unique index/);
      expect(await count(table)).toBe(0);
      // A run whose keys are distinct merges as before: matched rows updated, once each.
      await sink().load(request(merge(table), () => numberedRows(100, 1)));
      const again = await sink().load(request(merge(table), () => numberedRows(100, 2)));
      expect([again.inserted, again.updated]).toEqual([0, 100]);
      expect(await count(table)).toBe(100);
    });

    it('refuses a run with a NULL merge key as the pipeline\'s fault, naming the row and column, and loads nothing, even where the table allows NULL keys', async () => {
      // A DBA's table whose key column takes NULL: a NULL key matches no row, so without the
      // check every run would insert its NULL-key row again.
      const table = 'sluice_test.nullable_key';
      await db.query(`CREATE TABLE ${table} (x ${db.types.bigint}, n ${db.types.bigint}, label ${db.types.text})`);
      async function* nullKeyInSecondBatch(): AsyncGenerator<RowBatch> {
        yield* numberedRows(1_000, 1);
        yield [
          [5_000n, 1n, 'keyed'],
          [null, 2n, 'no key'],
        ];
      }
      for (const into of [table, 'sluice_test.made_by_sluice']) {
        const error = await failure(sink().load(request(merge(into), nullKeyInSecondBatch)));
        expect(error.failureClass).toBe('user');
        expect(error.message).toMatch(/row 1002 has NULL in the merge key column "x"/);
      }
      expect(await count(table)).toBe(0);
      expect(await db.query(`SELECT * FROM sluice_load_ledger WHERE target_table = '${table}'`)).toEqual([]);
    });

    it('stops a load that outlives its time with class timeout, writing nothing', async () => {
      const table = 'sluice_test.locked';
      await db.query(`CREATE TABLE ${table} (x ${db.types.bigint} NOT NULL PRIMARY KEY, n ${db.types.bigint}, label ${db.types.text})`);
      // Another session holds the table; the load's apply waits on it until its time is up.
      const release = await db.holdTable(table);
      try {
        const error = await failure(sink().load(request(merge(table), () => numberedRows(5, 1), { timeoutMs: 1_500 })));
        expect(error.failureClass).toBe('timeout');
      } finally {
        await release();
      }
      expect(await count(table)).toBe(0);
    });

    it('never commits a load its caller gave up on (the step deadline passed mid-load); the next load writes the rows once', async () => {
      const table = 'sluice_test.given_up';
      const givenUp = new AbortController();
      // The caller's deadline passes while the rows are being applied, after staging.
      const first = request(merge(table), () => numberedRows(200, 1), {
        signal: givenUp.signal,
        onProgress: ({ phase }) => {
          if (phase === 'applying') givenUp.abort();
        },
      });
      const error = await failure(sink().load(first));
      expect(error.failureClass).toBe('timeout');
      expect(error.message).toMatch(/given up by its caller/);
      expect(await count(table)).toBe(0);
      expect(await ledger(first.jobId)).toHaveLength(0);
      // The stage's next try (a new signal) loads the same run once.
      const { signal: _gone, onProgress: _progress, ...retry } = first;
      expect(await sink().load(retry)).toMatchObject({ alreadyLoaded: false, inserted: 200 });
      expect(await count(table)).toBe(200);
      expect(await ledger(first.jobId)).toHaveLength(1);
    });

    for (const [phase, afterRows] of [
      ['staging', 1_000],
      ['staged', 0],
      ['committed', 0],
    ] as const) {
      it(`a load killed ${phase === 'staging' ? 'during staging' : phase === 'staged' ? 'after staging' : 'after commit'} leaves the run's rows exactly once after the load runs again`, async () => {
        const table = `sluice_test.killed_${phase}`;
        const job = jobId();
        const child = await pausedChild(db.url, table, job, 3_000, 3, phase, afterRows);
        await child.kill();
        const rerun = await sink().load({ ...request(merge(table), () => numberedRows(3_000, 3, 500)), jobId: job, checksum: 'child' });
        expect(rerun.alreadyLoaded).toBe(phase === 'committed');
        expect(await count(table)).toBe(3_000);
        expect((await values(table))[2_999]).toEqual([2_999, 8_997]);
        expect(await ledger(job)).toHaveLength(1);
      });
    }

    it('retries within the stage when its session is killed mid-load (a failover), and loads once', async () => {
      const table = 'sluice_test.failover';
      let killed = false;
      const outcome = await sink().load(
        request(merge(table), () => numberedRows(2_000, 1, 500), {
          onProgress: async ({ phase }) => {
            if (phase === 'staged' && !killed) {
              killed = true;
              await db.killSluiceSessions();
            }
          },
        }),
      );
      expect(killed).toBe(true);
      expect(outcome).toMatchObject({ inserted: 2_000, alreadyLoaded: false });
      expect(await count(table)).toBe(2_000);
    });

    it('two jobs loading one table at once both succeed; the later load\'s values win where keys overlap', async () => {
      const table = 'sluice_test.contended';
      await sink().load(request(merge(table), () => numberedRows(10, 1)));
      // The first load holds the table's load lock at "applying" until the second is waiting for it.
      let releaseFirst!: () => void;
      const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstApplying!: () => void;
      const applying = new Promise<void>((resolve) => (firstApplying = resolve));
      const first = sink().load(
        request(merge(table), () => numberedRows(2_000, 2), {
          onProgress: async ({ phase }) => {
            if (phase === 'applying') {
              firstApplying();
              await firstHolds;
            }
          },
        }),
      );
      await applying;
      const second = sink().load(request(merge(table), () => numberedRows(2_000, 3, 500, 1_000)));
      await new Promise((resolve) => setTimeout(resolve, 500));
      releaseFirst();
      const outcomes: LoadOutcome[] = await Promise.all([first, second]);
      expect(outcomes.map((outcome) => outcome.alreadyLoaded)).toEqual([false, false]);
      const rows = new Map((await values(table)).map(([x, n]) => [x, n]));
      expect(rows.size).toBe(3_000);
      expect(rows.get(999)).toBe(1_998);
      expect(rows.get(1_000)).toBe(3_000);
      expect(rows.get(1_999)).toBe(5_997);
    });

    it('two loads racing without any pause both succeed with no key violation', async () => {
      const table = 'sluice_test.raced';
      const loads = await Promise.all([1, 2, 3].map((scale) => sink().load(request(merge(table), () => numberedRows(1_500, scale, 250, scale * 100)))));
      expect(loads.every((outcome) => !outcome.alreadyLoaded)).toBe(true);
      expect(await count(table)).toBe(1_700); // keys 100..1799
    });
  });
}
