"""The aggregate app: check the inputs, aggregate them with Spark, commit a lake run.

Exit codes (SPARK_EXIT in run-spec.ts): 0 committed, 64 user failure, 65 data failure, each
failure preceded by one SLUICE_FAILURE line on stderr. Anything unexpected raises and exits
with another code, which the broker retries as a platform failure.
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from . import storage
from .checks import InputStats, check_inputs
from .failures import SluiceFailure, report_failure
from .manifest import build_manifest, commit, describe_part_files, is_committed
from .session import start_session
from .spec import RunSpec, load_spec
from .transforms import apply_transform


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    spec = load_spec(args.spec)
    run_folder = storage.locate(spec.run_uri)
    _log(spec, f"starting pipeline={spec.pipeline} request={spec.request_id or '-'} inputs={len(spec.inputs)}")
    if is_committed(run_folder):
        # A relaunch after the commit (the broker lost the exit code) must not rewrite an
        # immutable run; by now the inputs may even have been archived.
        _log(spec, f"already committed: {spec.run_uri}")
        return 0
    try:
        # Checked before the SparkSession starts: a bad landing fails in a second, not after
        # the context is up, and without Spark's own (less precise) error.
        inputs = check_inputs(spec.inputs, spec.expected_columns)
        _log(spec, f"checked {len(inputs)} inputs, {sum(stats.rows for stats in inputs)} rows")
        spark = start_session()
        try:
            aggregate(spark, spec, inputs)
        finally:
            spark.stop()
    except SluiceFailure as failure:
        _log(spec, f"failed ({failure.failure_class}): {failure.message}")
        report_failure(failure, trace_id=spec.trace_id)
        return failure.exit_code
    return 0


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
    manifest = build_manifest(spec, inputs, files, result.schema, time.monotonic() - started)
    commit(run_folder, manifest)
    _log(spec, f"wrote {len(files)} files, {manifest['rows_out']} rows; committed {spec.run_uri}")
    return manifest


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


def _log(spec: RunSpec, message: str) -> None:
    """One line of the driver log, naming the job, the attempt and (when the spec has one) the
    trace id, so that a job can be followed from the broker's log into Spark's."""
    trace = f" trace={spec.trace_id}" if spec.trace_id else ""
    print(f"sluice: job={spec.job_id} attempt={spec.attempt}{trace} {message}", file=sys.stderr, flush=True)
