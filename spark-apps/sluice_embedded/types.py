"""Spark type names ↔ Arrow types, for reading a landing and describing a run's output.

The landing is read as the Arrow types that match the pipeline's Spark column types, so
DuckDB sees what Spark sees: `timestamp` is an instant (Arrow timestamp[us, UTC], DuckDB
TIMESTAMPTZ) whether a file stores it with a time zone or without one; a file without one is
read as UTC wall-clock time, as Spark reads it under its session time zone UTC.
"""

import re

import pyarrow as pa

_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")

# Pipeline column types (ColumnTypeSchema in pipeline.ts) → Arrow.
_READ_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "binary": pa.binary(),
}

# Arrow → Spark's simple type names, as Spark's DataType.simpleString() writes them in a manifest.
_OUTPUT_NAMES: dict[pa.DataType, str] = {
    pa.bool_(): "boolean",
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.string(): "string",
    pa.large_string(): "string",
    pa.binary(): "binary",
    pa.large_binary(): "binary",
    pa.date32(): "date",
}


def normalized_type(spark_type: str) -> str:
    """A Spark type name as compared here: lower case, no spaces (`DECIMAL(10, 2)` → `decimal(10,2)`)."""
    return spark_type.replace(" ", "").lower()


def decimal_type(spark_type: str) -> tuple[int, int] | None:
    """(precision, scale) of a `decimal(p,s)` type name, or None for any other type."""
    decimal = _DECIMAL.match(normalized_type(spark_type))
    return (int(decimal.group(1)), int(decimal.group(2))) if decimal else None


def arrow_read_type(spark_type: str) -> pa.DataType:
    """The Arrow type a landing column of this pipeline type is read as."""
    normalized = normalized_type(spark_type)
    decimal = decimal_type(normalized)
    if decimal:
        return pa.decimal128(*decimal)
    if normalized not in _READ_TYPES:
        raise ValueError(f"expected_columns: unknown column type {spark_type!r}")
    return _READ_TYPES[normalized]


def landing_schema(expected_columns: dict[str, str]) -> pa.Schema:
    return pa.schema([pa.field(name, arrow_read_type(type_name)) for name, type_name in expected_columns.items()])


def spark_output_name(arrow_type: pa.DataType) -> str:
    """Spark's name for an output column of this Arrow type (`timestamp_ntz` for a naive timestamp)."""
    if pa.types.is_timestamp(arrow_type):
        return "timestamp" if arrow_type.tz else "timestamp_ntz"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if arrow_type in _OUTPUT_NAMES:
        return _OUTPUT_NAMES[arrow_type]
    raise ValueError(f"the embedded engine cannot describe an output column of type {arrow_type} as a Spark type")
