"""The failures the app understands, and the one line that reports them to the broker.

A user or data failure is deterministic: running the same spec again fails the same way, so
the broker must not retry it. Anything else is left to raise (a non-zero exit that is neither
64 nor 65), which the broker reads as a platform failure and retries; a PlatformFailure is
such a failure that the app understood well enough to say why in a failure line.
"""

import json
import os
import sys
from typing import ClassVar, TextIO

# Read back by the launchers from the driver log (see FAILURE_LINE_PREFIX in run-spec.ts).
FAILURE_LINE_PREFIX = "SLUICE_FAILURE "
# A file the line is also written to, when set: the Kubernetes launchers name the driver
# container's termination message (/dev/termination-log), which reaches the pod's status even
# where the broker reads no log, and which Spark's own logging after the line cannot push out
# (without it, the message is the log's last 2 KB: FallbackToLogsOnError).
FAILURE_FILE_VARIABLE = "SLUICE_FAILURE_FILE"
# Kubernetes keeps at most this much of a termination message.
FAILURE_FILE_BYTES = 4096


class SluiceFailure(Exception):
    """A failure with a class the broker knows and an exit code it maps back to that class."""

    failure_class: ClassVar[str]
    exit_code: ClassVar[int]

    def __init__(self, message: str, input: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The spec input at fault, exactly as the spec names it: the broker quarantines that file.
        self.input = input


class UserFailure(SluiceFailure):
    """The pipeline is wrong: a bad expression, SQL statement or parameter."""

    failure_class = "user"
    exit_code = 64


class DataFailure(SluiceFailure):
    """An input is wrong: missing, not Parquet, or without the expected columns and types."""

    failure_class = "data"
    exit_code = 65


class PlatformFailure(SluiceFailure):
    """The machine, not the pipeline or the data: e.g. the embedded engine ran out of memory
    past what it could spill. The exit code is neither 0, 64 nor 65, so the broker reads a
    platform failure (and retries); the line gives it the engine's own message instead of
    only an exit code. Exit 70 is sysexits' EX_SOFTWARE."""

    failure_class = "platform"
    exit_code = 70


def report_failure(failure: SluiceFailure, stream: TextIO | None = None, trace_id: str | None = None) -> None:
    """Write the single failure line (to stderr unless told otherwise); json.dumps escapes
    newlines, so the line stays one line whatever the message holds. `trace_id` ties the line
    to the job's trace (the broker ignores fields it does not read)."""
    fields = {"class": failure.failure_class, "message": failure.message}
    if failure.input is not None:
        fields["input"] = failure.input
    if trace_id is not None:
        fields["trace_id"] = trace_id
    print(_failure_line(fields), file=stream or sys.stderr, flush=True)
    path = os.environ.get(FAILURE_FILE_VARIABLE)
    if path:
        _write_failure_file(path, fields)


def _failure_line(fields: dict[str, str]) -> str:
    return FAILURE_LINE_PREFIX + json.dumps(fields, separators=(",", ":"))


def _write_failure_file(path: str, fields: dict[str, str]) -> None:
    """The line, its message shortened until it fits in FAILURE_FILE_BYTES: a line Kubernetes
    cut would not parse, and the class and input are what the broker acts on."""
    def shortened(length: int) -> str:
        return _failure_line({**fields, "message": fields["message"][:length] + "…"})

    def fits(line: str) -> bool:
        return len(line.encode("utf-8")) + 1 <= FAILURE_FILE_BYTES

    line = _failure_line(fields)
    if not fits(line):
        # The longest start of the message that fits (JSON escapes make bytes per character vary).
        low, high = 0, len(fields["message"])
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if fits(shortened(middle)) else (low, middle - 1)
        line = shortened(low)
        if not fits(line):
            # The input's name alone is too long: a cut line would not parse, and an empty file
            # leaves the log's end as the termination message.
            return
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(line + "\n")
    except OSError as error:
        # The log still has the line; this is the second way for it to reach the broker.
        print(f"sluice: could not write the failure line to {path} ({FAILURE_FILE_VARIABLE}): {error}", file=sys.stderr, flush=True)
