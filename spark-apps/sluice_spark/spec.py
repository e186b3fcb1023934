"""The run spec: the JSON document the broker hands to the app (SparkRunSpec in run-spec.ts).

The broker validated the pipeline before building the spec, so a malformed spec is a broker
bug, not a user error: loading raises ValueError/KeyError and the run fails as a platform
failure instead of blaming the pipeline's author.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

ParameterValue = str | int | float | bool
MetricFunction = Literal["count", "sum", "avg", "min", "max", "count_distinct", "approx_percentile"]
METRIC_FUNCTIONS: frozenset[str] = frozenset(get_args(MetricFunction))


@dataclass(frozen=True)
class Metric:
    name: str
    fn: MetricFunction
    column: str | None = None
    percentile: float | None = None


@dataclass(frozen=True)
class AggregateTransform:
    """Filter the landing, add derived columns, then group and compute metrics."""

    group_by: tuple[str, ...]
    metrics: tuple[Metric, ...]
    derive: dict[str, str]
    filter: str | None = None


@dataclass(frozen=True)
class SqlTransform:
    """One SQL statement over the `landing` view."""

    sql: str


Transform = AggregateTransform | SqlTransform


@dataclass(frozen=True)
class RunSpec:
    job_id: str
    attempt: int
    pipeline: str
    inputs: tuple[str, ...]
    expected_columns: dict[str, str]
    transform: Transform
    parameters: dict[str, ParameterValue]
    table: str
    run_uri: str
    request_id: str | None = None
    # Follows the job from its request through the broker's logs, this app's log lines, the
    # manifest and the SQL load ledger; absent in specs of brokers older than the field.
    trace_id: str | None = None


def load_spec(path: Path) -> RunSpec:
    with path.open(encoding="utf-8") as handle:
        return parse_spec(json.load(handle))


def parse_spec(document: dict[str, Any]) -> RunSpec:
    if document.get("version") != 1:
        raise ValueError(f"unsupported run spec version: {document.get('version')!r}")
    inputs = tuple(document["inputs"])
    if not inputs:
        raise ValueError("the run spec names no inputs")
    output = document["output"]
    return RunSpec(
        job_id=str(document["job_id"]),
        attempt=int(document["attempt"]),
        pipeline=str(document["pipeline"]),
        inputs=inputs,
        expected_columns=dict(document["expected_columns"]),
        transform=parse_transform(document["transform"]),
        parameters=dict(document.get("parameters", {})),
        table=str(output["table"]),
        run_uri=str(output["run_uri"]),
        request_id=document.get("request_id"),
        trace_id=_optional_text(document.get("trace_id")),
    )


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_transform(document: dict[str, Any]) -> Transform:
    if "sql" in document:
        return SqlTransform(sql=document["sql"])
    return AggregateTransform(
        filter=document.get("filter"),
        derive=dict(document.get("derive", {})),
        group_by=tuple(document["group_by"]),
        metrics=tuple(_parse_metric(metric) for metric in document["metrics"]),
    )


def _parse_metric(document: dict[str, Any]) -> Metric:
    if document["fn"] not in METRIC_FUNCTIONS:
        raise ValueError(f"unknown metric function: {document['fn']!r}")
    return Metric(
        name=document["name"],
        fn=document["fn"],
        column=document.get("column"),
        percentile=document.get("percentile"),
    )
