"""The failure line, and its copy in the file SLUICE_FAILURE_FILE names (on Kubernetes, the
driver container's termination message, which keeps at most 4096 bytes)."""

import io
import json
from pathlib import Path

import pytest

from conftest import failure_payload
from sluice_spark.failures import FAILURE_FILE_BYTES, DataFailure, UserFailure, report_failure


def test_the_file_gets_the_same_line_as_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "termination-log"
    monkeypatch.setenv("SLUICE_FAILURE_FILE", str(path))
    log = io.StringIO()
    report_failure(DataFailure("input /l/a.parquet: not Parquet", input="/l/a.parquet"), log, trace_id="t1")
    assert path.read_text() == log.getvalue()
    assert failure_payload(path.read_text()) == {"class": "data", "message": "input /l/a.parquet: not Parquet", "input": "/l/a.parquet", "trace_id": "t1"}


def test_a_long_message_is_shortened_to_fit_and_the_line_still_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "termination-log"
    monkeypatch.setenv("SLUICE_FAILURE_FILE", str(path))
    message = "transform: " + "é\"\\n" * 3000  # escapes and multi-byte characters grow in JSON
    log = io.StringIO()
    report_failure(DataFailure(message, input="/l/b.parquet"), log)
    # The log keeps the whole line; the file a line that fits, with the class and the input.
    assert failure_payload(log.getvalue())["message"] == message
    written = path.read_bytes()
    assert len(written) <= FAILURE_FILE_BYTES
    payload = failure_payload(written.decode("utf-8"))
    assert payload["class"] == "data" and payload["input"] == "/l/b.parquet"
    assert message.startswith(str(payload["message"]).removesuffix("…")) and str(payload["message"]).endswith("…")
    assert len(written) > FAILURE_FILE_BYTES - 64  # shortened by what was over, not halved


def test_a_line_that_cannot_fit_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kubernetes would cut it and it would not parse; without the file the log's end is used.
    path = tmp_path / "termination-log"
    monkeypatch.setenv("SLUICE_FAILURE_FILE", str(path))
    report_failure(DataFailure("bad value", input="/l/" + "d" * FAILURE_FILE_BYTES), io.StringIO())
    assert not path.exists()


def test_a_file_that_cannot_be_written_is_said_and_the_log_line_stands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLUICE_FAILURE_FILE", str(tmp_path / "no-such-folder" / "termination-log"))
    log = io.StringIO()
    report_failure(UserFailure("transform: bad"), log)
    assert json.loads(log.getvalue().removeprefix("SLUICE_FAILURE "))["class"] == "user"
    assert "could not write the failure line" in capsys.readouterr().err
