"""The run manifest (RunManifestSchema in manifest.ts): the commit marker of a lake run.

It is built from what is on disk after the engine has finished, reading only the part files'
footers, so it describes exactly the files a reader will find and nothing is collected to
the driver. Shared by both engines (Spark and the embedded one), so it imports no pyspark:
each engine describes its output schema as `OutputColumn`s with Spark's type names.
"""

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple

from . import storage
from .checks import InputStats
from .spec import RunSpec

MANIFEST_FILE = "_manifest.json"

Engine = Literal["spark", "embedded"]


class OutputColumn(NamedTuple):
    """One column of a run's output: its name, Spark's simple type name (`bigint`,
    `decimal(14,2)`, `timestamp`, …) and whether it may hold NULLs."""

    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class PartFile:
    name: str
    rows: int
    bytes: int


def describe_part_files(run_folder: storage.Location) -> list[PartFile]:
    return [
        PartFile(name=part.name, rows=storage.read_parquet_footer(part).num_rows, bytes=storage.file_size(part))
        for part in storage.list_part_files(run_folder)
    ]


def build_manifest(
    spec: RunSpec,
    inputs: list[InputStats],
    files: list[PartFile],
    schema: list[OutputColumn],
    engine_seconds: float,
    engine: Engine,
) -> dict[str, Any]:
    return {
        "version": 1,
        "job_id": spec.job_id,
        "attempt": spec.attempt,
        "pipeline": spec.pipeline,
        "table": spec.table,
        "run_uri": spec.run_uri,
        "committed_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "rows_in": sum(stats.rows for stats in inputs),
        "rows_out": sum(file.rows for file in files),
        "inputs": [asdict(stats) for stats in inputs],
        "files": [asdict(file) for file in files],
        "schema": [{"name": column.name, "type": column.type, "nullable": column.nullable} for column in schema],
        # The engine's seconds under the key readers already know (it predates the embedded engine).
        "spark_seconds": round(engine_seconds, 3),
        "engine": engine,
        # The job's trace, so that a committed run (and what loads it) leads back to its request.
        **({"trace_id": spec.trace_id} if spec.trace_id else {}),
    }


def commit(run_folder: storage.Location, manifest: dict[str, Any]) -> None:
    """Write the manifest last and atomically (in S3: one object written after all parts): from this moment on the run exists.

    Locally the part files it names, and the folder, are flushed to disk first, so that no
    power loss can leave a manifest naming a partial part."""
    storage.make_durable(run_folder, [file["name"] for file in manifest["files"]])
    storage.write_text_atomically(run_folder.child(MANIFEST_FILE), json.dumps(manifest, indent=2) + "\n")


def is_committed(run_folder: storage.Location) -> bool:
    return storage.exists(run_folder.child(MANIFEST_FILE))
