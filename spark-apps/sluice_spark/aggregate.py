"""The aggregate app: check the inputs, aggregate them with Spark, commit a lake run.

Exit codes (SPARK_EXIT in run-spec.ts): 0 committed, 64 user failure, 65 data failure, each
failure preceded by one SLUICE_FAILURE line on stderr. Anything unexpected raises and exits
with another code, which the broker retries as a platform failure.
"""

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from . import storage
from .checks import InputStats
from .contract import log, run_once
from .manifest import OutputColumn, build_manifest, commit, describe_part_files
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
    result.write.mode("overwrite").option("parquet.block.size", ROW_GROUP_BYTES).parquet(run_folder.spark_uri())
    files = describe_part_files(run_folder)
    manifest = build_manifest(spec, inputs, files, output_columns(result.schema), time.monotonic() - started, engine="spark")
    commit(run_folder, manifest)
    log(spec, f"wrote {len(files)} files, {manifest['rows_out']} rows; committed {spec.run_uri}")
    return manifest


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
