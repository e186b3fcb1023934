"""run_aggregate.py through the real spark-submit, as the broker's local launcher runs it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SPARK_APPS, Landing, failure_payload
from test_aggregate import assert_committed_run, spec_document

SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"


def spark_submit(spec: dict[str, object], tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    environment = {
        **os.environ,
        **(env or {}),
        # spark-submit finds its Spark home and the driver's Python through these.
        "PATH": f"{SPARK_SUBMIT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYSPARK_PYTHON": sys.executable,
    }
    command = [
        str(SPARK_SUBMIT),
        "--master", "local[2]",
        "--driver-memory", "512m",
        "--conf", "spark.ui.enabled=false",
        str(SPARK_APPS / "run_aggregate.py"),
        "--spec", str(spec_path),
    ]  # fmt: skip
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=180, check=False)


def test_a_run_commits_through_spark_submit(landing: Landing, tmp_path: Path) -> None:
    run_folder = tmp_path / "lake" / "meter_daily" / "run=job-10-1"
    # A ':' in a file name, as producers stamp times: Hadoop's checksummed local file system
    # failed every task on it (URISyntaxException); the app's session reads file:// without it.
    stamped = tmp_path / "landing" / "readings_2026-01-01T10:00:00.parquet"
    stamped.parent.mkdir()
    shutil.copyfile(landing.paths[0], stamped)
    inputs = [f"file://{stamped}", *(str(path) for path in landing.paths[1:])]
    result = spark_submit(spec_document(inputs, run_folder, job_id="job-10"), tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest = assert_committed_run(run_folder, landing)
    # spark-submit merges the Python driver's stderr into its own stdout.
    assert f"sluice: job=job-10 attempt=1 wrote {len(manifest['files'])} files, {manifest['rows_out']} rows" in result.stdout


def test_a_corrupt_input_exits_65_with_one_failure_line(landing: Landing, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 truncated")
    run_folder = tmp_path / "run=job-11-1"
    result = spark_submit(spec_document([str(landing.paths[0]), str(corrupt)], run_folder, job_id="job-11"), tmp_path)
    assert result.returncode == 65
    assert failure_payload(result.stdout) == {
        "class": "data",
        "message": f"input {corrupt}: not a readable Parquet file "
        "(Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.)",
        "input": str(corrupt),
    }
    assert not run_folder.exists()


def test_a_bad_filter_exits_64(landing: Landing, tmp_path: Path) -> None:
    spec = spec_document([str(path) for path in landing.paths], tmp_path / "run=job-12-1", job_id="job-12")
    spec["transform"] = {**spec["transform"], "filter": "voltage > 1"}
    # On Kubernetes the launcher names the container's termination message: the line goes
    # there too, whole, whatever Spark logs after it.
    termination_log = tmp_path / "termination-log"
    result = spark_submit(spec, tmp_path, {"SLUICE_FAILURE_FILE": str(termination_log)})
    assert result.returncode == 64
    payload = failure_payload(result.stdout)
    assert payload["class"] == "user" and "voltage" in payload["message"]
    assert failure_payload(termination_log.read_text()) == payload
