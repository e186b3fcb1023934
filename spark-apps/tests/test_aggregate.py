"""A whole run: part files, then a manifest that matches what pyarrow reads back, written last.

aggregate() runs in-process on the shared session; main() is run in-process only on the paths
that return before a SparkSession starts (the Spark paths are covered through spark-submit
in test_entry.py).
"""

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from conftest import READING_COLUMNS, Landing
from sluice_spark.aggregate import aggregate, main
from sluice_spark.checks import check_inputs
from sluice_spark.manifest import MANIFEST_FILE
from sluice_spark.spec import parse_spec

DEMO_TRANSFORM = {
    "filter": "status = :status",
    "derive": {"day": "to_date(ts)"},
    "group_by": ["site", "day"],
    "metrics": [
        {"name": "readings", "fn": "count"},
        {"name": "kwh_sum", "fn": "sum", "column": "kwh"},
        {"name": "kwh_avg", "fn": "avg", "column": "kwh"},
        {"name": "kwh_max", "fn": "max", "column": "kwh"},
        {"name": "kwh_p95", "fn": "approx_percentile", "column": "kwh", "percentile": 0.95},
    ],
}


def spec_document(inputs: list[str], run_folder: Path, job_id: str = "job-1") -> dict[str, Any]:
    return {
        "version": 1,
        "job_id": job_id,
        "attempt": 1,
        "pipeline": "meter-daily",
        "request_id": "req-1",
        "inputs": inputs,
        "expected_columns": READING_COLUMNS,
        "transform": DEMO_TRANSFORM,
        "parameters": {"status": "ok"},
        "output": {"table": "meter_daily", "run_uri": f"file://{run_folder}"},
    }


def assert_committed_run(run_folder: Path, landing: Landing) -> dict[str, Any]:
    """The manifest agrees with the files on disk, read back with pyarrow, and came last."""
    manifest = json.loads((run_folder / MANIFEST_FILE).read_text())
    parts = sorted(run_folder.glob("part-*.parquet"))
    assert parts
    assert [entry["name"] for entry in manifest["files"]] == [path.name for path in parts]
    for entry, path in zip(manifest["files"], parts, strict=True):
        assert entry["rows"] == pq.read_table(path).num_rows
        assert entry["bytes"] == path.stat().st_size
    assert manifest["rows_out"] == sum(pq.read_table(path).num_rows for path in parts)
    assert manifest["rows_in"] == len(landing.readings)
    assert manifest["inputs"][0]["rows"] == pq.ParquetFile(landing.paths[0]).metadata.num_rows
    expected_groups = {(r.site, r.ts.date()) for r in landing.readings if r.status == "ok"}
    assert manifest["rows_out"] == len(expected_groups)
    assert [(column["name"], column["type"]) for column in manifest["schema"]] == [
        ("site", "string"),
        ("day", "date"),
        ("readings", "bigint"),
        ("kwh_sum", "double"),
        ("kwh_avg", "double"),
        ("kwh_max", "double"),
        ("kwh_p95", "double"),
    ]
    # Written last: no data file is newer than the manifest, and no temporary file is left.
    manifest_time = (run_folder / MANIFEST_FILE).stat().st_mtime_ns
    assert all(path.stat().st_mtime_ns <= manifest_time for path in run_folder.iterdir())
    assert not list(run_folder.glob("*.tmp"))
    return manifest


def test_aggregate_writes_part_files_then_the_manifest(spark: SparkSession, landing: Landing, tmp_path: Path) -> None:
    run_folder = tmp_path / "lake" / "meter_daily" / "run=job-1-1"
    spec = parse_spec(spec_document([str(path) for path in landing.paths], run_folder))
    manifest = aggregate(spark, spec, check_inputs(spec.inputs, spec.expected_columns))
    assert manifest == assert_committed_run(run_folder, landing)
    assert manifest["job_id"] == "job-1" and manifest["table"] == "meter_daily"
    assert manifest["run_uri"] == f"file://{run_folder}"


def test_aggregate_replaces_the_debris_of_a_killed_launch(spark: SparkSession, landing: Landing, tmp_path: Path) -> None:
    run_folder = tmp_path / "run=job-2-1"
    run_folder.mkdir()
    (run_folder / "part-99999-stale.snappy.parquet").write_bytes(b"half written")
    spec = parse_spec(spec_document([str(path) for path in landing.paths], run_folder, job_id="job-2"))
    aggregate(spark, spec, check_inputs(spec.inputs, spec.expected_columns))
    assert not (run_folder / "part-99999-stale.snappy.parquet").exists()
    assert_committed_run(run_folder, landing)


def test_main_leaves_a_committed_run_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_folder = tmp_path / "run=job-3-1"
    run_folder.mkdir()
    (run_folder / MANIFEST_FILE).write_text("{}")
    spec_path = tmp_path / "spec.json"
    # The inputs are gone (archived after the commit): main must not even look at them.
    spec_path.write_text(json.dumps(spec_document([str(tmp_path / "archived.parquet")], run_folder, job_id="job-3")))
    assert main(["--spec", str(spec_path)]) == 0
    assert (run_folder / MANIFEST_FILE).read_text() == "{}"
    assert "already committed" in capsys.readouterr().err


def test_main_reports_a_data_failure_before_starting_spark(
    landing: Landing, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet")
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec_document([str(landing.paths[0]), str(corrupt)], tmp_path / "run=job-4-1", job_id="job-4")))
    assert main(["--spec", str(spec_path)]) == 65
    failure_lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("SLUICE_FAILURE ")]
    assert len(failure_lines) == 1
    payload = json.loads(failure_lines[0].removeprefix("SLUICE_FAILURE "))
    assert payload["class"] == "data"
    assert str(corrupt) in payload["message"]
    # The bad file, exactly as the spec named it: what the broker quarantines.
    assert payload["input"] == str(corrupt)
    assert not (tmp_path / "run=job-4-1").exists()
