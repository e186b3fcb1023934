import { describe, expect, it } from 'vitest';
import type { SqlOutput } from '../../broker/core/pipeline.ts';
import type { TableName } from '../identifiers.ts';
import type { ApplyPlan } from '../sink-driver.ts';
import type { SqlColumn } from '../sql-types.ts';
import {
  addColumnsSql,
  applySql,
  createSchemaSql,
  createStagingSql,
  createTableSql,
  describeTableSql,
  ensureLedgerSql,
  qualified,
  quote,
  readLedgerSql,
  recordLedgerSql,
  repeatedKeysSql,
  stagedRows,
  tableLockSql,
} from './sqlserver-sql.ts';

const table: TableName = { schema: 'dbo', table: 'MeterDaily' };
const columns: SqlColumn[] = [
  { name: 'site_id', type: { kind: 'string' }, nullable: false },
  { name: 'day', type: { kind: 'date' }, nullable: false },
  { name: 'kwh', type: { kind: 'decimal', precision: 22, scale: 3 }, nullable: true },
  { name: 'read_at', type: { kind: 'timestamptz' }, nullable: true },
];
const output = (patch: Partial<SqlOutput>): SqlOutput => ({ connection: 'reporting', table: 'dbo.MeterDaily', keys: [], mode: 'merge', partition_by: [], ...patch });
const plan = (patch: Partial<SqlOutput>, planColumns = columns, planTable = table): ApplyPlan => ({ table: planTable, columns: planColumns, output: output(patch) });

describe('identifiers', () => {
  it('bracket-quotes a name and doubles a closing bracket, so no name can end its quotes', () => {
    expect(quote('MeterDaily')).toBe('[MeterDaily]');
    expect(quote('a]b')).toBe('[a]]b]');
  });

  it('writes a schema-qualified table as two quoted parts, and a bare one as one', () => {
    expect(qualified({ schema: 'reporting', table: 'Daily' })).toBe('[reporting].[Daily]');
    expect(qualified({ schema: undefined, table: 'Daily' })).toBe('[Daily]');
  });
});

describe('merge', () => {
  const sql = applySql(plan({ keys: ['site_id', 'day'] }));

  it('counts the key values the staged rows repeat (for a table with no unique index to refuse them), quoting each key', () => {
    expect(repeatedKeysSql(['site_id', 'da]y'])).toBe(
      'SELECT COUNT_BIG(*) AS repeated FROM (SELECT 1 AS one FROM #sluice_staging GROUP BY [site_id], [da]]y] HAVING COUNT_BIG(*) > 1) AS d;',
    );
  });

  it('merges with HOLDLOCK on the keys, updating the other columns and inserting new keys', () => {
    expect(sql).toContain('MERGE [dbo].[MeterDaily] WITH (HOLDLOCK) AS t');
    expect(sql).toContain('ON t.[site_id] = s.[site_id] AND t.[day] = s.[day]');
    expect(sql).toContain('WHEN MATCHED THEN UPDATE SET [kwh] = s.[kwh], [read_at] = s.[read_at]');
    expect(sql).toContain('WHEN NOT MATCHED BY TARGET THEN INSERT ([site_id], [day], [kwh], [read_at]) VALUES (s.[site_id], s.[day], s.[kwh], s.[read_at])');
    // A MERGE must end with a semicolon.
    expect(sql).toMatch(/OUTPUT \$action INTO @actions \(\[action\]\);/);
  });

  it('never deletes target rows that the run lacks', () => {
    expect(sql).not.toMatch(/NOT MATCHED BY SOURCE|DELETE/);
  });

  it('counts inserted and updated rows from the MERGE output in one result row', () => {
    expect(sql).toMatch(/SELECT COUNT_BIG\(CASE WHEN \[action\] = N'INSERT' THEN 1 END\) AS inserted, COUNT_BIG\(CASE WHEN \[action\] = N'UPDATE' THEN 1 END\) AS updated, CAST\(0 AS bigint\) AS deleted FROM @actions;$/);
  });

  it('reads the staged decimals and instants back as the target types, and text in the database\'s collation (tempdb\'s may differ)', () => {
    expect(sql).toContain(
      'USING (SELECT [site_id] COLLATE DATABASE_DEFAULT AS [site_id], [day], CAST([kwh] AS decimal(22,3)) AS [kwh], TODATETIMEOFFSET([read_at], 0) AS [read_at] FROM #sluice_staging) AS s',
    );
  });

  it('has no WHEN MATCHED clause when every column is a key (there is nothing to update)', () => {
    const keysOnly: SqlColumn[] = [columns[0]!, columns[1]!];
    const allKeys = applySql(plan({ keys: ['site_id', 'day'] }, keysOnly));
    expect(allKeys).not.toContain('WHEN MATCHED');
    expect(allKeys).toContain('WHEN NOT MATCHED BY TARGET THEN INSERT ([site_id], [day]) VALUES (s.[site_id], s.[day])');
    expect(allKeys).toContain('WITH (HOLDLOCK)');
  });

  it('targets a table in the default schema by its bare quoted name', () => {
    expect(applySql(plan({ keys: ['site_id'] }, columns, { schema: undefined, table: 'Daily' }))).toContain('MERGE [Daily] WITH (HOLDLOCK) AS t');
  });
});

describe('replace-partitions', () => {
  const sql = applySql(plan({ mode: 'replace-partitions', partition_by: ['day'] }));

  it('deletes the target rows of every partition the run holds, then inserts the run, in one batch', () => {
    expect(sql).toContain('DELETE t FROM [dbo].[MeterDaily] AS t WHERE EXISTS (SELECT 1 FROM (SELECT');
    expect(sql).toContain(') AS s WHERE t.[day] = s.[day]);');
    expect(sql).toContain('INSERT INTO [dbo].[MeterDaily] ([site_id], [day], [kwh], [read_at]) SELECT [site_id], [day], [kwh], [read_at] FROM (SELECT');
    expect(sql.indexOf('DELETE')).toBeLessThan(sql.indexOf('INSERT'));
  });

  it('reports deleted and inserted counts taken right after each statement', () => {
    expect(sql).toMatch(/DELETE [^;]+;\nSET @deleted = ROWCOUNT_BIG\(\);\nINSERT [^;]+;\nSET @inserted = ROWCOUNT_BIG\(\);/);
    expect(sql).toMatch(/SELECT @inserted AS inserted, CAST\(0 AS bigint\) AS updated, @deleted AS deleted;$/);
  });

  it('treats NULL as a partition value of its own for a nullable partition column', () => {
    const byKwh = applySql(plan({ mode: 'replace-partitions', partition_by: ['day', 'kwh'] }));
    expect(byKwh).toContain('WHERE t.[day] = s.[day] AND (t.[kwh] = s.[kwh] OR (t.[kwh] IS NULL AND s.[kwh] IS NULL))');
  });
});

describe('append', () => {
  it('inserts every staged row and reports the count', () => {
    const sql = applySql(plan({ mode: 'append' }));
    expect(sql).toContain('INSERT INTO [dbo].[MeterDaily] ([site_id], [day], [kwh], [read_at]) SELECT [site_id], [day], [kwh], [read_at] FROM (SELECT');
    expect(sql).toMatch(/SET @inserted = ROWCOUNT_BIG\(\);\nSELECT @inserted AS inserted/);
    expect(sql).not.toMatch(/MERGE|DELETE/);
  });
});

describe('every statement quotes every identifier', () => {
  const named: SqlColumn[] = [
    { name: 'zz_key', type: { kind: 'integer', bits: 64 }, nullable: false },
    { name: 'zz_part', type: { kind: 'string' }, nullable: true },
    { name: 'zz_amount', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
  ];
  const target: TableName = { schema: 'zz_schema', table: 'zz_table' };
  const statements = {
    merge: applySql(plan({ keys: ['zz_key'] }, named, target)),
    replace: applySql(plan({ mode: 'replace-partitions', partition_by: ['zz_part'] }, named, target)),
    append: applySql(plan({ mode: 'append' }, named, target)),
    create: createTableSql(target, named, ['zz_key']),
    add: addColumnsSql(target, named),
    staging: createStagingSql(named),
    schema: createSchemaSql('zz_schema'),
  };

  for (const [name, statement] of Object.entries(statements)) {
    it(`${name}: no table, schema or column name appears outside brackets`, () => {
      expect(statement).toContain('[zz_');
      expect(statement.replace(/\[[^\]]*\]/g, '[]')).not.toContain('zz_');
    });
  }

  it('brackets names that are reserved words, so they stay names', () => {
    const reserved: SqlColumn[] = [
      { name: 'order', type: { kind: 'integer', bits: 32 }, nullable: false },
      { name: 'group', type: { kind: 'string' }, nullable: true },
    ];
    const sql = applySql(plan({ keys: ['order'] }, reserved, { schema: 'select', table: 'from' }));
    expect(sql).toContain('MERGE [select].[from] WITH (HOLDLOCK) AS t');
    expect(sql).toContain('ON t.[order] = s.[order]');
    expect(sql).toContain('UPDATE SET [group] = s.[group]');
  });
});

describe('DDL', () => {
  it('creates the table with the keys NOT NULL as its primary key, string keys as nvarchar(450)', () => {
    const sql = createTableSql(table, columns, ['site_id', 'day']);
    expect(sql).toBe(
      'CREATE TABLE [dbo].[MeterDaily] ([site_id] nvarchar(450) NOT NULL, [day] date NOT NULL, [kwh] decimal(22,3) NULL, [read_at] datetimeoffset(6) NULL, PRIMARY KEY ([site_id], [day]));',
    );
  });

  it('creates a keyless table (append, replace-partitions) without a primary key, keeping declared nullability', () => {
    expect(createTableSql(table, columns, [])).toBe(
      'CREATE TABLE [dbo].[MeterDaily] ([site_id] nvarchar(max) NOT NULL, [day] date NOT NULL, [kwh] decimal(22,3) NULL, [read_at] datetimeoffset(6) NULL);',
    );
  });

  it('adds new columns as nullable whatever the run says', () => {
    expect(addColumnsSql(table, [{ name: 'extra', type: { kind: 'float', bits: 64 }, nullable: false }])).toBe('ALTER TABLE [dbo].[MeterDaily] ADD [extra] float NULL;');
  });

  it('creates a missing schema through EXEC (CREATE SCHEMA must be alone in its batch), rechecked under a lock', () => {
    const sql = createSchemaSql('reporting');
    expect(sql).toMatch(/^IF SCHEMA_ID\(@schema\) IS NULL\nBEGIN\n/);
    expect(sql).toContain("sp_getapplock @Resource = @lock_resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction'");
    expect(sql).toContain("IF SCHEMA_ID(@schema) IS NULL EXEC(N'CREATE SCHEMA [reporting]');");
    expect(sql.indexOf('sp_getapplock')).toBeLessThan(sql.indexOf('CREATE SCHEMA'));
  });
});

describe('staging', () => {
  it('creates a session temp table with every column nullable, dropping one a previous load left on the connection', () => {
    const sql = createStagingSql(columns);
    expect(sql).toBe(
      [
        "IF OBJECT_ID(N'tempdb..#sluice_staging') IS NOT NULL DROP TABLE #sluice_staging;",
        'CREATE TABLE #sluice_staging ([site_id] nvarchar(max) NULL, [day] date NULL, [kwh] nvarchar(64) NULL, [read_at] datetime2(6) NULL);',
      ].join('\n'),
    );
  });

  it('reads columns staged as they are without a cast, text in the database\'s collation', () => {
    expect(stagedRows([columns[0]!, columns[1]!])).toBe('SELECT [site_id] COLLATE DATABASE_DEFAULT AS [site_id], [day] FROM #sluice_staging');
  });
});

describe('locks', () => {
  for (const purpose of ['sluice-load', 'sluice-ddl'] as const) {
    it(`takes ${purpose} as an exclusive lock owned by the transaction, with the table's name as parameters`, () => {
      const sql = tableLockSql(purpose);
      expect(sql).toContain("EXEC @lock_result = sys.sp_getapplock @Resource = @lock_resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction';");
      expect(sql).toContain(`LOWER(CONCAT(N'${purpose}:', QUOTENAME(COALESCE(@schema, SCHEMA_NAME())), N'.', QUOTENAME(@table)))`);
      // sp_getapplock reports a refusal by return code: it must become an error.
      expect(sql).toMatch(/IF @lock_result = -3 THROW 51205,/);
      expect(sql).toMatch(/IF @lock_result < 0 THROW 51222,/);
    });
  }

  it('describes the table through parameters, never through its name in the text', () => {
    expect(describeTableSql).toContain('c.TABLE_SCHEMA = COALESCE(@schema, SCHEMA_NAME()) AND c.TABLE_NAME = @table');
    expect(describeTableSql).toContain('i.is_unique = 1');
  });
});

describe('ledger', () => {
  it('lives in dbo with the key (job, attempt, sink), created only when missing and under a lock', () => {
    expect(ensureLedgerSql).toMatch(/^IF OBJECT_ID\(N'\[dbo\]\.\[sluice_load_ledger\]', N'U'\) IS NULL OR COL_LENGTH\(N'\[dbo\]\.\[sluice_load_ledger\]', N'trace_id'\) IS NULL\nBEGIN/);
    expect(ensureLedgerSql).toContain("DECLARE @lock_resource nvarchar(255) = LEFT(N'sluice-ddl:[dbo].[sluice_load_ledger]', 255);");
    expect(ensureLedgerSql).toContain('PRIMARY KEY ([job_id], [attempt], [sink])');
    expect(ensureLedgerSql).toContain('[loaded_at] datetimeoffset(3) NOT NULL');
  });

  it('has a nullable trace_id, and adds it to a ledger an older Sluice created', () => {
    expect(ensureLedgerSql).toContain('[loaded_at] datetimeoffset(3) NOT NULL, [trace_id] nvarchar(128) NULL,');
    expect(ensureLedgerSql).toContain(
      "  ELSE IF COL_LENGTH(N'[dbo].[sluice_load_ledger]', N'trace_id') IS NULL\n  ALTER TABLE [dbo].[sluice_load_ledger] ADD [trace_id] nvarchar(128) NULL;\nEND;",
    );
    // Only one lock declaration in the batch: T-SQL refuses a variable declared twice.
    expect(ensureLedgerSql.split('DECLARE @lock_resource').length).toBe(2);
  });

  it('keeps its primary key within the 900 bytes an index key may have', () => {
    const width = (name: string) => Number(new RegExp(`\\[${name}\\] nvarchar\\((\\d+)\\)`).exec(ensureLedgerSql)![1]) * 2;
    expect(width('job_id') + 4 + width('sink')).toBeLessThanOrEqual(900);
    // The longest sink name: a 63-character connection, ":", and a 128.128-character table.
    expect(width('sink') / 2).toBeGreaterThanOrEqual(63 + 1 + 128 + 1 + 128);
  });

  it('reads and records entries with parameters only', () => {
    expect(readLedgerSql).toBe(
      'SELECT [job_id], [attempt], [sink], [target_table], [rows], [inserted], [updated], [deleted], [checksum], [loaded_at], [trace_id] FROM [dbo].[sluice_load_ledger] WHERE [job_id] = @job_id AND [attempt] = @attempt AND [sink] = @sink;',
    );
    expect(recordLedgerSql).toBe(
      'INSERT INTO [dbo].[sluice_load_ledger] ([job_id], [attempt], [sink], [target_table], [rows], [inserted], [updated], [deleted], [checksum], [loaded_at], [trace_id]) VALUES (@job_id, @attempt, @sink, @target_table, @rows, @inserted, @updated, @deleted, @checksum, TODATETIMEOFFSET(@loaded_at, 0), @trace_id);',
    );
  });
});
