"""The aggregate app: check the inputs, aggregate them with Spark, commit a lake run.

Exit codes (SPARK_EXIT in run-spec.ts): 0 committed, 64 user failure, 65 data failure, each
failure preceded by one SLUICE_FAILURE line on stderr. Anything unexpected raises and exits
with another code, which the broker retries as a platform failure.
"""

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from py4j.protocol import Py4JError, Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from . import storage
from .checks import InputStats
from .contract import log, run_once
from .failures import SluiceFailure
from .manifest import OutputColumn, build_manifest, commit, describe_part_files
from .run_failures import (
    column_names,
    input_named_by_engine,
    mentions_a_column,
    null_row,
    null_row_transform,
    search_seconds,
    unreadable_input,
    value_failure,
)
from .session import start_session
from .spec import RunSpec, load_spec
from .transforms import apply_transform


def main(argv: Sequence[str] | None = None) -> int:
    spec = load_spec(_parse_args(argv).spec)
    return run_once(spec, lambda inputs: _aggregate_in_session(spec, inputs))


def _aggregate_in_session(spec: RunSpec, inputs: list[InputStats]) -> None:
    spark = start_session()
    try:
        aggregate(spark, spec, inputs)
    finally:
        spark.stop()


ROW_GROUP_BYTES = 2 * 1024 * 1024


def aggregate(spark: SparkSession, spec: RunSpec, inputs: list[InputStats]) -> dict[str, Any]:
    """Read the checked inputs, transform, write the part files, then commit the manifest."""
    started = time.monotonic()
    result = apply_transform(read_landing(spark, spec), spec.transform, spec.parameters)
    run_folder = storage.locate(spec.run_uri)
    # Overwrite, not errorifexists: the folder is named by job and attempt and only this run
    # writes it, so anything already there is the debris of a killed launch of this same
    # attempt, never committed (committed runs return early in main) and safe to replace.
    # Small row groups: the SQL sinks stream a run one row group at a time, so the group
    # size bounds their memory (docs/adr/0009-sql-sinks.md). Aggregates are loaded by row,
    # not scanned by column, so the usual 128 MB groups would buy nothing here.
    with _landing_failures(spark, spec):
        result.write.mode("overwrite").option("parquet.block.size", ROW_GROUP_BYTES).parquet(run_folder.spark_uri())
    files = describe_part_files(run_folder)
    manifest = build_manifest(spec, inputs, files, output_columns(result.schema), time.monotonic() - started, engine="spark")
    commit(run_folder, manifest)
    log(spec, f"wrote {len(files)} files, {manifest['rows_out']} rows; committed {spec.run_uri}")
    return manifest


# Spark's error conditions for a value a cast cannot convert (ANSI mode).
_BAD_VALUE_CONDITIONS = frozenset({"CAST_INVALID_INPUT", "CAST_OVERFLOW"})


@contextmanager
def _landing_failures(spark: SparkSession, spec: RunSpec) -> Iterator[None]:
    """A page Spark cannot read, or a value it cannot convert, as the exit contract's data
    failure when it is the landing's (sluice_spark/run_failures.py); any other error, and
    these when the landing is not shown to be at fault, raise as they are (platform)."""
    started = time.monotonic()
    try:
        yield
    except Exception as error:
        try:
            failure = _landing_failure(spark, spec, error, search_seconds(started))
        except Exception:  # noqa: BLE001 — telling failed (the JVM gone, say): the error stands
            failure = None
        if failure is None:
            raise
        raise failure from error


def _landing_failure(spark: SparkSession, spec: RunSpec, error: Exception, seconds: float) -> SluiceFailure | None:
    condition = _condition(error)
    if condition is None:
        return None
    if condition.name.startswith("FAILED_READ_FILE"):
        location = input_named_by_engine(spec, condition.parameters.get("path", ""))
        return None if location is None else unreadable_input(spec, [location])
    if condition.name in _BAD_VALUE_CONDITIONS:
        fails_without_data = _fails_over_a_null_row(spark, spec)
        if fails_without_data is None:
            return None
        names = column_names(spec)
        reads_a_column = any(mentions_a_column(fragment, names) for fragment in condition.fragments)
        return value_failure(spec, condition.message, fails_without_data, reads_a_column, lambda inputs: _fails_over(spark, spec, inputs), seconds)
    return None


def _fails_over(spark: SparkSession, spec: RunSpec, inputs: tuple[str, ...]) -> bool | None:
    """Whether the transform over `inputs` alone fails to convert a value (run_failures.FailsOver)."""
    return _fails_to_convert(lambda: apply_transform(read_landing(spark, replace(spec, inputs=inputs)), spec.transform, spec.parameters))


def _fails_over_a_null_row(spark: SparkSession, spec: RunSpec) -> bool | None:
    """Whether the transform fails to convert a value over one row of NULLs (then no landing
    value is at fault); None when it fails otherwise (no verdict)."""
    schema = ", ".join(f"`{name}` {type_name}" for name, type_name in spec.expected_columns.items())
    return _fails_to_convert(
        lambda: apply_transform(spark.createDataFrame([null_row(spec.expected_columns)], schema), null_row_transform(spec.transform), spec.parameters)
    )


def _fails_to_convert(frame: Callable[[], DataFrame]) -> bool | None:
    """Builds the frame and computes every row of it, keeping none (the noop sink): True when
    a value does not convert, False when it runs, None when it fails otherwise (no verdict)."""
    try:
        frame().write.format("noop").mode("overwrite").save()
    except Exception as error:  # noqa: BLE001 — classified below; anything else is no verdict
        condition = _condition(error)
        return True if condition is not None and condition.name in _BAD_VALUE_CONDITIONS else None
    return False


@dataclass(frozen=True)
class _Condition:
    """What Spark says of an error: its condition (CAST_INVALID_INPUT, FAILED_READ_FILE.NO_HINT,
    …), the message parameters, the first line of the message, and the SQL fragments of its
    query context (`cast(reading AS double)`)."""

    name: str
    parameters: dict[str, str]
    message: str
    fragments: tuple[str, ...]


def _condition(error: BaseException) -> _Condition | None:
    """The condition of a Python-side Spark error, or of a JVM exception (or one of its causes)
    that Py4J passed through; None for any other error."""
    if isinstance(error, PySparkException):
        name = error.getCondition()
        if name is None:
            return None
        fragments = tuple(context.fragment() for context in error.getQueryContext())
        return _Condition(name, dict(error.getMessageParameters() or {}), _first_line(str(error)), fragments)
    if not isinstance(error, Py4JJavaError):
        return None
    throwable = error.java_exception
    for _ in range(10):  # the cause chain, bounded
        if throwable is None:
            return None
        try:
            name = throwable.getCondition()
            parameters = {str(key): str(value) for key, value in dict(throwable.getMessageParameters()).items()}
            fragments = tuple(str(context.fragment()) for context in throwable.getQueryContext())
        except Py4JError:  # not a SparkThrowable
            name = None
        if name:
            return _Condition(str(name), parameters, _first_line(str(throwable.getMessage())), fragments)
        throwable = throwable.getCause()
    return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def output_columns(schema: StructType) -> list[OutputColumn]:
    return [OutputColumn(field.name, field.dataType.simpleString(), field.nullable) for field in schema.fields]


def read_landing(spark: SparkSession, spec: RunSpec) -> DataFrame:
    """The inputs with exactly the expected columns: the checks proved every file has them,
    and an explicit schema spares Spark a footer pass and drops columns nobody declared. Each
    path is read literally (no glob expansion): the checks read exactly these files, and a
    name holding `{ } [ ] * ?` must not lead Spark to other files."""
    schema = ", ".join(f"`{name}` {type_name}" for name, type_name in spec.expected_columns.items())
    return spark.read.schema(schema).parquet(*(storage.literal_path(storage.spark_location(location)) for location in spec.inputs))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run_aggregate.py", description=__doc__)
    parser.add_argument("--spec", type=Path, required=True, help="path of the run spec (JSON)")
    return parser.parse_args(argv)
