"""Spark reads every input literally: Hadoop's glob must not expand a file's name.

A file inside the landing root literally named `{x,../outside/y}.parquet` (folders `{x,..`
and `outside`, file `y}.parquet`) is, to Hadoop's glob, the two paths `x.parquet` and
`../outside/y.parquet`, the second outside the root. The broker refuses such names in
requests, but folder expansion and the watchers hand over whatever landed, so the app
escapes each path before spark.read. Each test first shows what the unescaped read does,
so that it fails if Spark ever stops globbing (and the escape became dead code) as well as
if the escape stops working.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from conftest import READING_COLUMNS, READING_SCHEMA
from sluice_spark import storage
from sluice_spark.aggregate import aggregate, read_landing
from sluice_spark.checks import check_inputs
from sluice_spark.spec import parse_spec


def write_readings(path: Path, site: str, rows: int) -> Path:
    """`rows` readings of one site, so that the sites read show which files were read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ts = datetime(2026, 11, 30, 12, tzinfo=UTC)
    table = pa.Table.from_pylist(
        [{"site": site, "meter": f"m{i}", "ts": ts, "kwh": 1.0, "status": "ok"} for i in range(rows)], schema=READING_SCHEMA
    )
    pq.write_table(table, path)
    return path


def spec_for(inputs: list[str], run_folder: Path):
    return parse_spec(
        {
            "version": 1,
            "job_id": "job-glob",
            "attempt": 1,
            "pipeline": "meter-daily",
            "inputs": inputs,
            "expected_columns": READING_COLUMNS,
            "transform": {"group_by": ["site"], "metrics": [{"name": "readings", "fn": "count"}]},
            "parameters": {},
            "output": {"table": "meter_daily", "run_uri": f"file://{run_folder}"},
        }
    )


def sites(frame) -> dict[str, int]:
    return {row["site"]: row["n"] for row in frame.groupBy("site").count().withColumnRenamed("count", "n").collect()}


def test_a_brace_name_is_read_as_the_one_file_inside_the_root(spark: SparkSession, tmp_path: Path) -> None:
    root = tmp_path / "landing"
    named = write_readings(root / "{x,.." / "outside" / "y}.parquet", "inside", 3)
    write_readings(root / "x.parquet", "x-decoy", 5)
    write_readings(tmp_path / "outside" / "y.parquet", "SECRET-outside-the-root", 7)
    assert named.exists() and str(named).startswith(str(root))

    # The threat, shown with the path as it was handed over before: the braces expand and
    # Spark reads the decoy and the file outside the root, not the file that was named.
    unescaped = spark.read.parquet(storage.spark_location(str(named)))
    assert sites(unescaped) == {"x-decoy": 5, "SECRET-outside-the-root": 7}

    # The app's read, and its whole run: only the named file, committed with its rows.
    run_folder = tmp_path / "lake" / "run=job-glob-1"
    spec = spec_for([str(named)], run_folder)
    assert sites(read_landing(spark, spec)) == {"inside": 3}
    manifest = aggregate(spark, spec, check_inputs(spec.inputs, spec.expected_columns))
    assert manifest["rows_in"] == 3
    assert [row.asDict() for row in spark.read.parquet(str(run_folder)).collect()] == [{"site": "inside", "readings": 3}]


@pytest.mark.parametrize(
    ("name", "decoys"),
    [
        ("data[1].parquet", ["data1.parquet"]),
        ("star*.parquet", ["starling.parquet"]),
        ("q?.parquet", ["qa.parquet"]),
        ("back\\slash.parquet", ["backslash.parquet"]),
    ],
)
def test_other_glob_characters_are_read_literally(spark: SparkSession, tmp_path: Path, name: str, decoys: list[str]) -> None:
    root = tmp_path / "landing"
    named = write_readings(root / name, "named", 2)
    for index, decoy in enumerate(decoys):
        write_readings(root / decoy, f"decoy-{index}", 4)
    spec = spec_for([str(named)], tmp_path / "run")
    assert sites(read_landing(spark, spec)) == {"named": 2}
    # Unescaped, the glob matches the decoy (and, for "*", the file itself too).
    assert "decoy-0" in sites(spark.read.parquet(storage.spark_location(str(named))))


def test_paths_without_glob_characters_are_handed_over_unchanged() -> None:
    for uri in ["file:///landing/a b/c=1/part-0.parquet", "s3a://landing/harp/2026-11-30/x.parquet"]:
        assert storage.literal_path(uri) == uri
    assert storage.literal_path("s3a://landing/k/{a,b}[0]*?\\.parquet") == "s3a://landing/k/\\{a,b\\}\\[0\\]\\*\\?\\\\.parquet"


# --- s3a:// --------------------------------------------------------------------------------
# Hadoop's Globber is shared by every FileSystem, but S3A lists keys rather than folders, so
# the escape is proven there too: a real MinIO (built by scripts/setup) and a Spark driver
# with the hadoop-aws jars, in a process of its own (the session above has no S3A jars, and
# one Python process holds one JVM).

REPO = Path(__file__).resolve().parents[2]

S3A_READ = """
import json, sys
sys.path.insert(0, sys.argv[1])
from pyspark.sql import SparkSession
from sluice_spark import storage
endpoint, key, secret, jars, uri = sys.argv[2:7]
spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.jars", jars)
    .config("spark.ui.enabled", "false")
    .config("spark.hadoop.fs.s3a.endpoint", endpoint)
    .config("spark.hadoop.fs.s3a.endpoint.region", "us-east-1")
    .config("spark.hadoop.fs.s3a.path.style.access", "true")
    .config("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
    .config("spark.hadoop.fs.s3a.access.key", key)
    .config("spark.hadoop.fs.s3a.secret.key", secret)
    .getOrCreate()
)
def sites(path):
    rows = spark.read.parquet(path).groupBy("site").count().collect()
    return {row["site"]: row["count"] for row in rows}
print("RESULT " + json.dumps({"escaped": sites(storage.literal_path(uri)), "unescaped": sites(uri)}))
spark.stop()
"""


def _cache_tools() -> tuple[Path, list[str]]:
    """The MinIO binary and the S3A jars where scripts/setup puts them (broker/tool-cache.ts)."""
    versions = dict(
        line.split("=", 1) for line in (REPO / "scripts" / "versions.env").read_text().splitlines() if line and not line.startswith("#") and "=" in line
    )
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sluice"
    aws, sdk = versions["HADOOP_AWS_VERSION"], versions["AWS_SDK_BUNDLE_VERSION"]
    jars = cache / f"jars-hadoop-aws-{aws}-awssdk-{sdk}"
    return cache / f"minio-{versions['MINIO_VERSION']}" / "minio", [str(jars / f"hadoop-aws-{aws}.jar"), str(jars / f"bundle-{sdk}.jar")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_escaped_s3a_path_is_read_literally(tmp_path: Path) -> None:
    minio, jars = _cache_tools()
    if not minio.exists() or not all(Path(jar).exists() for jar in jars):
        pytest.skip("MinIO or the S3A jars are not built: run scripts/setup")
    port, key, secret = _free_port(), "sluice-glob-test", secrets.token_hex(16)
    server = subprocess.Popen(
        [str(minio), "server", "--address", f"127.0.0.1:{port}", "--console-address", f"127.0.0.1:{_free_port()}", str(tmp_path / "data")],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MINIO_ROOT_USER": key, "MINIO_ROOT_PASSWORD": secret, "MINIO_BROWSER": "off", "MINIO_UPDATE": "off", "MINIO_CI_CD": "on"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        s3 = pafs.S3FileSystem(access_key=key, secret_key=secret, endpoint_override=f"127.0.0.1:{port}", scheme="http", region="us-east-1", allow_bucket_creation=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                s3.create_dir("landing")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # The "landing root" is landing/harp/; the named object's key holds the braces.
        for object_key, site, rows in [("landing/harp/{x,../outside/y}.parquet", "inside", 3), ("landing/harp/x.parquet", "x-decoy", 5), ("landing/outside/y.parquet", "SECRET-outside-the-root", 7)]:
            local = write_readings(tmp_path / "objects" / f"{site}.parquet", site, rows)
            with s3.open_output_stream(object_key) as out:
                out.write(local.read_bytes())
        uri = "s3a://landing/harp/{x,../outside/y}.parquet"
        run = subprocess.run(
            [sys.executable, "-c", S3A_READ, str(REPO / "spark-apps"), f"http://127.0.0.1:{port}", key, secret, ",".join(jars), uri],
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        assert run.returncode == 0 and lines, run.stderr[-3000:]
        result = json.loads(lines[0].removeprefix("RESULT "))
        assert result["unescaped"] == {"x-decoy": 5, "SECRET-outside-the-root": 7}
        assert result["escaped"] == {"inside": 3}
    finally:
        server.terminate()
        server.wait(timeout=30)
