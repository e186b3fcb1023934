// The lake reader gives the sinks exactly the values pyarrow wrote, whichever way the file
// was laid out: dictionary, plain or delta pages, data pages v1 or v2, many pages to a row group,
// NULLs in some pages and none in others, a column that cannot be NULL, and values past
// what a double holds exactly, integers and timestamps in the years 1600, 2260 and 9999
// (those columns go through hyparquet's own assembly instead of flat-column.ts), compressed
// with snappy, gzip, brotli, zstd or lz4 (a codec it cannot read: parquet-codecs.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readFlatColumn } from '../../broker/lake/flat-column.ts';
import { createFsStorage } from '../../broker/lake/fs-storage.ts';
import { readRunBatches } from '../../broker/lake/run-batches.ts';
import { rowsOf } from '../../sql-sinks/column-batch.ts';
import type { RowValue } from '../../sql-sinks/sink.ts';
import { pythonJson } from '../harness/python.ts';
import { oneFileRunManifest } from '../harness/sample-manifest.ts';

const ROWS = 3_000;

// Writes the same table in each layout and prints the expected rows in the sinks' value
// forms: integers and unscaled decimals as text (exact past 2^53), dates as day numbers,
// timestamps as microseconds, decimals as text with their scale.
const WRITE = `
import datetime, decimal, json, os, sys, pyarrow as pa, pyarrow.parquet as pq
n = ${ROWS}
utc = datetime.timezone.utc
def nulls_late(values):  # NULLs only in the second half: some pages have none
    return [None if i >= n // 2 and i % 7 == 0 else v for i, v in enumerate(values)]
def with_ends(values, ends):  # timestamps past what a double holds in microseconds, in the last row group
    return [ends.get(i, v) for i, v in enumerate(values)]
t = pa.table({
  "i32": pa.array(nulls_late([(i * 7919) % 100000 - 50000 for i in range(n)]), pa.int32()),
  "i64": pa.array(nulls_late([(2**53 - 1) - i * 1000003 if i % 2 else -(2**53 - 1) + i for i in range(n)]), pa.int64()),
  "i64_wide": pa.array(nulls_late([2**62 + i if i == n - 1 else i for i in range(n)]), pa.int64()),
  "d9": pa.array(nulls_late([decimal.Decimal(i * 37 - 40000) / 100 for i in range(n)]), pa.decimal128(9, 2)),
  "d18": pa.array(nulls_late([decimal.Decimal(i * 1234567891 - 10**12) / 1000 for i in range(n)]), pa.decimal128(18, 3)),
  "d28": pa.array(nulls_late([decimal.Decimal(i * 98765 - 10**6) / 1000 for i in range(n)]), pa.decimal128(28, 3)),
  "d28_wide": pa.array(nulls_late([decimal.Decimal(10**24 + i) / 1000 if i == 5 else decimal.Decimal(i) for i in range(n)]), pa.decimal128(28, 3)),
  "f32": pa.array(nulls_late([i / 8 for i in range(n)]), pa.float32()),
  "f64": pa.array(nulls_late([(-1) ** i * i / 3 for i in range(n)]), pa.float64()),
  "day": pa.array(nulls_late([datetime.date(1969, 12, 1) + datetime.timedelta(days=i) for i in range(n)]), pa.date32()),
  "at_ms": pa.array(nulls_late(with_ends([datetime.datetime(1960, 1, 1, tzinfo=utc) + datetime.timedelta(milliseconds=i * 987654321) for i in range(n)],
    {n - 2: datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=utc)})), pa.timestamp("ms", tz="UTC")),
  "at_us": pa.array(nulls_late(with_ends([datetime.datetime(1960, 1, 1) + datetime.timedelta(microseconds=i * 987654321123) for i in range(n)],
    {n - 2: datetime.datetime(9999, 12, 31, 23, 59, 59, 999999), n - 3: datetime.datetime(1600, 1, 1, 0, 0, 0, 1)})), pa.timestamp("us")),
  "at_ns": pa.array(nulls_late(with_ends([datetime.datetime(2020, 1, 1, tzinfo=utc) + datetime.timedelta(microseconds=i * 12345) for i in range(n)],
    {n - 2: datetime.datetime(2260, 1, 1, 0, 0, 0, 1, tzinfo=utc)})), pa.timestamp("ns", tz="UTC")),
  "name": pa.array(nulls_late([["ok", "ünïcode ✓", "it's \\"quoted\\"", "", "\\ufeffstarts with U+FEFF"][i % 5] + (str(i) if i % 3 == 0 else "") for i in range(n)]), pa.string()),
  "flag": pa.array(nulls_late([i % 3 == 0 for i in range(n)]), pa.bool_()),
})
t = t.append_column(pa.field("required", pa.int64(), nullable=False), pa.array([i * 3 - 7 for i in range(n)], pa.int64()))
for name, options in json.loads(sys.argv[2]).items():
    folder = os.path.join(sys.argv[1], name, "bench", "run=bench-1")
    os.makedirs(folder)
    pq.write_table(t, os.path.join(folder, "part-0.parquet"), row_group_size=1000, data_page_size=2048, store_decimal_as_integer=True, **options)
epoch = datetime.datetime(1970, 1, 1, tzinfo=utc)
def expected(v):
    if v is None: return None
    if isinstance(v, bool): return v
    if isinstance(v, int): return str(v)
    if isinstance(v, decimal.Decimal): return str(v)
    if isinstance(v, float): return v
    if isinstance(v, datetime.datetime):
        v = v if v.tzinfo else v.replace(tzinfo=utc)
        d = v - epoch
        return str((d.days * 86400 + d.seconds) * 10**6 + d.microseconds)
    if isinstance(v, datetime.date): return str((v - datetime.date(1970, 1, 1)).days)
    return v
rows = [[expected(v) for v in row.values()] for row in t.to_pylist()]
print(json.dumps({"columns": t.column_names, "rows": rows}))
`;

/** Delta-packed integers and dates, split floats, delta byte arrays for wide decimals, `strings` for the text. */
function encodings(strings: string): Record<string, string> {
  const delta = ['i32', 'i64', 'i64_wide', 'd9', 'd18', 'day', 'at_ms', 'at_us', 'at_ns', 'required'].map((column) => [column, 'DELTA_BINARY_PACKED']);
  return Object.fromEntries([...delta, ['d28', 'DELTA_BYTE_ARRAY'], ['d28_wide', 'DELTA_BYTE_ARRAY'], ['f32', 'BYTE_STREAM_SPLIT'], ['f64', 'BYTE_STREAM_SPLIT'], ['name', strings], ['flag', 'PLAIN']]);
}

const LAYOUTS = {
  dictionary_v1: { use_dictionary: true, data_page_version: '1.0' },
  plain_v1: { use_dictionary: false, data_page_version: '1.0' },
  dictionary_v2: { use_dictionary: true, data_page_version: '2.0' },
  plain_v2: { use_dictionary: false, data_page_version: '2.0' },
  // The other encodings Parquet writers use, column by column.
  delta_v1: { use_dictionary: false, data_page_version: '1.0', column_encoding: encodings('DELTA_LENGTH_BYTE_ARRAY') },
  delta_v2: { use_dictionary: false, data_page_version: '2.0', column_encoding: encodings('DELTA_BYTE_ARRAY') },
  // Codecs other than Spark's default (snappy), as engine.conf's spark.sql.parquet.compression.codec picks them.
  gzip_v1: { use_dictionary: true, data_page_version: '1.0', compression: 'gzip' },
  brotli_v2: { use_dictionary: false, data_page_version: '2.0', compression: 'brotli' },
  zstd_v1: { use_dictionary: true, data_page_version: '1.0', compression: 'zstd' },
  lz4_v2: { use_dictionary: false, data_page_version: '2.0', compression: 'lz4' },
};

const SCHEMA = [
  ['i32', 'int'], ['i64', 'bigint'], ['i64_wide', 'bigint'], ['d9', 'decimal(9,2)'], ['d18', 'decimal(18,3)'], ['d28', 'decimal(28,3)'], ['d28_wide', 'decimal(28,3)'],
  ['f32', 'float'], ['f64', 'double'], ['day', 'date'], ['at_ms', 'timestamp'], ['at_us', 'timestamp_ntz'], ['at_ns', 'timestamp'], ['name', 'string'], ['flag', 'boolean'], ['required', 'bigint'],
].map(([name, type]) => ({ name: name!, type: type!, nullable: name !== 'required' }));

/** A value the reader gave, in the test's expected form: numbers other than floats as exact text. */
function shown(value: RowValue, type: string): unknown {
  if (typeof value === 'bigint' || (typeof value === 'number' && type !== 'float' && type !== 'double')) return String(value);
  return value;
}

describe('reading a committed run for the sinks', () => {
  let dir: string;
  let expected: { columns: string[]; rows: unknown[][] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-run-batches-'));
    expected = await pythonJson(WRITE, [dir, JSON.stringify(LAYOUTS)]);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(Object.keys(LAYOUTS))('gives every value exactly, NULLs where they were, with %s pages', async (layout) => {
    const runDir = join(dir, layout, 'bench', 'run=bench-1');
    const manifest = await oneFileRunManifest('bench', runDir, 'part-0.parquet', ROWS, SCHEMA);
    const lake = createFsStorage(pathToFileURL(join(dir, layout)).href);
    const rows: unknown[][] = [];
    for await (const batch of readRunBatches(lake, manifest, 700)) for (const row of rowsOf(batch)) rows.push(row.map((value, c) => shown(value, SCHEMA[c]!.type)));
    expect(rows).toHaveLength(ROWS);
    // Floats as pyarrow gave them (the float32s are eighths, exact in both).
    for (const [c, name] of expected.columns.entries()) {
      expect({ column: name, values: rows.map((row) => row[c]) }).toEqual({ column: name, values: expected.rows.map((row) => row[c]) });
    }
  });

  // The values above are right on either path; this says which path each column took, so
  // that a reader that quietly left everything to hyparquet (slower, more memory) fails here.
  it.each(['dictionary_v1', 'delta_v2'])('reads the plain columns from their pages and leaves the rest to hyparquet, with %s pages', async (layout) => {
    const file = await asyncBufferFromFile(join(dir, layout, 'bench', 'run=bench-1', 'part-0.parquet'));
    const metadata = await parquetMetadataAsync(file);
    const hyparquetColumns = async (group: number): Promise<string[]> => {
      const rowGroup = metadata.row_groups[group]!;
      const left: string[] = [];
      for (const { name } of SCHEMA) if (!(await readFlatColumn(file, metadata, rowGroup, Number(rowGroup.num_rows), name))) left.push(name);
      return left;
    };
    // Nanosecond timestamps and booleans always; a column holding a value past 2^53 only in
    // the row group that holds it (d28_wide in the first; i64_wide and the timestamps of the
    // years 1600 and 9999 in the last).
    expect(await hyparquetColumns(0)).toEqual(['d28_wide', 'at_ns', 'flag']);
    expect(await hyparquetColumns(1)).toEqual(['at_ns', 'flag']);
    expect(await hyparquetColumns(2)).toEqual(['i64_wide', 'at_ms', 'at_us', 'at_ns', 'flag']);
  });
});
