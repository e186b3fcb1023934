// The door's footer check agrees with the Spark app's own (spark-apps/sluice_spark/checks.py):
// the same Spark type names for what pyarrow writes, and the same verdict, good or bad, on
// good and broken landings. Real files written by pyarrow; the Spark app's check run by the
// project's Python on the same files.
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import { footerColumns, LandingValidator, Superseded, type DoorInput } from '../../watchers/landing-validator.ts';
import { python, pythonJson } from '../harness/python.ts';
import { writeCorruptParquet, writeWrongTypeParquet } from '../harness/sample-data.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';

let dir: string;
// Local files only here; S3 landings are checked in landings-s3.test.ts against MinIO.
const validator = new LandingValidator(new S3Client({ region: 'us-east-1' }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-door-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Spark type names as checks.py gives them, per top-level column, and whether it refuses nanoseconds. */
const SPARK_NAMES = `import json, sys
sys.path.insert(0, sys.argv[2])
import pyarrow.parquet as pq
from sluice_spark.checks import spark_type_name, _is_int64_nanos
footer = pq.ParquetFile(sys.argv[1]).metadata
schema = footer.schema.to_arrow_schema()
print(json.dumps([{"name": f.name, "sparkType": spark_type_name(f.type), "int64Nanos": _is_int64_nanos(footer, f.name)} for f in schema]))`;

async function sparkNames(path: string): Promise<Array<{ name: string; sparkType: string; int64Nanos: boolean }>> {
  return pythonJson(SPARK_NAMES, [path, resolve('spark-apps')]);
}

async function doorNames(path: string) {
  return footerColumns(await parquetMetadataAsync(await asyncBufferFromFile(path))).map(({ name, sparkType, int64Nanos }) => ({ name, sparkType, int64Nanos }));
}

describe('type names', () => {
  it('are the names checks.py gives, for every type pyarrow writes', async () => {
    const path = join(dir, 'types.parquet');
    await python([
      '-c',
      `import sys, datetime, decimal, pyarrow as pa, pyarrow.parquet as pq
d = datetime.datetime(2026, 1, 2, 3, 4, 5)
cols = {
  "b": pa.array([True], pa.bool_()),
  "i8": pa.array([1], pa.int8()), "i16": pa.array([1], pa.int16()), "i32": pa.array([1], pa.int32()), "i64": pa.array([1], pa.int64()),
  "u8": pa.array([1], pa.uint8()), "u16": pa.array([1], pa.uint16()), "u32": pa.array([1], pa.uint32()), "u64": pa.array([1], pa.uint64()),
  "f16": pa.array([1.5], pa.float16()) if hasattr(pa, "float16") else pa.array([1.5], pa.float32()),
  "f32": pa.array([1.5], pa.float32()), "f64": pa.array([1.5], pa.float64()),
  "s": pa.array(["a"], pa.string()), "ls": pa.array(["a"], pa.large_string()), "dict": pa.array(["a"]).dictionary_encode(),
  "bin": pa.array([b"a"], pa.binary()), "fixed": pa.array([b"abcd"], pa.binary(4)),
  "d32": pa.array([datetime.date(2026, 1, 2)], pa.date32()), "d64": pa.array([datetime.date(2026, 1, 2)], pa.date64()),
  "ts_ms": pa.array([d], pa.timestamp("ms")), "ts_us": pa.array([d], pa.timestamp("us")), "ts_utc": pa.array([d], pa.timestamp("us", tz="UTC")),
  "ts_ns": pa.array([d], pa.timestamp("ns")),
  "dec": pa.array([decimal.Decimal("1.25")], pa.decimal128(10, 2)), "dec38": pa.array([decimal.Decimal("1.5")], pa.decimal128(38, 10)),
  "t_ms": pa.array([datetime.time(1, 2)], pa.time32("ms")), "t_us": pa.array([datetime.time(1, 2)], pa.time64("us")),
  "lst": pa.array([[1, 2]], pa.list_(pa.int64())), "st": pa.array([{"a": 1}], pa.struct([("a", pa.int64())])),
  "after": pa.array([1], pa.int64()),
}
pq.write_table(pa.table(cols), sys.argv[1])`,
      path,
    ]);
    const expected = await sparkNames(path);
    const actual = await doorNames(path);
    // Every primitive column by name and nanosecond flag; nested ones need only never match a declared type.
    const primitive = (columns: typeof expected) => columns.filter((column) => !['lst', 'st'].includes(column.name));
    expect(primitive(actual)).toEqual(primitive(expected));
    expect(actual.map((column) => column.name)).toEqual(expected.map((column) => column.name));
    expect(expected.find((column) => column.name === 'ts_ns')!.int64Nanos).toBe(true);
  });

  it('name an INT96 timestamp (older Spark and Hive writers) as checks.py does', async () => {
    const path = join(dir, 'int96.parquet');
    await python([
      '-c',
      `import sys, datetime, pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({"ts": pa.array([datetime.datetime(2026, 1, 1)], pa.timestamp("ns"))}), sys.argv[1], use_deprecated_int96_timestamps=True, store_schema=False)`,
      path,
    ]);
    expect(await doorNames(path)).toEqual(await sparkNames(path));
  });
});

/** Whether checks.py's check_input passes the file, and its message when not. */
async function sparkVerdict(path: string, columns: Record<string, string>): Promise<string | null> {
  return pythonJson(
    `import json, sys
sys.path.insert(0, sys.argv[3])
from sluice_spark.checks import check_input
from sluice_spark.failures import DataFailure
try:
    check_input(sys.argv[1], json.loads(sys.argv[2]))
    print("null")
except DataFailure as failure:
    print(json.dumps(failure.message))`,
    [path, JSON.stringify(columns), resolve('spark-apps')],
  );
}

describe('verdicts', () => {
  const meter: DoorInput = { columns: { site: 'string', meter: 'string', ts: 'timestamp', kwh: 'double', status: 'string' } };

  it('pass and refuse the same files as the Spark app, naming the file and the column', async () => {
    const good = join(dir, 'good.parquet');
    const [bytes] = await parquetBytes({ rows: 3 });
    await writeFile(good, bytes!);
    const wrongType = join(dir, 'wrong-type.parquet');
    await writeWrongTypeParquet(wrongType);
    const corrupt = join(dir, 'corrupt.parquet');
    await writeCorruptParquet(corrupt);
    const text = join(dir, 'text.parquet');
    await writeFile(text, 'not parquet at all');
    const empty = join(dir, 'empty.parquet');
    await writeFile(empty, '');
    const nanos = join(dir, 'nanos.parquet');
    await python(['-c', `import sys, datetime, pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({"x": pa.array([1], pa.int64()), "ts": pa.array([datetime.datetime(2026, 1, 1)], pa.timestamp("ns"))}), sys.argv[1])`, nanos]);

    const cases: Array<[string, Record<string, string>, RegExp | undefined]> = [
      [good, { x: 'long' }, undefined],
      [good, { x: 'int' }, /column "x" is long, expected int/],
      [good, { x: 'long', y: 'string' }, /column "y" is missing \(expected string\)/],
      [wrongType, meter.columns, /column "kwh" is string, expected double/],
      [wrongType, { ...meter.columns, kwh: 'string' }, undefined],
      [corrupt, { x: 'long' }, /not a readable Parquet file/],
      [text, { x: 'long' }, /not a readable Parquet file/],
      [empty, { x: 'long' }, /not a readable Parquet file/],
      [nanos, { x: 'long', ts: 'timestamp' }, /column "ts" holds nanosecond timestamps/],
      [nanos, { x: 'long' }, undefined],
      [join(dir, 'absent.parquet'), { x: 'long' }, /file not found/],
    ];
    for (const [path, columns, problem] of cases) {
      // A file gone since it was recorded ready still has the size the ledger recorded.
      const size = await stat(path).then((stats) => stats.size, () => 100);
      const door = await validator.check({ uri: path, size }, { columns });
      const spark = await sparkVerdict(path, columns);
      expect({ path, columns, bad: door !== undefined }).toEqual({ path, columns, bad: spark !== null });
      if (problem) expect(door).toMatch(problem);
      if (door) expect(door).toContain(`input ${path}:`);
    }
  });

  it('gives no verdict on a file rewritten since its landing was ready (another size), and still judges one only touched (a later mtime)', async () => {
    const path = join(dir, 'rewritten.parquet');
    const [first] = await parquetBytes({ rows: 10 });
    await writeFile(path, first!);
    const v1 = await stat(path);
    const landing = { uri: path, size: v1.size };
    expect(await validator.check(landing, { columns: { x: 'long' } })).toBeUndefined();
    // Half of a new version, being written: judged as the landing, it would be "not Parquet".
    await writeFile(path, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(40)]));
    await expect(validator.check(landing, { columns: { x: 'long' } })).rejects.toBeInstanceOf(Superseded);
    // The same bytes, touched later: the touch rule keeps it the same landing, so it is judged.
    await writeFile(path, first!);
    await utimes(path, v1.atime, new Date(v1.mtimeMs + 5_000));
    expect(await validator.check(landing, { columns: { x: 'long' } })).toBeUndefined();
    expect(await validator.check(landing, { columns: { x: 'int' } })).toMatch(/column "x" is long, expected int/);
  });

  it('refuses a file larger than input.max_file_size, naming the setting', async () => {
    const path = join(dir, 'big.parquet');
    const [bytes] = await parquetBytes({ rows: 1_000 });
    await writeFile(path, bytes!);
    const size = bytes!.length;
    expect(await validator.check({ uri: path, size }, { columns: { x: 'long' }, max_file_size: size })).toBeUndefined();
    expect(await validator.check({ uri: path, size }, { columns: { x: 'long' }, max_file_size: size - 1 })).toBe(
      `input ${path}: ${size} bytes is larger than input.max_file_size (${size - 1} bytes)`,
    );
  });

  it('holds input.not_null: a column counted with nulls is refused; REQUIRED, null-free, or without counts passes', async () => {
    const write = async (name: string, code: string): Promise<string> => {
      const path = join(dir, name);
      await python(['-c', `import sys, pyarrow as pa, pyarrow.parquet as pq\n${code}`, path]);
      return path;
    };
    const nulls = await write('nulls.parquet', 'pq.write_table(pa.table({"x": pa.array([1, None, None], pa.int64())}), sys.argv[1])');
    const clean = await write('clean.parquet', 'pq.write_table(pa.table({"x": pa.array([1, 2], pa.int64())}), sys.argv[1])');
    const required = await write('required.parquet', 'pq.write_table(pa.table({"x": pa.array([1, 2], pa.int64())}, schema=pa.schema([pa.field("x", pa.int64(), nullable=False)])), sys.argv[1])');
    const uncounted = await write('uncounted.parquet', 'pq.write_table(pa.table({"x": pa.array([1, None], pa.int64())}), sys.argv[1], write_statistics=False)');
    const check = async (path: string, notNull: string[]) => validator.check({ uri: path, size: (await stat(path)).size }, { columns: { x: 'long' }, not_null: notNull });
    expect(await check(nulls, ['x'])).toBe(`input ${nulls}: column "x" holds 2 nulls, and input.not_null says it must hold none`);
    expect(await check(nulls, [])).toBeUndefined();
    expect(await check(clean, ['x'])).toBeUndefined();
    expect(await check(required, ['x'])).toBeUndefined();
    expect(await check(uncounted, ['x'])).toBeUndefined();
  });

  it('input.not_null names declared columns only', () => {
    const pipeline = (notNull: string[]) =>
      PipelineSchema.safeParse({
        name: 'p',
        input: { columns: { x: 'long' }, not_null: notNull },
        transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
        outputs: { lake: { table: 'p' } },
      });
    expect(pipeline(['x']).success).toBe(true);
    const refused = pipeline(['y']);
    expect(refused.success).toBe(false);
    expect(refused.error!.issues).toMatchObject([{ path: ['input', 'not_null', 0], message: '"y" is not one of input.columns' }]);
  });
});
