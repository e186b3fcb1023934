"""Input checks, from Parquet footers only, before Spark does any work.

A landing that is missing, not Parquet, or lacks an expected column (or has it with another
type) would otherwise fail deep inside a Spark stage, be retried as a platform failure and
never name the culprit. Here it fails at once as a data failure naming the file and column.
Reading footers costs a few kilobytes per file, whatever the file's size.
"""

import json
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from . import run_failures, storage
from .failures import DataFailure, UserFailure

# Arrow types whose Spark name does not depend on parameters. Unsigned integers are listed
# with the Spark type Spark reads them as, so that a message names what Spark would see.
_SIMPLE_TYPES: dict[pa.DataType, str] = {
    pa.bool_(): "boolean",
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "int",
    pa.int64(): "long",
    pa.uint8(): "smallint",
    pa.uint16(): "int",
    pa.uint32(): "long",
    pa.uint64(): "decimal(20,0)",
    pa.float16(): "float",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.string(): "string",
    pa.large_string(): "string",
    pa.string_view(): "string",
    pa.binary(): "binary",
    pa.large_binary(): "binary",
    pa.binary_view(): "binary",
    pa.date32(): "date",
    pa.date64(): "date",
}


@dataclass(frozen=True)
class InputStats:
    """What the manifest records of one input: the path as the spec gave it, rows and bytes."""

    path: str
    rows: int
    bytes: int


def spark_type_name(arrow_type: pa.DataType) -> str:
    """The Spark SQL name of an Arrow type as read from a Parquet footer."""
    if pa.types.is_dictionary(arrow_type):
        return spark_type_name(arrow_type.value_type)
    if pa.types.is_timestamp(arrow_type):
        # Spark reads every unit and time zone (or none) as a timestamp column when the
        # read schema says `timestamp`; nanoseconds are refused separately (see below).
        return "timestamp"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    return _SIMPLE_TYPES.get(arrow_type, str(arrow_type))


def _normalize(type_name: str) -> str:
    """Compare `decimal(10, 2)` and `Decimal(10,2)` as the same type."""
    return type_name.replace(" ", "").lower()


def check_inputs(inputs: tuple[str, ...], expected_columns: dict[str, str]) -> list[InputStats]:
    for location in inputs:
        check_input_name(location)
    return [check_input(location, expected_columns) for location in inputs]


def check_input_name(location: str) -> None:
    """Refuse an input Spark would leave out without a word (a `user` failure, on both engines).

    Spark's file index takes a file whose name starts with `_` or `.`, or ends with
    `._COPYING_`, for a hidden or temporary file and skips it, even when the path names it
    (HadoopFSUtils.shouldFilterOutPathName; it reads `_metadata…` and `_…=…` names after all,
    which are refused here as well, for one simple rule). The job would commit without the
    file's rows; the embedded engine would read them. The broker's API refuses such names at
    submit; this is the last line, for a spec that names one all the same.
    """
    name = storage.locate(location).name
    if name.startswith(("_", ".")) or name.endswith("._COPYING_"):
        raise UserFailure(
            f"input {location}: Spark takes a file whose name starts with '_' or '.' (or ends with '._COPYING_') "
            "for a hidden file and skips it without a word; rename the file"
        )


def check_input(location: str, expected_columns: dict[str, str]) -> InputStats:
    """Check one input against the expected columns and return its row count and size."""
    where = storage.locate(location)
    try:
        footer = storage.read_parquet_footer(where)
    except FileNotFoundError:
        raise DataFailure(f"input {location}: file not found", input=location) from None
    except pa.ArrowInvalid as error:
        raise DataFailure(f"input {location}: not a readable Parquet file ({error})", input=location) from None
    except OSError:
        # A file that ends in PAR1 but whose footer is garbage fails in Thrift, which pyarrow
        # reports as a bare OSError, as it does a storage outage: the footer is read again,
        # remembering whether the file's bytes came (run_failures.py). Only then is it the
        # file's fault (data); a failed read stays the platform's (retried).
        try:
            reason = run_failures.undecodable_footer(location)
        except Exception:  # noqa: BLE001 — the bytes could not be read: the original error stands
            reason = None
        if reason is None:
            raise
        raise DataFailure(f"input {location}: not a readable Parquet file ({reason})", input=location) from None
    _check_columns(location, footer, expected_columns)
    return InputStats(path=location, rows=footer.num_rows, bytes=storage.file_size(where))


def _check_columns(location: str, footer: pq.FileMetaData, expected_columns: dict[str, str]) -> None:
    schema = footer.schema.to_arrow_schema()
    for name, expected in expected_columns.items():
        index = schema.get_field_index(name)
        if index < 0:
            raise DataFailure(f"input {location}: column {name!r} is missing (expected {expected})", input=location)
        actual = spark_type_name(schema.field(index).type)
        if _normalize(actual) != _normalize(expected):
            raise DataFailure(f"input {location}: column {name!r} is {actual}, expected {expected}", input=location)
        if _is_int64_nanos(footer, name):
            # Spark 4 refuses INT64 TIMESTAMP(NANOS) outright (PARQUET_TYPE_ILLEGAL); the writer
            # must use microseconds (pyarrow: coerce_timestamps="us").
            raise DataFailure(
                f"input {location}: column {name!r} holds nanosecond timestamps, which Spark cannot read",
                input=location,
            )


def _is_int64_nanos(footer: pq.FileMetaData, name: str) -> bool:
    parquet_schema = footer.schema
    for index in range(len(parquet_schema)):
        column = parquet_schema.column(index)
        if column.path == name:
            logical = column.logical_type
            return (
                column.physical_type == "INT64"
                and logical.type == "TIMESTAMP"
                and json.loads(logical.to_json()).get("timeUnit") == "nanoseconds"
            )
    return False
