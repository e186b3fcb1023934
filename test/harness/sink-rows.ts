// Deterministic rows for the sink tests and the load child process: row i has key x = i,
// n = i * scale and a label, so a table's contents say which load wrote them.
import type { RunColumn, RowBatch } from '../../sql-sinks/sink.ts';

export const NUMBERED_COLUMNS: RunColumn[] = [
  { name: 'x', type: 'bigint', nullable: false },
  { name: 'n', type: 'bigint', nullable: false },
  { name: 'label', type: 'string', nullable: true },
];

/** Rows [from, from + count) in batches of `batch`. */
export async function* numberedRows(count: number, scale: number, batch = 1_000, from = 0): AsyncGenerator<RowBatch> {
  for (let start = from; start < from + count; start += batch) {
    const rows: RowBatch = [];
    for (let i = start; i < Math.min(from + count, start + batch); i++) rows.push([BigInt(i), BigInt(i * scale), `row ${i}`]);
    yield rows;
  }
}
