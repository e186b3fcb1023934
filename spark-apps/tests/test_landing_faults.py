"""Faults of a landing that only show once an engine reads it, on both engines (the Spark app's
aggregate() on the shared session, the embedded engine's run_embedded()), and what a run owes
the lake before its commit:

- a data page that does not decode, and a value the transform cannot convert, fail `data`
  (naming the file when it can be told), never as a platform failure retried for ever; a
  parameter that does not convert fails `user`; a read error of the lake stays platform;
- a ':' in a local file name is read (Hadoop's checksummed local file system could not);
- a file Spark would skip as hidden (`_x`, `.x`) is refused by both, `user`, naming it;
- part files and the run folder are flushed to disk before the manifest names them.
"""

import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from conftest import failure_payload, spec_document
from sluice_embedded.engine import default_settings, run_embedded
from sluice_embedded.main import main as embedded_main
from sluice_spark import aggregate as spark_app
from sluice_spark import storage
from sluice_spark.aggregate import aggregate
from sluice_spark.checks import check_inputs
from sluice_spark.failures import DataFailure, SluiceFailure, UserFailure
from sluice_spark.manifest import MANIFEST_FILE
from sluice_spark.run_failures import unreadable_input
from sluice_spark.spec import RunSpec, parse_spec

ENGINES = ["spark", "embedded"]
KV_COLUMNS = {"k": "string", "v": "double"}
SUM_OF_V = {"derive": {}, "group_by": ["k"], "metrics": [{"name": "s", "fn": "sum", "column": "v"}]}


def document(inputs: list[Path], columns: dict[str, str], transform: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return spec_document("faults", inputs, columns, transform, parameters)


def spec_for(document_: dict[str, Any], run_folder: Path) -> RunSpec:
    return parse_spec({**document_, "output": {**document_["output"], "run_uri": f"file://{run_folder}"}})


def run(spark: SparkSession, engine: str, document_: dict[str, Any], run_folder: Path) -> dict[str, Any]:
    spec = spec_for(document_, run_folder)
    inputs = check_inputs(spec.inputs, spec.expected_columns)
    if engine == "spark":
        return aggregate(spark, spec, inputs)
    return run_embedded(spec, inputs, default_settings(memory="1GB", threads=2))


def failure_of(spark: SparkSession, engine: str, document_: dict[str, Any], run_folder: Path) -> BaseException:
    with pytest.raises(Exception) as raised:
        run(spark, engine, document_, run_folder)
    assert not (run_folder / MANIFEST_FILE).exists()
    return raised.value


# --- a page that does not decode ---------------------------------------------------------------


def write_kv(path: Path, rows: int = 20_000) -> Path:
    pq.write_table(pa.table({"k": [f"site-{index % 7}" for index in range(rows)], "v": [index / 4 for index in range(rows)]}), path)
    return path


def break_a_page_header(good: Path, broken: Path) -> Path:
    """A copy of `good` whose first page header of column v is garbage: the footer is intact."""
    data = bytearray(good.read_bytes())
    offset = pq.read_metadata(good).row_group(0).column(1).data_page_offset
    for index in range(offset, offset + 8):
        data[index] ^= 0xFF
    broken.write_bytes(bytes(data))
    assert pq.read_metadata(broken).num_rows == pq.read_metadata(good).num_rows
    return broken


@pytest.mark.parametrize("engine", ENGINES)
def test_a_page_that_does_not_decode_fails_data_naming_the_file(spark: SparkSession, engine: str, tmp_path: Path) -> None:
    # ADR 0012: the door reads footers only; a file whose footer is fine and whose pages are not
    # fails its job `data` (it was exit 1, a platform failure retried for ever).
    good = write_kv(tmp_path / "good.parquet")
    broken = break_a_page_header(good, tmp_path / "broken.parquet")
    failure = failure_of(spark, engine, document([good, broken], KV_COLUMNS, SUM_OF_V), tmp_path / "run")
    assert isinstance(failure, DataFailure), repr(failure)
    assert failure.input == str(broken)
    assert failure.message.startswith(f"input {broken}: a data page cannot be read (")


def test_a_read_error_of_the_lake_is_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the file again is a verdict only when a page fails to decode while every read
    of the bytes succeeded: pyarrow reports both as OSError."""
    good = write_kv(tmp_path / "good.parquet")
    broken = break_a_page_header(good, tmp_path / "broken.parquet")
    spec = spec_for(document([good, broken], KV_COLUMNS, SUM_OF_V), tmp_path / "run")
    assert unreadable_input(spec) is not None and unreadable_input(spec, [str(good)]) is None

    class FailsAfter(io.RawIOBase):
        """The file's bytes, but a read in its first half (the pages) fails as a lost mount would (EIO)."""

        def __init__(self, path: str, limit: int) -> None:
            self.handle, self.limit = open(path, "rb"), limit  # noqa: SIM115

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
            return self.handle.seek(offset, whence)

        def tell(self) -> int:
            return self.handle.tell()

        def read(self, size: int | None = -1) -> bytes:
            if 4 <= self.handle.tell() < self.limit:  # the pages; the magic and the footer read well
                raise OSError(errno.EIO, "Input/output error")
            return self.handle.read(size)

    class FailingFileSystem:
        def open_input_file(self, path: str) -> pa.NativeFile:
            return pa.PythonFile(FailsAfter(path, limit=os.path.getsize(path) // 2), mode="r")

    monkeypatch.setattr(storage.Location, "filesystem", property(lambda self: FailingFileSystem()))
    assert unreadable_input(spec) is None


# --- a value the transform cannot convert --------------------------------------------------------


READINGS = {"site": "string", "reading": "string"}
KWH_BY_SITE = {"derive": {"kwh": "cast(reading AS double)"}, "group_by": ["site"], "metrics": [{"name": "kwh", "fn": "sum", "column": "kwh"}]}


@pytest.fixture()
def readings(tmp_path: Path) -> tuple[Path, Path]:
    good, bad = tmp_path / "good.parquet", tmp_path / "bad.parquet"
    pq.write_table(pa.table({"site": ["a", "b"], "reading": ["1.5", "2"]}), good)
    pq.write_table(pa.table({"site": ["a", "b"], "reading": ["1.5", "n/a"]}), bad)
    return good, bad


@pytest.mark.parametrize("engine", ENGINES)
def test_a_landing_value_the_transform_cannot_convert_fails_data(spark: SparkSession, engine: str, readings: tuple[Path, Path], tmp_path: Path) -> None:
    good, bad = readings
    # One input: it is the file at fault. In the filter, a derived column, or a statement.
    statement = {"sql": "SELECT site, sum(cast(reading AS double)) AS kwh FROM landing GROUP BY site"}
    in_filter = {**KWH_BY_SITE, "filter": "cast(reading AS double) > 0"}
    for index, transform in enumerate([KWH_BY_SITE, in_filter, statement]):
        failure = failure_of(spark, engine, document([bad], READINGS, transform), tmp_path / f"one-{index}")
        assert isinstance(failure, DataFailure), repr(failure)
        assert failure.input == str(bad) and "'n/a'" in failure.message
        assert failure.message.startswith(f"input {bad}: holds a value the transform cannot convert: ")


@pytest.mark.parametrize("engine", ENGINES)
def test_among_several_inputs_the_file_holding_the_value_is_named(spark: SparkSession, engine: str, tmp_path: Path) -> None:
    # Neither engine says which file held the value; the transform runs again over halves of
    # the inputs until one file fails alone. The broker then quarantines that file only.
    def readings_file(name: str, reading: str) -> str:
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"site": ["a", "b"], "reading": ["1.5", reading]}), path)
        return str(path)

    files = [readings_file(f"good-{index}", "2") for index in range(7)]
    for position in [0, 3, 7]:
        inputs = [*files[:position], readings_file(f"bad-{position}", "n/a"), *files[position:]]
        failure = failure_of(spark, engine, document([Path(path) for path in inputs], READINGS, KWH_BY_SITE), tmp_path / f"at-{position}")
        assert isinstance(failure, DataFailure), repr(failure)
        assert failure.input == inputs[position]
        assert failure.message.startswith(f"input {inputs[position]}: holds a value the transform cannot convert: ") and "'n/a'" in failure.message
    # Two files with bad values: the first in the spec's order is named (the next shows once
    # the batch runs again without it).
    inputs = [files[0], readings_file("bad-early", "n/a"), files[1], readings_file("bad-late", "oops")]
    failure = failure_of(spark, engine, document([Path(path) for path in inputs], READINGS, KWH_BY_SITE), tmp_path / "two-bad")
    assert isinstance(failure, DataFailure) and failure.input == inputs[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_parameter_that_does_not_convert_fails_user_not_data(spark: SparkSession, engine: str, readings: tuple[Path, Path], tmp_path: Path) -> None:
    good, _ = readings
    transforms = [
        {**KWH_BY_SITE, "filter": "cast(reading AS double) > cast(:floor AS double)"},
        {"sql": "SELECT site, count(*) AS n FROM landing WHERE cast(reading AS double) > cast(:floor AS double) GROUP BY site"},
    ]
    for index, transform in enumerate(transforms):
        failure = failure_of(spark, engine, document([good], READINGS, transform, {"floor": "lots"}), tmp_path / f"run-{index}")
        assert isinstance(failure, UserFailure), repr(failure)
        assert failure.message.startswith("transform: ") and "'lots'" in failure.message
        assert "it fails whatever the landing holds" in failure.message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_parameter_cast_only_some_rows_reach_is_no_verdict(spark: SparkSession, engine: str, readings: tuple[Path, Path], tmp_path: Path) -> None:
    # The landing's rows choose the branch, the parameter fails: neither `data` (the value is
    # the request's) nor provably `user` (one row of NULLs does not reach it): the engine's error
    # stands, a platform failure (the embedded engine's goes to Spark by engine.fallback).
    _, bad = readings
    transform = {"derive": {"x": "CASE WHEN reading = 'n/a' THEN cast(:p AS double) END"}, "group_by": ["site"], "metrics": [{"name": "s", "fn": "sum", "column": "x"}]}
    failure = failure_of(spark, engine, document([bad], READINGS, transform, {"p": "lots"}), tmp_path / "run")
    assert not isinstance(failure, SluiceFailure), repr(failure)
    assert "lots" in str(failure)


# --- names Hadoop or Spark trip over -------------------------------------------------------------


def test_a_colon_in_a_local_file_name_is_read_by_both_engines(spark: SparkSession, tmp_path: Path) -> None:
    # Hadoop's LocalFileSystem looks for `.<name>.crc` and took the ':' for a URI scheme: every
    # task failed with URISyntaxException (exit 1, platform, retried for ever).
    folder = tmp_path / "landing"
    folder.mkdir()
    named = write_kv(folder / "readings_2026-01-01T10:00:00.parquet", rows=700)
    uri = f"file://{named}"
    answers = {}
    for engine in ENGINES:
        run_folder = tmp_path / engine / "run=job-1-1"
        manifest = run(spark, engine, document([named], KV_COLUMNS, SUM_OF_V) | {"inputs": [uri, str(named)]}, run_folder)
        assert manifest["rows_in"] == 1400
        answers[engine] = sorted((row["k"], row["s"]) for part in run_folder.glob("part-*.parquet") for row in pq.read_table(part).to_pylist())
    assert answers["spark"] == answers["embedded"]
    assert len(answers["spark"]) == 7


HIDDEN_NAMES = ["_late.parquet", ".hidden.parquet", "readings.parquet._COPYING_", "_site=a.parquet"]


@pytest.mark.parametrize("name", HIDDEN_NAMES)
def test_an_input_spark_would_skip_as_hidden_is_refused_by_both_engines(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Spark's file index skips `_x` and `.x` (and `x._COPYING_`) even when the path names the
    # file: the job committed without its rows, which the embedded engine read.
    folder = tmp_path / "landing"
    folder.mkdir()
    inputs = [write_kv(folder / "readings.parquet", rows=10), write_kv(folder / name, rows=10)]
    started: list[str] = []
    monkeypatch.setattr(spark_app, "_aggregate_in_session", lambda spec, checked: started.append("spark"))
    for engine, main in (("spark", spark_app.main), ("embedded", embedded_main)):
        spec_path = tmp_path / f"{engine}.json"
        run_folder = tmp_path / engine / "run=job-1-1"
        spec_path.write_text(json.dumps({**document(inputs, KV_COLUMNS, SUM_OF_V), "output": {"table": "t", "run_uri": f"file://{run_folder}"}}))
        assert main(["--spec", str(spec_path)]) == 64, engine
        payload = failure_payload(capsys.readouterr().err)
        assert payload["class"] == "user"
        assert str(payload["message"]).startswith(f"input {inputs[1]}: Spark takes a file whose name starts with '_' or '.'")
        assert "rename the file" in str(payload["message"])
        assert not run_folder.exists()
    assert started == []


# --- durable before the commit -------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_part_files_and_the_folder_reach_the_disk_before_the_manifest(
    spark: SparkSession, engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_kv(tmp_path / "readings.parquet", rows=500)
    run_folder = tmp_path / "lake" / "t" / "run=job-1-1"
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced.append((os.readlink(f"/proc/self/fd/{descriptor}"), (run_folder / MANIFEST_FILE).exists()))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    manifest = run(spark, engine, document([source], KV_COLUMNS, SUM_OF_V), run_folder)
    before_commit = {path for path, committed in synced if not committed}
    parts = {str(run_folder / file["name"]) for file in manifest["files"]}
    assert parts and parts <= before_commit
    assert {str(run_folder), str(run_folder.parent)} <= before_commit
    # The manifest itself, and its rename (the folder again), once written.
    assert any(path.endswith(".tmp") for path in before_commit)
    assert (str(run_folder), True) in synced


def test_nothing_is_flushed_when_the_lake_is_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda descriptor: pytest.fail("fsync of an S3 folder"))
    storage.make_durable(storage.locate("s3://bucket/lake/t/run=job-1-1"), ["part-00000.parquet"])
