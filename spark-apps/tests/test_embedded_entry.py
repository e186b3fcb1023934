"""run_embedded.py as the broker's launcher runs it (a child process): the Spark app's contract
of exit codes, failure lines and commits, and the embedded engine's own faults (memory,
SIGKILL mid-write)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import SPARK_APPS, Landing, failure_payload
from sluice_spark.manifest import MANIFEST_FILE
from test_aggregate import assert_committed_run, spec_document

sys.path.insert(0, str(SPARK_APPS.parent / "examples"))
from generate_meter_readings import readings_table  # noqa: E402  (the demo's own generator)


def run_embedded(spec: dict[str, Any], tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    command = [sys.executable, str(SPARK_APPS / "run_embedded.py"), "--spec", str(spec_path), "--threads", "2", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def big_landing(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """About 12 MB of meter readings: enough that writing every row takes a while."""
    folder = tmp_path_factory.mktemp("big")
    paths = []
    for index in range(2):
        path = folder / f"readings-{index}.parquet"
        pq.write_table(readings_table(500_000, 40, seed=index + 1), path)
        paths.append(path)
    return paths


def test_a_run_commits_with_the_spark_apps_manifest(landing: Landing, tmp_path: Path) -> None:
    run_folder = tmp_path / "lake" / "meter_daily" / "run=job-30-1"
    inputs = [f"file://{landing.paths[0]}", *(str(path) for path in landing.paths[1:])]
    result = run_embedded(spec_document(inputs, run_folder, job_id="job-30"), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = assert_committed_run(run_folder, landing)
    assert manifest["engine"] == "embedded" and manifest["spark_seconds"] >= 0
    assert f"sluice: job=job-30 attempt=1 wrote {len(manifest['files'])} files, {manifest['rows_out']} rows" in result.stderr
    assert result.stderr.startswith("sluice: job=job-30 attempt=1 starting pipeline=meter-daily request=req-1 inputs=3\n")
    assert "SLUICE_FAILURE" not in result.stderr and result.stdout == ""


def test_a_corrupt_input_exits_65_naming_the_file(landing: Landing, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 truncated")
    run_folder = tmp_path / "run=job-31-1"
    result = run_embedded(spec_document([str(landing.paths[0]), str(corrupt)], run_folder, job_id="job-31"), tmp_path)
    assert result.returncode == 65
    assert failure_payload(result.stderr) == {
        "class": "data",
        "message": f"input {corrupt}: not a readable Parquet file "
        "(Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.)",
        "input": str(corrupt),
    }
    assert not run_folder.exists()


def test_an_unknown_column_exits_64(landing: Landing, tmp_path: Path) -> None:
    spec = spec_document([str(path) for path in landing.paths], tmp_path / "run=job-32-1", job_id="job-32")
    spec["transform"] = {**spec["transform"], "filter": "voltage > 1"}
    result = run_embedded(spec, tmp_path)
    assert result.returncode == 64
    payload = failure_payload(result.stderr)
    assert payload["class"] == "user" and "voltage" in payload["message"]


def test_an_expression_it_cannot_translate_exits_64_naming_it(landing: Landing, tmp_path: Path) -> None:
    spec = spec_document([str(path) for path in landing.paths], tmp_path / "run=job-33-1", job_id="job-33")
    spec["transform"] = {**spec["transform"], "derive": {"day": "to_date(ts)", "kwh_2": "round(kwh, 2)"}}
    result = run_embedded(spec, tmp_path)
    assert result.returncode == 64
    assert failure_payload(result.stderr)["message"].startswith("derive.kwh_2: cannot translate 'round(kwh, 2)' for the embedded engine: function round()")


def test_a_committed_run_is_left_alone(tmp_path: Path) -> None:
    run_folder = tmp_path / "run=job-34-1"
    run_folder.mkdir()
    (run_folder / MANIFEST_FILE).write_text("{}")
    # The inputs are gone (archived after the commit): the run must not even look at them.
    result = run_embedded(spec_document([str(tmp_path / "archived.parquet")], run_folder, job_id="job-34"), tmp_path)
    assert result.returncode == 0
    assert (run_folder / MANIFEST_FILE).read_text() == "{}"
    assert "already committed" in result.stderr


def test_out_of_memory_past_spilling_is_a_platform_failure(big_landing: list[Path], tmp_path: Path) -> None:
    spec = spec_document([str(path) for path in big_landing], tmp_path / "run=job-35-1", job_id="job-35")
    spec["transform"] = {"sql": "SELECT meter, ts, count(*) AS n FROM landing GROUP BY meter, ts"}
    result = run_embedded(spec, tmp_path, "--memory", "4MB", "--temp-dir", str(tmp_path))
    assert result.returncode not in (0, 64, 65)
    payload = failure_payload(result.stderr)
    assert payload["class"] == "platform"
    assert payload["message"].startswith("embedded engine out of memory (memory limit 4MB): Out of Memory Error:")
    assert not (tmp_path / "run=job-35-1" / MANIFEST_FILE).exists()
    # The spill folder the run made for itself is gone.
    assert not list(tmp_path.glob("sluice-embedded-*"))


def test_a_run_killed_mid_write_leaves_no_manifest_and_the_retry_commits_once(big_landing: list[Path], tmp_path: Path) -> None:
    run_folder = tmp_path / "run=job-36-1"
    spec = spec_document([str(path) for path in big_landing], run_folder, job_id="job-36")
    spec["transform"] = {"sql": "SELECT site, meter, ts, kwh, status FROM landing"}
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    command = [sys.executable, str(SPARK_APPS / "run_embedded.py"), "--spec", str(spec_path), "--threads", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(path.name.endswith(".tmp") and path.stat().st_size > 0 for path in _entries(run_folder)):
            assert process.poll() is None, "the run ended before it was seen writing"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (run_folder / MANIFEST_FILE).exists()
    assert not list(run_folder.glob("part-*.parquet"))  # only the hidden temporary file

    retry = run_embedded(spec, tmp_path)
    assert retry.returncode == 0, retry.stderr
    manifest = json.loads((run_folder / MANIFEST_FILE).read_text())
    assert sorted(path.name for path in run_folder.iterdir()) == sorted([MANIFEST_FILE, *(file["name"] for file in manifest["files"])])
    assert manifest["rows_out"] == manifest["rows_in"] == 1_000_000
    assert sum(pq.ParquetFile(run_folder / file["name"]).metadata.num_rows for file in manifest["files"]) == 1_000_000


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def test_local_names_that_look_like_globs_are_read_literally(landing: Landing, tmp_path: Path) -> None:
    folder = tmp_path / "landing"
    folder.mkdir()
    inputs = []
    for index, path in enumerate(landing.paths):
        # DuckDB's read_parquet would expand these; the run must read exactly these files.
        literal = folder / f"it's [{index}] *{{a,b}}?.parquet"
        literal.write_bytes(path.read_bytes())
        inputs.append(str(literal))
    (folder / "decoy.parquet").write_bytes(landing.paths[0].read_bytes())
    run_folder = tmp_path / "run=job-37-1"
    result = run_embedded(spec_document(inputs, run_folder, job_id="job-37"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert_committed_run(run_folder, landing)


def test_an_expression_duckdb_cannot_bind_where_spark_can_is_a_platform_failure_naming_it(landing: Landing, tmp_path: Path) -> None:
    """length() of a double: Spark casts it to text, DuckDB has no such function. Not the
    pipeline's fault: exit 70 with a platform line, so that the broker retries on Spark."""
    run_folder = tmp_path / "run=job-36-1"
    spec = spec_document([str(path) for path in landing.paths], run_folder, job_id="job-36")
    spec["transform"] = {**spec["transform"], "derive": {"day": "to_date(ts)", "digits": "length(kwh)"}}
    result = run_embedded(spec, tmp_path)
    assert result.returncode == 70, result.stderr[-3000:]
    payload = failure_payload(result.stderr)
    assert payload["class"] == "platform"
    assert payload["message"].startswith("derive.digits 'length(kwh)': the embedded engine could not run the translated expression (Binder Error: No function matches")
    assert not (run_folder / MANIFEST_FILE).exists()


def test_a_column_that_does_not_exist_in_a_derived_column_or_statement_stays_the_pipelines_fault(landing: Landing, tmp_path: Path) -> None:
    spec = spec_document([str(path) for path in landing.paths], tmp_path / "run=job-37-1", job_id="job-37")
    spec["transform"] = {**spec["transform"], "derive": {"day": "to_date(ts)", "v": "voltage * 2"}}
    result = run_embedded(spec, tmp_path)
    assert result.returncode == 64
    payload = failure_payload(result.stderr)
    assert payload["class"] == "user" and payload["message"].startswith("derive.v 'voltage * 2': Binder Error: Referenced column \"voltage\" not found")
    spec["transform"] = {"sql": "SELECT site, sum(voltage) AS v FROM landing GROUP BY site"}
    result = run_embedded(spec, tmp_path)
    assert result.returncode == 64 and failure_payload(result.stderr)["class"] == "user"


def test_a_non_string_written_as_text_is_refused_at_run_time_by_the_landings_types(landing: Landing, tmp_path: Path) -> None:
    spec = spec_document([str(path) for path in landing.paths], tmp_path / "run=job-38-1", job_id="job-38")
    spec["transform"] = {**spec["transform"], "derive": {"day": "to_date(ts)", "label": "concat(site, '-', kwh)"}}
    result = run_embedded(spec, tmp_path)
    assert result.returncode == 64
    assert "concat/|| argument 'kwh' is not a string (column kwh, of type double)" in failure_payload(result.stderr)["message"]
