import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import sql from 'mssql';
import { BulkLoad } from 'tedious';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/harness/free-port.ts';
import { redact, SinkError } from '../sink-error.ts';
import type { RowBatch } from '../sink.ts';
import type { SqlColumn } from '../sql-types.ts';
import { bulkRows, createSqlServerDriver, sqlServerConfig, STATEMENT_TIMEOUT_MS, stagingTable, tableShape } from './sqlserver-driver.ts';
import { createStagingSql } from './sqlserver-sql.ts';
import { bulkColumn } from './sqlserver-types.ts';

const settings = (url: string) => ({ url, poolMax: 3, connectTimeoutMs: 4_000 });

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('connection URL', () => {
  it('reads an mssql:// URL into the pool settings, with Sluice\'s pool size, timeouts and app name', () => {
    const { config } = sqlServerConfig(settings('mssql://loader:p%40ss%3Aword@db1.example.com:14330/reports?encrypt=true&trustServerCertificate=true'));
    expect(config).toMatchObject({
      server: 'db1.example.com',
      port: 14330,
      database: 'reports',
      user: 'loader',
      password: 'p@ss:word',
      connectionTimeout: 4_000,
      requestTimeout: STATEMENT_TIMEOUT_MS,
      pool: { max: 3, min: 0 },
      options: { encrypt: true, trustServerCertificate: true, appName: 'sluice', useUTC: true, abortTransactionOnError: true },
    });
  });

  it('reads sqlserver:// the same way, and leaves port and encryption to their secure defaults when absent', () => {
    const { config } = sqlServerConfig(settings('sqlserver://loader:pw@db1/reports'));
    expect(config.server).toBe('db1');
    expect(config.port).toBeUndefined();
    expect(config.options?.encrypt).toBeUndefined();
    expect(config.options?.trustServerCertificate).toBeUndefined();
  });

  it('takes a named instance and an IPv6 host', () => {
    expect(sqlServerConfig(settings('mssql://u:p@db1/reports?instanceName=SQLEXPRESS')).config.options?.instanceName).toBe('SQLEXPRESS');
    expect(sqlServerConfig(settings('mssql://u:p@[::1]:1433/reports')).config.server).toBe('::1');
  });

  it('lists the password, in both its forms, and the URL as secrets, so that no message carries them', () => {
    const url = 'mssql://loader:S3cr%21t@db1:1433/reports';
    const { secrets } = sqlServerConfig(settings(url));
    expect(secrets).toEqual(expect.arrayContaining([url, 'S3cr!t', 'S3cr%21t']));
    expect(redact(`login with S3cr!t to ${url} failed`, secrets)).toBe('login with *** to *** failed');
  });

  it('accepts an ADO connection string, with Sluice\'s pool and timeouts over its own', () => {
    const { config, secrets } = sqlServerConfig(settings('Server=db1,1444;Database=reports;User Id=loader;Password=S3cret;Encrypt=true;Connection Timeout=99'));
    expect(config).toMatchObject({ server: 'db1', port: 1444, database: 'reports', user: 'loader', password: 'S3cret', connectionTimeout: 4_000, pool: { max: 3 } });
    expect(config.options).toMatchObject({ encrypt: true, appName: 'sluice' });
    expect(secrets).toContain('S3cret');
  });

  it('refuses a URL it cannot read as the pipeline owner\'s mistake, without repeating the URL', () => {
    for (const url of ['mssql://loader:S3cret@/reports', 'mssql://loader:S3cret@db1/reports?encrypt=maybe', 'mssql://loader:S3cret@db1/reports?pooling=off', 'mssql://loader:%E0%A4%A@db1/reports']) {
      const error = thrown(() => sqlServerConfig(settings(url)));
      expect(error, url).toBeInstanceOf(SinkError);
      expect((error as SinkError).failureClass).toBe('user');
      expect((error as SinkError).message).not.toContain('S3cret');
      expect((error as SinkError).message).not.toContain(url);
    }
  });
});

describe('catalog', () => {
  it('reads a missing table (no columns) as undefined', () => {
    expect(tableShape([], [])).toBeUndefined();
  });

  it('reads columns with their types and nullability, and unique indexes as key lists', () => {
    const shape = tableShape(
      [
        { name: 'site_id', data_type: 'nvarchar', max_length: 450, numeric_precision: null, numeric_scale: null, datetime_precision: null, nullable: 0 },
        { name: 'kwh', data_type: 'decimal', max_length: null, numeric_precision: 22, numeric_scale: 3, datetime_precision: null, nullable: 1 },
        { name: 'price', data_type: 'money', max_length: null, numeric_precision: 19, numeric_scale: 4, datetime_precision: null, nullable: 1 },
      ],
      [
        { index_id: 1, name: 'site_id' },
        { index_id: 1, name: 'day' },
        { index_id: 3, name: 'kwh' },
      ],
    );
    expect(shape).toEqual({
      columns: [
        { name: 'site_id', type: { kind: 'string', length: 450 }, nullable: false, declared: 'nvarchar(450)' },
        { name: 'kwh', type: { kind: 'decimal', precision: 22, scale: 3 }, nullable: true, declared: 'decimal(22,3)' },
        { name: 'price', type: undefined, nullable: true, declared: 'money' },
      ],
      uniqueKeys: [['site_id', 'day'], ['kwh']],
    });
  });
});

describe('bulk rows', () => {
  it('converts each value for its column and keeps NULLs, leaving the run\'s batch as it was', () => {
    const columns = [
      bulkColumn({ name: 'x', type: { kind: 'integer', bits: 64 }, nullable: false }),
      bulkColumn({ name: 'amount', type: { kind: 'decimal', precision: 20, scale: 3 }, nullable: true }),
      bulkColumn({ name: 'day', type: { kind: 'date' }, nullable: true }),
    ];
    const batch: RowBatch = [
      [9_007_199_254_740_993n, '-0.005', 20_148],
      [2, null, null],
    ];
    const rows = bulkRows(batch, columns);
    expect(rows).toEqual([
      [9_007_199_254_740_993n, '-0.005', new Date('2025-03-01T00:00:00Z')],
      [2n, null, null],
    ]);
    expect(batch[1]).toEqual([2, null, null]);
  });
});

/**
 * Sends a bulk table through mssql's own Request.bulk, on a stand-in for the transaction's
 * connection that builds tedious's real BulkLoad and encodes the rows into TDS as a server
 * would receive them. Resolves to the `insert bulk` statement and the encoded bytes.
 */
async function bulkThroughMssql(table: sql.Table): Promise<{ statement: string; bytes: Buffer; rowsAffected: number }> {
  let statement = '';
  const chunks: Buffer[] = [];
  const connection = {
    newBulkLoad: (path: string, options: object, done: (error: Error | null | undefined, rows?: number) => void) => new BulkLoad(path, undefined, { useUTC: true, tdsVersion: '7_4' } as never, options, done),
    execBulkLoad(bulk: BulkLoad & { rowToPacketTransform: NodeJS.ReadWriteStream; callback: (error: Error | null, rows?: number) => void }, rows: unknown[][]) {
      statement = bulk.getBulkInsertSql();
      bulk.rowToPacketTransform.on('data', (chunk: Buffer) => chunks.push(chunk));
      bulk.rowToPacketTransform.on('error', (error: Error) => bulk.callback(error));
      bulk.rowToPacketTransform.on('end', () => bulk.callback(null, rows.length));
      Readable.from(rows).pipe(bulk.rowToPacketTransform);
    },
    on: () => undefined,
    removeListener: () => undefined,
  };
  const parent = { connected: true, config: {}, acquire: (_request: unknown, callback: (error: null, connection: unknown) => void) => setImmediate(callback, null, connection), release: () => undefined };
  const result = await new sql.Request(parent as unknown as sql.Transaction).bulk(table);
  return { statement, bytes: Buffer.concat(chunks), rowsAffected: result.rowsAffected };
}

describe('bulk load of a batch', () => {
  const columns: SqlColumn[] = [
    { name: 'x', type: { kind: 'integer', bits: 64 }, nullable: false },
    { name: 'small', type: { kind: 'integer', bits: 16 }, nullable: true },
    { name: 'ratio', type: { kind: 'float', bits: 32 }, nullable: true },
    { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 9 }, nullable: true },
    { name: 'label', type: { kind: 'string' }, nullable: true },
    { name: 'ok', type: { kind: 'boolean' }, nullable: true },
    { name: 'day', type: { kind: 'date' }, nullable: true },
    { name: 'at', type: { kind: 'timestamptz' }, nullable: true },
    { name: 'local', type: { kind: 'timestamp' }, nullable: true },
    { name: 'raw', type: { kind: 'binary' }, nullable: true },
  ];
  const batch: RowBatch = [
    [9_007_199_254_740_993n, 7, 0.5, '12345678901234567890123456789.123456789', 'x'.repeat(5_000), true, 20_148, 1_740_830_400_123_456n, -1n, new Uint8Array([0, 1, 255])],
    [-1n, null, null, null, null, null, null, null, null, null],
  ];

  it('declares each column of the insert bulk exactly as the staging table declares it', async () => {
    const { statement } = await bulkThroughMssql(stagingTable(columns.map(bulkColumn), batch));
    const declared = /^CREATE TABLE #sluice_staging \((.*)\);$/m.exec(createStagingSql(columns))![1]!.replace(/ NULL/g, '');
    expect(statement).toBe(`insert bulk [#sluice_staging](${declared})`);
  });

  it('encodes every row of the batch (tedious accepts each converted value), exact decimals as their text', async () => {
    const { bytes, rowsAffected } = await bulkThroughMssql(stagingTable(columns.map(bulkColumn), batch));
    expect(rowsAffected).toBe(2);
    expect(bytes.includes(Buffer.from('12345678901234567890123456789.123456789', 'utf16le'))).toBe(true);
  });
});

describe('driver without a server', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('plans merges without a unique key (MERGE needs none) and compares names without case', () => {
    const driver = createSqlServerDriver(settings('mssql://u:p@127.0.0.1:1/db'));
    expect(driver.dialect).toBe('sqlserver');
    expect(driver.planOptions).toEqual({ namesIgnoreCase: true });
  });

  it('fails an unreachable server as the platform\'s, not retried at once, with no secret in the message', async () => {
    const port = await freePort();
    const url = `mssql://loader:Unreachable%21pw@127.0.0.1:${port}/reports?encrypt=false`;
    const driver = createSqlServerDriver({ url, poolMax: 1, connectTimeoutMs: 2_000 });
    try {
      const error = await driver.ensureLedger().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(sql.ConnectionError);
      const reading = driver.read(error);
      expect(reading).toMatchObject({ failureClass: 'platform', transient: false });
      // tedious tries each address of the host in turn and says "Could not connect (sequence)".
      expect(reading!.message).toMatch(/^SQL Server connection: Failed to connect to 127\.0\.0\.1:\d+ - /);
      expect(redact(reading!.message, driver.secrets)).not.toMatch(/Unreachable/);
    } finally {
      await driver.close();
    }
  });

  it('fails a server that never answers within the connect timeout as the platform\'s', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const driver = createSqlServerDriver({ url: `mssql://u:p@127.0.0.1:${port}/reports?encrypt=false`, poolMax: 1, connectTimeoutMs: 300 });
    try {
      const error = await driver.ledgerEntry({ jobId: 'j', attempt: 1, sink: 's' }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(driver.read(error)).toMatchObject({ failureClass: 'platform', transient: false, message: expect.stringMatching(/in 300ms$/) });
    } finally {
      for (const socket of sockets) socket.destroy();
      await driver.close();
    }
  });

  it('connects again on the next call after a failed connect, and closes cleanly', async () => {
    const port = await freePort();
    const driver = createSqlServerDriver({ url: `mssql://u:p@127.0.0.1:${port}/reports?encrypt=false`, poolMax: 1, connectTimeoutMs: 1_000 });
    const first = await driver.begin(1_000).catch((error: unknown) => error);
    const second = await driver.begin(1_000).catch((error: unknown) => error);
    expect(driver.read(first)?.failureClass).toBe('platform');
    expect(driver.read(second)?.failureClass).toBe('platform');
    await expect(driver.close()).resolves.toBeUndefined();
  });
});
