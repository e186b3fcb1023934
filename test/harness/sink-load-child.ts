// A load in a process of its own, so that a test can kill it at a chosen point of the load
// protocol: it prints "PAUSED <phase>" and waits there for ever (until SIGKILL).
// Arguments: <url> <table> <jobId> <rows> <scale> <pause phase|none> [<pause after rows>]
import { openSinks } from '../../sql-sinks/open-sinks.ts';
import { numberedRows, NUMBERED_COLUMNS } from './sink-rows.ts';

const [url, table, jobId, rows, scale, pausePhase, pauseAfter] = process.argv.slice(2);
const sinks = openSinks({ urls: { SLUICE_SQL_TARGET_URL: url! }, poolMax: 2, connectTimeoutMs: 5_000 });
const outcome = await sinks.get('target').load({
  jobId: jobId!,
  runAttempt: 1,
  output: { connection: 'target', table: table!, keys: ['x'], mode: 'merge', partition_by: [] },
  columns: NUMBERED_COLUMNS,
  rows: () => numberedRows(Number(rows), Number(scale), 500),
  checksum: 'child',
  timeoutMs: 60_000,
  onProgress: async ({ phase, rowsStaged }) => {
    if (phase !== pausePhase || rowsStaged < Number(pauseAfter ?? 0)) return;
    process.stdout.write(`PAUSED ${phase} ${rowsStaged}\n`);
    await new Promise(() => undefined);
  },
});
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await sinks.close();
