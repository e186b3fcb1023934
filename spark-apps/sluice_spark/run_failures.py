"""What an engine's error during the run means, for the errors the landing can cause.

The footer checks (checks.py) run before any work; two faults of a landing only show once an
engine reads it, and both are deterministic, so retrying them as platform failures would
only fail again, for ever:

- a data page that cannot be decoded (the footer is fine, a page is not: ADR 0012). Spark
  says FAILED_READ_FILE naming the file, DuckDB gives the decoder's message. Neither tells a
  corrupt page from an I/O error of the lake (Spark's cause is an IOException either way), so
  the file is read again here, every page of the expected columns, with pyarrow:
  `unreadable_input` is a verdict only when a page fails to decode while every read of the
  file's bytes succeeded. A file that reads well, a read that fails (the lake's fault), or
  anything else is no verdict, and the engine's error stands (platform, retried).
- a value the transform cannot convert (ANSI mode: cast('n/a' AS double) fails). That is the
  landing's fault, unless the transform would fail whatever the landing holds: a literal or
  a parameter value that does not convert (`ts >= :since` with since = 'soon'). Each engine
  therefore runs the transform once more over one row of NULLs (`null_row_transform`): where
  that fails the same way the failure is the pipeline's or the request's (`user`). Where it
  succeeds, the value came from the landing (`data`) when the engine shows that the cast read
  a column: Spark's query context names the expression (`cast(reading AS double)`), DuckDB
  says "when casting from source column reading". Neither says which file held the value, so
  with several inputs the transform runs again over halves of them (`input_holding_the_value`)
  until one file is shown to fail alone, and the failure names it: the broker then
  quarantines that file and batches the others again, instead of quarantining them all. A
  cast of a parameter that only some rows
  reach (`CASE WHEN … THEN cast(:p AS double) END`) passes over the NULL row and reads no
  column: no verdict, the engine's error stands (platform; embedded runs go to Spark by
  engine.fallback, which then says `user`).

No pyspark here: both engines use it (sluice_spark/aggregate.py, sluice_embedded/engine.py).
"""

import io
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TypeVar
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq

from . import storage
from .failures import DataFailure, SluiceFailure, UserFailure
from .spec import AggregateTransform, RunSpec, Transform

# The derived column that carries the filter in the NULL-row run (see null_row_transform).
NULL_ROW_FILTER_COLUMN = "__sluice_filter"
# Rows per batch when reading a file's pages again.
_BATCH_ROWS = 65_536

T = TypeVar("T")


def unreadable_input(spec: RunSpec, candidates: Iterable[str] | None = None) -> DataFailure | None:
    """The data failure of the first input (of `candidates`, spec inputs; all when None) whose
    pages do not decode, or None when none is shown to be at fault (see the module docstring)."""
    for location in spec.inputs if candidates is None else candidates:
        try:
            reason = _undecodable_page(location, spec.expected_columns)
        except Exception:  # noqa: BLE001 — an I/O error, memory, anything: no verdict on this file
            continue
        if reason is not None:
            return DataFailure(f"input {location}: a data page cannot be read ({reason})", input=location)
    return None


def input_named_by_engine(spec: RunSpec, uri: str) -> str | None:
    """The spec input that the engine's URI (Spark: file:///…, URL-encoded; s3a://…) names."""
    try:
        named = storage.locate(uri)
    except ValueError:
        return None
    if named.is_s3:
        named = storage.Location("s3", unquote(named.path))
    return next((location for location in spec.inputs if storage.locate(location) == named), None)


def null_row_transform(transform: Transform) -> Transform:
    """The transform for the run over one row of NULLs: the filter, which would drop that row,
    becomes a derived column and a group key (so that no engine prunes it unevaluated)."""
    if not isinstance(transform, AggregateTransform) or transform.filter is None:
        return transform
    return replace(
        transform,
        filter=None,
        derive={NULL_ROW_FILTER_COLUMN: transform.filter, **transform.derive},
        group_by=(NULL_ROW_FILTER_COLUMN, *transform.group_by),
    )


# The search for the file holding a bad value may start runs for as long as the failed run
# took, and for at least this long (a small landing's run fails in a second).
LEAST_SEARCH_SECONDS = 60.0


def search_seconds(run_started: float) -> float:
    """How long the search may go on, for a run that started at `run_started` (time.monotonic())."""
    return max(LEAST_SEARCH_SECONDS, time.monotonic() - run_started)


# What an engine answers when it runs the transform over some of the inputs alone: True when
# it fails to convert a value as the whole run did, False when it runs, None when it fails
# otherwise (no verdict).
FailsOver = Callable[[tuple[str, ...]], bool | None]


def value_failure(
    spec: RunSpec,
    message: str,
    fails_without_data: bool,
    reads_a_column: bool,
    fails_over: FailsOver,
    seconds: float,
) -> SluiceFailure | None:
    """The failure for a value a cast cannot convert, or None (no verdict). `fails_without_data`:
    the transform fails the same way over one row of NULLs; `reads_a_column`: the engine showed
    that the failing conversion read a column; `fails_over` finds the file among several inputs,
    starting no run after `seconds` (search_seconds; see the module docstring)."""
    if fails_without_data:
        return UserFailure(
            f"transform: {message} (it fails whatever the landing holds: a literal or a parameter value does not convert)"
        )
    if not reads_a_column:
        return None
    location = spec.inputs[0] if len(spec.inputs) == 1 else input_holding_the_value(spec.inputs, fails_over, seconds)
    where = f"input {location}" if location is not None else f"one of the {len(spec.inputs)} inputs"
    return DataFailure(f"{where}: holds a value the transform cannot convert: {message}", input=location)


def input_holding_the_value(inputs: tuple[str, ...], fails_over: FailsOver, seconds: float = math.inf) -> str | None:
    """The first input, in the spec's order, that fails alone to convert a value, found by
    halving: the transform runs over the first half of the candidates, which keep that half if
    it fails and the other half if it runs. About log2(n) + 1 runs reading about as much as
    the landing once, against n runs one file at a time. None when a run fails otherwise, when
    the file left does not fail alone (a transform whose failure needs several files), or when
    `seconds` have passed before a run would start: the engines give the search as long as
    the failed run took, so that a long run is not then killed by its stage timeout while
    looking, failing `timeout` instead of `data`."""
    if not inputs:
        return None
    deadline = time.monotonic() + seconds
    candidates = inputs
    shown = False  # whether the one candidate left was itself seen failing alone
    while len(candidates) > 1:
        if time.monotonic() > deadline:
            return None
        half = candidates[: len(candidates) // 2]
        verdict = fails_over(half)
        if verdict is None:
            return None
        candidates = half if verdict else candidates[len(half) :]
        shown = verdict and len(half) == 1
    if not shown and (time.monotonic() > deadline or fails_over(candidates) is not True):
        return None
    return candidates[0]


def null_row(expected_columns: Mapping[str, str]) -> tuple[None, ...]:
    return tuple(None for _ in expected_columns)


def column_names(spec: RunSpec) -> frozenset[str]:
    """The names an expression of the transform may read a landing value by, lower-cased: the
    input columns and (aggregate mode) the derived columns."""
    derived = spec.transform.derive if isinstance(spec.transform, AggregateTransform) else {}
    return frozenset(name.lower() for name in [*spec.expected_columns, *derived])


# Spark SQL text: string literals, `quoted` names, :parameters, and plain names.
_SQL_TOKEN = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`((?:``|[^`])*)`|:\w+|([A-Za-z_]\w*)")


def mentions_a_column(fragment: str, names: frozenset[str]) -> bool:
    """Whether a Spark SQL fragment (an error's query context) names one of `names`, outside
    string literals and :parameters."""
    for match in _SQL_TOKEN.finditer(fragment):
        name = match.group(1).replace("``", "`") if match.group(1) is not None else match.group(2)
        if name is not None and name.lower() in names:
            return True
    return False


def undecodable_footer(location: str) -> str | None:
    """Why the file's footer does not decode, or None when it does. Raises when the file's
    bytes cannot be read (the storage's fault, not the file's). The footer check (checks.py)
    asks this when pyarrow fails with a bare OSError, as it does for both."""
    return _undecodable_page(location, {}, pages=False)


def _undecodable_page(location: str, expected_columns: Mapping[str, str], pages: bool = True) -> str | None:
    """Why the footer or (with `pages`) a page of the file's expected columns does not decode,
    or None when all decode. Raises when the file's bytes cannot be read (the storage's fault,
    not the file's)."""
    where = storage.locate(location)
    with where.filesystem.open_input_file(where.path) as handle:
        source = _ReadsOfTheFile(handle)
        try:
            parquet = pq.ParquetFile(source, coerce_int96_timestamp_unit="us")
            for _ in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=list(expected_columns)) if pages else ():
                pass
        except pa.ArrowNotImplementedError:
            raise  # pyarrow's limit, not the file's fault
        except (OSError, pa.ArrowException, ValueError) as error:
            if source.failure is not None:
                raise source.failure from error
            return _first_line(error)
    return None


class _ReadsOfTheFile(io.RawIOBase):
    """A file for pyarrow that remembers whether reading its bytes failed: pyarrow reports a
    page it cannot decode and a read that failed alike (OSError)."""

    def __init__(self, handle: pa.NativeFile) -> None:
        super().__init__()
        self._handle = handle
        self.failure: OSError | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._call(lambda: self._handle.read(None if size is None or size < 0 else size))

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._call(lambda: self._handle.seek(offset, whence))

    def tell(self) -> int:
        return self._call(self._handle.tell)

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except OSError as error:
            self.failure = error
            raise


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
