// A stand-in for spark-apps/run_aggregate.py, run by the real local launcher through the
// real spark-submit, for broker tests where Spark's own work is beside the point (caps,
// priorities, shutdown, retention, the CLI). It starts no SparkSession, so a run takes a few
// seconds; it obeys the run spec's parameters: sleep `seconds`, then exit with `exit`
// (after a failure line), or commit a run with its manifest, as the real app does: empty, or
// with `rows` rows (x, n = x * scale) in one part file, then stay `linger` seconds before exiting.
// An input whose name holds "corrupt" fails the run with class data, naming that input.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';

const ENTRY = `
import datetime, json, os, sys, time
spec = json.load(open(sys.argv[sys.argv.index("--spec") + 1]))
p = spec["parameters"]
print(f"stand-in run job={spec['job_id']} attempt={spec['attempt']} trace={spec.get('trace_id', '-')}", flush=True)
time.sleep(float(p.get("seconds", 0)))
corrupt = [i for i in spec["inputs"] if "corrupt" in os.path.basename(i)]
if corrupt:
    print("SLUICE_FAILURE " + json.dumps({"class": "data", "message": f"input {corrupt[0]}: not a Parquet file", "input": corrupt[0]}), file=sys.stderr, flush=True)
    sys.exit(65)
code = int(p.get("exit", 0))
if code:
    print("SLUICE_FAILURE " + json.dumps({"class": "data", "message": "stand-in failure"}), file=sys.stderr, flush=True)
    sys.exit(code)
run = spec["output"]["run_uri"].removeprefix("file://")
os.makedirs(run, exist_ok=True)
# rows > 0: one part file of rows x = 0..rows-1, n = x * scale (the sink tests load it).
rows, scale = int(p.get("rows", 0)), int(p.get("scale", 1))
files, schema = [], []
if rows:
    import pyarrow as pa, pyarrow.parquet as pq
    part = os.path.join(run, "part-00000.parquet")
    pq.write_table(pa.table({"x": pa.array(range(rows), pa.int64()), "n": pa.array([i * scale for i in range(rows)], pa.int64())}), part)
    files = [{"name": "part-00000.parquet", "rows": rows, "bytes": os.path.getsize(part)}]
    schema = [{"name": "x", "type": "bigint", "nullable": True}, {"name": "n", "type": "bigint", "nullable": False}]
manifest = {"version": 1, "job_id": spec["job_id"], "attempt": spec["attempt"], "pipeline": spec["pipeline"],
            "table": spec["output"]["table"], "run_uri": spec["output"]["run_uri"],
            "committed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "rows_in": rows, "rows_out": rows,
            "inputs": [], "files": files, "schema": schema}
# The job's trace id, as the real app writes it (spark-apps/sluice_spark/manifest.py).
if spec.get("trace_id"):
    manifest["trace_id"] = spec["trace_id"]
with open(os.path.join(run, "_manifest.json.tmp"), "w") as f:
    json.dump(manifest, f)
os.replace(os.path.join(run, "_manifest.json.tmp"), os.path.join(run, "_manifest.json"))
print("stand-in run committed", flush=True)
# linger > 0: stay alive after the commit (a test kills the run between its commit and its exit).
time.sleep(float(p.get("linger", 0)))
`;

/** A folder holding the stand-in as run_aggregate.py: pass it as SLUICE_SPARK_APPS_DIR. */
export async function standInAppsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-stand-in-'));
  await writeFile(join(dir, 'run_aggregate.py'), ENTRY);
  return dir;
}

export function standInPipeline(name: string, policy: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Pipeline {
  return PipelineSchema.parse({
    ...extra,
    name,
    input: { columns: { x: 'long' }, ...(extra.input as object | undefined) },
    parameters: {
      seconds: { type: 'number', default: 0 },
      exit: { type: 'number', default: 0 },
      rows: { type: 'number', default: 0 },
      scale: { type: 'number', default: 1 },
      linger: { type: 'number', default: 0 },
    },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: name.replace(/-/g, '_') }, ...(extra.outputs as object | undefined) },
    engine: { cores: 1, driver_memory: '256m' },
    policy: { backoff: { initial: '500ms', max: '1s', factor: 2 }, ...policy },
  });
}

/** The same pipeline as YAML in a folder of its own, for a `sluice` child process. */
export async function standInPipelinesDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pipelines-'));
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, `${name}.yaml`),
    [
      `name: ${name}`,
      'input: { columns: { x: long } }',
      'parameters: { seconds: { type: number, default: 0 }, exit: { type: number, default: 0 } }',
      'transform: { group_by: [x], metrics: [{ name: n, fn: count }] }',
      `outputs: { lake: { table: ${name.replace(/-/g, '_')} } }`,
      "engine: { cores: 1, driver_memory: 256m }",
      '',
    ].join('\n'),
  );
  return dir;
}
