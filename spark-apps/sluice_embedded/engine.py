"""One run on DuckDB: read the checked inputs, transform, write the part files, commit.

The same run as the Spark app's `aggregate()` (sluice_spark/aggregate.py), step for step:
the output folder is cleared of a killed launch's debris, the part files are written under
hidden temporary names and renamed when whole, and the manifest is written last.
"""

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sluice_spark import storage
from sluice_spark.checks import InputStats
from sluice_spark.contract import log
from sluice_spark.failures import PlatformFailure, SluiceFailure, UserFailure
from sluice_spark.manifest import OutputColumn, build_manifest, commit, describe_part_files
from sluice_spark.run_failures import null_row_transform, search_seconds, unreadable_input, value_failure
from sluice_spark.spec import AggregateTransform, ParameterValue, RunSpec, SqlTransform

from .metrics import MetricPlan, finish_batch, plan_metrics
from .translate import (
    LANDING_VIEW,
    TranslationError,
    ValueTypes,
    check_derived_names,
    never_null_in_spark,
    parameter_values,
    quote_identifier,
    translate_derive,
    translate_expression,
    translate_statement,
)
from .types import landing_schema, spark_output_name

# As the Spark app: the SQL sinks stream a run one row group at a time (docs/adr/0009).
ROW_GROUP_BYTES = 2 * 1024 * 1024
BATCH_ROWS = 65_536
# Without SLUICE_EMBEDDED_MEMORY or --memory: this share of the machine's memory, leaving the
# rest to the broker, the other runs and the page cache.
DEFAULT_MEMORY_SHARE = 0.25
# What Hadoop's glob and DuckDB's read_parquet would expand in a path.
_GLOB_CHARACTERS = frozenset("*?[]{}")


@dataclass(frozen=True)
class EngineSettings:
    memory_limit: str  # DuckDB size syntax: 8GB, 512MB
    temp_dir: Path  # spill folder
    threads: int


def default_settings(memory: str | None = None, temp_dir: Path | None = None, threads: int | None = None) -> EngineSettings:
    memory_limit = memory or os.environ.get("SLUICE_EMBEDDED_MEMORY") or _share_of_machine_memory(DEFAULT_MEMORY_SHARE)
    return EngineSettings(
        memory_limit=memory_limit,
        temp_dir=temp_dir or Path(tempfile.gettempdir()),
        threads=threads or os.cpu_count() or 1,
    )


def run_embedded(spec: RunSpec, inputs: list[InputStats], settings: EngineSettings) -> dict[str, Any]:
    """Transform the checked inputs with DuckDB and commit the run; the manifest."""
    started = time.monotonic()
    run_folder = storage.locate(spec.run_uri)
    # The connection closes before a failure is told: telling one may run the transform again
    # (over some of the inputs), which then has the whole memory limit to itself.
    with _engine_failures(settings, spec), _connection(settings) as connection:
        _register_landing(connection, spec)
        query, parameters, never_null = _query(connection, spec)
        reader = connection.execute(query.sql, parameters).fetch_record_batch(BATCH_ROWS)
        columns = _write_parts(run_folder, _result_batches(reader), reader.schema, query, never_null)
    files = describe_part_files(run_folder)
    manifest = build_manifest(spec, inputs, files, columns, time.monotonic() - started, engine="embedded")
    commit(run_folder, manifest)
    log(spec, f"wrote {len(files)} files, {manifest['rows_out']} rows; committed {spec.run_uri}")
    return manifest


@dataclass(frozen=True)
class _Query:
    sql: str
    # Aggregate mode: the metric plan that finishes each batch and types the output.
    plan: MetricPlan | None = None


@contextmanager
def _connection(settings: EngineSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    # The broker names a folder inside the run directory, which does not exist yet.
    Path(settings.temp_dir).mkdir(parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix="sluice-embedded-", dir=settings.temp_dir))
    connection = duckdb.connect(":memory:")
    try:
        try:
            connection.execute(f"SET memory_limit = '{_size_setting(settings.memory_limit)}'")
        except duckdb.Error as error:
            raise ValueError(f"SLUICE_EMBEDDED_MEMORY/--memory: {settings.memory_limit!r} is not a size such as 8GB ({error})") from None
        try:
            connection.execute(f"SET temp_directory = '{_path_setting(spill)}'")
            connection.execute(f"SET threads = {int(settings.threads)}")
            # Days and hours derived from timestamps mean UTC days and hours, as the Spark app's
            # session time zone makes them, whatever the machine's time zone.
            connection.execute("SET TimeZone = 'UTC'")
            # Group order means nothing to a lake run; not keeping it lets DuckDB stream and spill.
            connection.execute("SET preserve_insertion_order = false")
            connection.execute("SET enable_progress_bar = false")
        except duckdb.Error as error:
            # Said as the machine's, before _engine_failures could take it for the landing's.
            raise PlatformFailure(f"embedded engine settings: {_first_line(error)}") from error
        yield connection
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)


@contextmanager
def _engine_failures(settings: EngineSettings, spec: RunSpec) -> Iterator[None]:
    """DuckDB's errors as the Spark app's: a bad expression is the pipeline's (64), memory
    exhausted past spilling is the platform's (a line, then exit 70), and so is an expression
    DuckDB cannot bind where Spark may (see _binder_failure). A value a cast cannot convert,
    and a page that does not decode, are the landing's (65) when shown to be
    (sluice_spark/run_failures.py, as the Spark app decides them); other errors raise."""
    started = time.monotonic()
    try:
        yield
    except TranslationError as error:
        raise UserFailure(str(error)) from error
    except duckdb.OutOfMemoryException as error:
        raise PlatformFailure(f"embedded engine out of memory (memory limit {settings.memory_limit}): {_first_line(error)}") from error
    except duckdb.BinderException as error:
        raise _binder_failure(error, "transform") from error
    except (duckdb.ParserException, duckdb.CatalogException) as error:
        raise UserFailure(f"transform: {_first_line(error)}") from error
    except duckdb.InterruptException:
        raise
    except duckdb.ConversionException as error:
        failure = _bad_value_failure(settings, spec, error, search_seconds(started)) if _is_text_conversion(error) else None
        if failure is None:
            raise
        raise failure from error
    except duckdb.Error as error:
        # A corrupt page comes as whatever the Parquet reader raised (a bare duckdb.Error for a
        # broken page header, InvalidInputException, IOException, …): the files decide.
        failure = unreadable_input(spec)
        if failure is None:
            raise
        raise failure from error


def _is_text_conversion(error: duckdb.ConversionException) -> bool:
    """A text that does not convert (Spark's CAST_INVALID_INPUT), not a number out of range
    (the cast of a bigint sum, Spark's ARITHMETIC_OVERFLOW, stays a platform failure on both)."""
    message = str(error)
    return "Could not convert string" in message or "field format" in message


def _bad_value_failure(settings: EngineSettings, spec: RunSpec, error: duckdb.ConversionException, seconds: float) -> SluiceFailure | None:
    """The failure for a value a cast cannot convert: the landing's unless the transform fails
    the same way over one row of NULLs; None (no verdict) when that run fails otherwise."""
    fails_without_data = _fails_to_convert(settings, replace(spec, transform=null_row_transform(spec.transform)), _register_null_row)
    if fails_without_data is None:
        return None
    # DuckDB names the column a failing cast read; a cast of anything else says nothing more.
    reads_a_column = "when casting from source column" in str(error)
    return value_failure(spec, _first_line(error), fails_without_data, reads_a_column, lambda inputs: _fails_over(settings, spec, inputs), seconds)


def _fails_over(settings: EngineSettings, spec: RunSpec, inputs: tuple[str, ...]) -> bool | None:
    """Whether the transform over `inputs` alone fails to convert a value (run_failures.FailsOver)."""
    return _fails_to_convert(settings, replace(spec, inputs=inputs), _register_landing)


def _fails_to_convert(
    settings: EngineSettings, spec: RunSpec, register: Callable[[duckdb.DuckDBPyConnection, RunSpec], None]
) -> bool | None:
    """Runs `spec`'s transform over the `landing` view `register` makes, computing every batch
    of the result and dropping it: True when a text does not convert, False when it runs, None
    when it fails otherwise (no verdict)."""
    try:
        with _connection(settings) as connection:
            register(connection, spec)
            query, parameters, _ = _query(connection, spec)
            for _ in _result_batches(connection.execute(query.sql, parameters).fetch_record_batch(BATCH_ROWS)):
                pass
    except duckdb.ConversionException as error:
        return True if _is_text_conversion(error) else None
    except Exception:  # noqa: BLE001 — anything else is no verdict
        return None
    return False


def _register_null_row(connection: duckdb.DuckDBPyConnection, spec: RunSpec) -> None:
    """The `landing` view as one row of NULLs, with the expected columns' types."""
    columns = ", ".join(f"CAST(NULL AS {_duckdb_type(field.type)}) AS {quote_identifier(field.name)}" for field in landing_schema(spec.expected_columns))
    connection.execute(f"CREATE VIEW {LANDING_VIEW} AS SELECT {columns}")


# DuckDB's error types by the prefix of their message: an error raised while the result
# streams reaches Python through Arrow's C stream as an OSError carrying only the message.
_ERRORS_BY_PREFIX: tuple[tuple[str, type[duckdb.Error]], ...] = (
    ("Conversion Error:", duckdb.ConversionException),
    ("Out of Memory Error:", duckdb.OutOfMemoryException),
    ("INTERRUPT Error:", duckdb.InterruptException),
    ("Invalid Input Error:", duckdb.InvalidInputException),
    ("IO Error:", duckdb.IOException),
)


def _result_batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The reader's batches; an error of the query (not of writing) raised as DuckDB's own type."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as error:
            message = str(error).strip()
            kind = next((kind for prefix, kind in _ERRORS_BY_PREFIX if message.startswith(prefix)), duckdb.Error)
            raise kind(message) from error
        yield batch


# DuckDB's binder errors for a name the query reads that does not exist: Spark fails there too
# (UNRESOLVED_COLUMN), so they are the pipeline's fault.
_MISSING_NAME = ("Referenced column ", "Referenced table ")


def _binder_failure(error: duckdb.BinderException, where: str, text: str | None = None) -> UserFailure | PlatformFailure:
    """A missing column is the pipeline's fault (64). Any other binder error (no function
    matching the argument types: length(n) on an int, which Spark casts and DuckDB does not)
    says nothing about Spark: a platform failure, which the broker retries on Spark."""
    message = _first_line(error)
    expression = f" {text.strip()!r}" if text else ""
    if any(name in message for name in _MISSING_NAME):
        return UserFailure(f"{where}{expression}: {message}")
    return PlatformFailure(f"{where}{expression}: the embedded engine could not run the translated expression ({message})")


@dataclass(frozen=True)
class _Part:
    """One part of a transform, for naming the one DuckDB cannot bind: the query up to it, the
    parameters that query reads, and the part's name and Spark text."""

    sql: str
    reads: frozenset[str]
    where: str
    text: str


def _bind_failure(
    connection: duckdb.DuckDBPyConnection, error: duckdb.BinderException, parts: list[_Part], parameters: Mapping[str, ParameterValue]
) -> UserFailure | PlatformFailure:
    """The failure for a binder error of the whole query, naming the first part that fails alone."""
    for part in parts:
        try:
            connection.execute(f"SELECT * FROM ({part.sql}) LIMIT 0", {name: parameters[name] for name in sorted(part.reads)})
        except duckdb.BinderException as part_error:
            return _binder_failure(part_error, part.where, part.text)
    return _binder_failure(error, "transform")


def _register_landing(connection: duckdb.DuckDBPyConnection, spec: RunSpec) -> None:
    """The `landing` view: exactly the expected columns, typed as Spark reads them.

    Local files go through DuckDB's own Parquet reader (faster than an Arrow dataset: see
    README); S3 objects, and local names DuckDB would take for a glob, through pyarrow (which
    reaches S3 as storage.py configures it, and reads every path literally).

    Neither reads `key=value` folder names as columns: Spark, given the files themselves,
    does not, and DuckDB's hive_partitioning (on by default when a path looks like one) would
    put the folder's `site=zzz` in place of the file's own column `site`. pyarrow takes no
    partitioning unless given one.
    """
    schema = landing_schema(spec.expected_columns)
    locations = [storage.locate(location) for location in spec.inputs]
    if all(not location.is_s3 and not (_GLOB_CHARACTERS & set(location.path)) for location in locations):
        paths = ", ".join(_sql_string(location.path) for location in locations)
        columns = ", ".join(
            f"CAST({quote_identifier(field.name)} AS {_duckdb_type(field.type)}) AS {quote_identifier(field.name)}" for field in schema
        )
        connection.execute(f"CREATE VIEW {LANDING_VIEW} AS SELECT {columns} FROM read_parquet([{paths}], hive_partitioning = false)")
        return
    filesystem = locations[0].filesystem if all(location.is_s3 for location in locations) else None
    if filesystem is None and any(location.is_s3 for location in locations):
        # Mixed local and S3 inputs: one dataset per filesystem.
        datasets = [ds.dataset(location.path, schema=schema, format="parquet", filesystem=location.filesystem, partitioning=None) for location in locations]
        dataset: Any = ds.dataset(datasets)
    else:
        dataset = ds.dataset([location.path for location in locations], schema=schema, format="parquet", filesystem=filesystem, partitioning=None)
    connection.register("sluice_landing_files", dataset)
    connection.execute(f"CREATE VIEW {LANDING_VIEW} AS SELECT * FROM sluice_landing_files")


def _query(connection: duckdb.DuckDBPyConnection, spec: RunSpec) -> tuple[_Query, dict[str, ParameterValue], frozenset[str]]:
    transform = spec.transform
    types = ValueTypes.of_run(spec.expected_columns, spec.parameters)
    if isinstance(transform, SqlTransform):
        translated = translate_statement(transform.sql, types=types)
        parameters = parameter_values(translated.parameters, spec.parameters, "sql", translated.like_patterns)
        # Spark's sum of integers is a bigint; DuckDB's a HUGEINT (128 bits): cast back.
        try:
            result_types = _result_types(connection, translated.sql, parameters)
        except duckdb.BinderException as error:
            raise _binder_failure(error, "sql", transform.sql) from error
        columns = ", ".join(
            f"CAST({quote_identifier(name)} AS BIGINT) AS {quote_identifier(name)}" if kind == "HUGEINT" else quote_identifier(name)
            for name, kind in result_types
        )
        return _Query(f"SELECT {columns} FROM ({translated.sql})"), parameters, translated.never_null
    assert isinstance(transform, AggregateTransform)
    relation, used, like_patterns, never_null = LANDING_VIEW, frozenset[str](), frozenset[str](), frozenset[str]()
    steps, parts = [], []
    if transform.filter is not None:
        condition = translate_expression(transform.filter, "filter", types)
        parts.append(_Part(f"SELECT * FROM {relation} WHERE {condition.sql}", condition.parameters, "filter", transform.filter))
        steps.append(f"sluice_filtered AS (SELECT * FROM {relation} WHERE {condition.sql})")
        relation, used, like_patterns = "sluice_filtered", used | condition.parameters, condition.like_patterns
    if transform.derive:
        derived = translate_derive(transform.derive, types)
        check_derived_names(transform.derive, spec.expected_columns)
        # One SELECT, as the Spark app's: a later derived column may refer to an earlier one.
        prefix, reads = f"WITH {', '.join(steps)} " if steps else "", used
        for count, (name, expression) in enumerate(derived.items(), start=1):
            items = ", ".join(f"({earlier.sql}) AS {quote_identifier(item)}" for item, earlier in list(derived.items())[:count])
            reads |= expression.parameters
            parts.append(_Part(f"{prefix}SELECT *, {items} FROM {relation}", reads, f"derive.{name}", transform.derive[name]))
        items = ", ".join(f"({expression.sql}) AS {quote_identifier(name)}" for name, expression in derived.items())
        steps.append(f"sluice_derived AS (SELECT *, {items} FROM {relation})")
        relation = "sluice_derived"
        used = used.union(*(expression.parameters for expression in derived.values()))
        like_patterns = like_patterns.union(*(expression.like_patterns for expression in derived.values()))
        for name, expression in derived.items():
            if expression.tree is not None and never_null_in_spark(expression.tree, never_null):
                never_null |= {name}
    parameters = parameter_values(used, spec.parameters, "transform", like_patterns)
    prefix = f"WITH {', '.join(steps)} " if steps else ""
    try:
        arrow_types = dict(_arrow_types(connection, f"{prefix}SELECT * FROM {relation}", parameters))
    except duckdb.BinderException as error:
        raise _bind_failure(connection, error, parts, parameters) from error
    plan = plan_metrics(transform.group_by, transform.metrics, arrow_types, never_null)
    keys = ", ".join(quote_identifier(key) for key in transform.group_by)
    sql = f"{prefix}SELECT {keys}, {', '.join(plan.select)} FROM {relation} GROUP BY {keys}"
    return _Query(sql, plan), parameters, frozenset()


def _result_types(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, ParameterValue]) -> list[tuple[str, str]]:
    description = connection.execute(f"SELECT * FROM ({sql}) LIMIT 0", parameters).description or []
    return [(column[0], str(column[1])) for column in description]


def _arrow_types(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, ParameterValue]) -> list[tuple[str, pa.DataType]]:
    schema = connection.execute(f"SELECT * FROM ({sql}) LIMIT 0", parameters).fetch_arrow_table().schema
    return [(field.name, field.type) for field in schema]


def _write_parts(
    run_folder: storage.Location, batches: Iterator[pa.RecordBatch], reader_schema: pa.Schema, query: _Query, never_null: frozenset[str]
) -> list[OutputColumn]:
    """Write the result as one part file (hidden until whole) and return its columns."""
    _clear_debris(run_folder)
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    final = run_folder.child(name)
    # Locally a hidden name, renamed when the file is whole; in S3 an object appears only
    # when its upload completes, so it is written under its final key.
    target = final if final.is_s3 else run_folder.child(f".{name}.tmp")
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    rows_per_group = BATCH_ROWS
    try:
        for raw in batches:
            batch = _with_nullability(finish_batch(raw, query.plan), query.plan) if query.plan else raw
            if writer is None:
                schema = batch.schema
                writer = _open_writer(target, schema)
                if batch.num_rows:
                    rows_per_group = max(1_000, ROW_GROUP_BYTES * batch.num_rows // max(batch.nbytes, 1))
            writer.write_batch(batch, row_group_size=rows_per_group)
        if writer is None:
            # No rows at all (an empty landing, or a filter that keeps nothing): Spark still
            # writes one part file with the schema, so does this.
            schema = _empty_schema(reader_schema, query)
            writer = _open_writer(target, schema)
    finally:
        if writer is not None:
            writer.close()
    if target != final:
        os.replace(target.path, final.path)
    assert schema is not None
    if query.plan:
        return list(query.plan.columns)
    return [OutputColumn(field.name, spark_output_name(field.type), field.name not in never_null) for field in schema]


def _empty_schema(schema: pa.Schema, query: _Query) -> pa.Schema:
    if not query.plan:
        return schema
    return _with_nullability(finish_batch(pa.RecordBatch.from_pylist([], schema=schema), query.plan), query.plan).schema


def _with_nullability(batch: pa.RecordBatch, plan: MetricPlan) -> pa.RecordBatch:
    """Counts are `required` in the Parquet schema, as Spark writes them (they are never NULL)."""
    fields = [field.with_nullable(column.nullable) for field, column in zip(batch.schema, plan.columns, strict=True)]
    return pa.RecordBatch.from_arrays(batch.columns, schema=pa.schema(fields))


def _open_writer(location: storage.Location, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        location.path,
        schema,
        filesystem=location.filesystem,
        compression="snappy",
        # Timestamps as microseconds adjusted to UTC, which Spark reads as `timestamp`.
        coerce_timestamps="us",
        allow_truncated_timestamps=False,
    )


def _clear_debris(run_folder: storage.Location) -> None:
    """Anything in the run folder is a killed launch's of this same attempt (committed runs
    returned earlier), never committed and safe to remove, as Spark's mode overwrite does."""
    if run_folder.is_s3:
        run_folder.filesystem.delete_dir_contents(run_folder.path, missing_dir_ok=True)
        return
    folder = Path(run_folder.path)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _duckdb_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    names = {
        pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN", pa.int32(): "INTEGER", pa.int64(): "BIGINT",
        pa.float32(): "FLOAT", pa.float64(): "DOUBLE", pa.date32(): "DATE", pa.binary(): "BLOB",
    }  # fmt: skip
    return names[arrow_type]


def _share_of_machine_memory(share: float) -> str:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(int(total * share) // (1024 * 1024), 256)}MB"


def _size_setting(size: str) -> str:
    if not all(character.isalnum() or character in ". " for character in size):
        raise ValueError(f"SLUICE_EMBEDDED_MEMORY/--memory: {size!r} is not a size such as 8GB")
    return size


def _path_setting(path: Path) -> str:
    return str(path).replace("'", "''")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
