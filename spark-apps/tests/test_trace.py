"""The job's trace id: read from the spec, on every line the app logs (the first one and the
failure line included) and in the manifest it commits, so that a job can be followed from its
request into Spark's driver log and on to the SQL load ledger."""

import json
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from conftest import Landing
from sluice_spark.aggregate import aggregate, main
from sluice_spark.checks import check_inputs
from sluice_spark.manifest import MANIFEST_FILE
from sluice_spark.spec import parse_spec
from test_aggregate import spec_document

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def traced(document: dict[str, object]) -> dict[str, object]:
    return {**document, "trace_id": TRACE}


def test_the_spec_carries_the_trace_id_and_older_specs_have_none(tmp_path: Path) -> None:
    document = spec_document(["/landing/a.parquet"], tmp_path / "run=job-20-1")
    assert parse_spec(traced(document)).trace_id == TRACE
    assert parse_spec(document).trace_id is None


def test_every_log_line_and_the_failure_line_carry_the_trace_id(
    landing: Landing, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet")
    spec_path = tmp_path / "spec.json"
    document = spec_document([str(landing.paths[0]), str(corrupt)], tmp_path / "run=job-21-1", job_id="job-21")
    spec_path.write_text(json.dumps(traced(document)))
    assert main(["--spec", str(spec_path)]) == 65
    lines = capsys.readouterr().err.splitlines()
    log_lines = [line for line in lines if line.startswith("sluice: ")]
    assert log_lines[0].startswith(f"sluice: job=job-21 attempt=1 trace={TRACE} starting ")
    assert len(log_lines) >= 2 and all(f" trace={TRACE} " in line for line in log_lines)
    failure_lines = [line for line in lines if line.startswith("SLUICE_FAILURE ")]
    assert len(failure_lines) == 1
    payload = json.loads(failure_lines[0].removeprefix("SLUICE_FAILURE "))
    assert payload["trace_id"] == TRACE and payload["input"] == str(corrupt)


def test_without_a_trace_id_the_lines_are_as_before(landing: Landing, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet")
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec_document([str(corrupt)], tmp_path / "run=job-22-1", job_id="job-22")))
    assert main(["--spec", str(spec_path)]) == 65
    err = capsys.readouterr().err
    assert " trace=" not in err and '"trace_id"' not in err
    assert "sluice: job=job-22 attempt=1 starting " in err


def test_the_committed_manifest_carries_the_trace_id(spark: SparkSession, landing: Landing, tmp_path: Path) -> None:
    run_folder = tmp_path / "lake" / "meter_daily" / "run=job-23-1"
    spec = parse_spec(traced(spec_document([str(path) for path in landing.paths], run_folder, job_id="job-23")))
    returned = aggregate(spark, spec, check_inputs(spec.inputs, spec.expected_columns))
    on_disk = json.loads((run_folder / MANIFEST_FILE).read_text())
    assert on_disk["trace_id"] == TRACE
    assert returned == on_disk
