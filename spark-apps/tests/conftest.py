"""Shared fixtures: one local SparkSession for the whole run and a small generated landing.

The landing's rows are also kept as plain Python values, so tests compute the expected
results themselves instead of trusting numbers from an earlier run.
"""

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

SPARK_APPS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SPARK_APPS))

READING_COLUMNS = {"site": "string", "meter": "string", "ts": "timestamp", "kwh": "double", "status": "string"}
READING_SCHEMA = pa.schema(
    [
        ("site", pa.string()),
        ("meter", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("kwh", pa.float64()),
        ("status", pa.string()),
    ]
)


def spec_document(
    name: str, inputs: list[Path], columns: dict[str, str], transform: dict[str, Any], parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A run spec document as the broker writes it, for pipeline `name` (its output run_uri is rewritten by the test)."""
    return {
        "version": 1,
        "job_id": f"job-{name}",
        "attempt": 1,
        "pipeline": name,
        "inputs": [str(path) for path in inputs],
        "expected_columns": columns,
        "transform": transform,
        "parameters": parameters or {},
        "output": {"table": name, "run_uri": "file:///unused"},
    }


def failure_payload(output: str) -> dict[str, object]:
    """The payload of the one SLUICE_FAILURE line a failed run writes (asserting it is one)."""
    lines = [line for line in output.splitlines() if line.startswith("SLUICE_FAILURE ")]
    assert len(lines) == 1, output[-3000:]
    return json.loads(lines[0].removeprefix("SLUICE_FAILURE "))


@dataclass(frozen=True)
class Reading:
    site: str
    meter: str
    ts: datetime
    kwh: float | None
    status: str


@dataclass(frozen=True)
class Landing:
    paths: list[Path]
    readings: list[Reading]


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from sluice_spark.session import DEFAULTS  # the app's own defaults (after sys.path above)

    builder = SparkSession.builder.master("local[2]").appName("sluice-spark-tests")
    for key, value in DEFAULTS.items():
        builder = builder.config(key, value)
    session = builder.config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false").getOrCreate()
    yield session
    session.stop()


def generate_readings(count: int, seed: int) -> list[Reading]:
    """Readings over 5 sites and 3 days, some kwh missing, to exercise nulls in the metrics."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    readings = []
    for _ in range(count):
        site = f"site-{rng.randrange(5):03d}"
        readings.append(
            Reading(
                site=site,
                meter=f"{site}-m{rng.randrange(4):02d}",
                ts=start + timedelta(microseconds=rng.randrange(3 * 86_400_000_000)),
                kwh=None if rng.random() < 0.05 else round(rng.uniform(0.0, 3.0), 3),
                status=rng.choices(["ok", "estimated", "error"], weights=[90, 7, 3])[0],
            )
        )
    return readings


def write_readings(path: Path, readings: list[Reading]) -> Path:
    columns = {name: [getattr(reading, name) for reading in readings] for name in READING_SCHEMA.names}
    pq.write_table(pa.table(columns, schema=READING_SCHEMA), path)
    return path


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    folder = tmp_path_factory.mktemp("landing")
    batches = [generate_readings(1_500, seed) for seed in (1, 2, 3)]
    paths = [write_readings(folder / f"readings-{index}.parquet", batch) for index, batch in enumerate(batches)]
    return Landing(paths=paths, readings=[reading for batch in batches for reading in batch])
