// Small real Parquet files for landing tests, written by pyarrow (the project's .venv): the
// watchers read every landing's footer at the door, so a landed file must be Parquet unless
// the test means it to be bad. Made once per shape and kept, since each costs a Python start.
import { python } from './python.ts';

/** One column `x` of `rows` values 0..rows-1, as Spark's `long` (int64) or, to be wrong, as `string`. */
export type ParquetShape = { rows: number; x?: 'long' | 'string' };

const cache = new Map<string, Buffer>();

const SCRIPT = `import base64, io, json, sys, pyarrow as pa, pyarrow.parquet as pq
out = []
for shape in json.loads(sys.argv[1]):
    values = list(range(shape["rows"]))
    x = pa.array([str(v) for v in values], pa.string()) if shape.get("x") == "string" else pa.array(values, pa.int64())
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": x}), sink)
    out.append(base64.b64encode(sink.getvalue()).decode())
print(json.dumps(out))`;

/** The bytes of a Parquet file of each shape, in order (one Python run for those not made yet). */
export async function parquetBytes(...shapes: ParquetShape[]): Promise<Buffer[]> {
  const key = (shape: ParquetShape) => JSON.stringify([shape.rows, shape.x ?? 'long']);
  const missing = [...new Map(shapes.filter((shape) => !cache.has(key(shape))).map((shape) => [key(shape), shape])).values()];
  if (missing.length > 0) {
    const made = JSON.parse(await python(['-c', SCRIPT, JSON.stringify(missing)])) as string[];
    missing.forEach((shape, index) => cache.set(key(shape), Buffer.from(made[index]!, 'base64')));
  }
  return shapes.map((shape) => cache.get(key(shape))!);
}
