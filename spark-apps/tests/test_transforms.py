"""The transforms against results computed independently: DuckDB over the same files, or
plain Python over the generated rows."""

import math
import random
from collections import defaultdict
from typing import Any

import duckdb
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from conftest import READING_COLUMNS, Landing
from sluice_spark.failures import UserFailure
from sluice_spark.spec import AggregateTransform, Metric, ParameterValue, SqlTransform, Transform
from sluice_spark.transforms import apply_transform, exact_integer_average

Rows = dict[tuple[str, ...], tuple[Any, ...]]


def read(spark: SparkSession, landing: Landing) -> DataFrame:
    schema = ", ".join(f"{name} {type_name}" for name, type_name in READING_COLUMNS.items())
    return spark.read.schema(schema).parquet(*(str(path) for path in landing.paths))


def run(
    spark: SparkSession,
    landing: Landing,
    transform: Transform,
    parameters: dict[str, ParameterValue] | None = None,
    keys: int = 1,
) -> Rows:
    """Apply the transform; the result keyed by its first `keys` columns, as strings."""
    result = apply_transform(read(spark, landing), transform, parameters or {})
    return {tuple(str(value) for value in row[:keys]): tuple(row[keys:]) for row in result.collect()}


def oracle(landing: Landing, query: str, keys: int = 1) -> Rows:
    """The same, computed by DuckDB over the same files (exposed as the view `landing`)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    files = ", ".join(f"'{path}'" for path in landing.paths)
    connection.execute(f"CREATE VIEW landing AS SELECT * FROM read_parquet([{files}])")
    return {tuple(str(value) for value in row[:keys]): tuple(row[keys:]) for row in connection.execute(query).fetchall()}


def assert_same(actual: Rows, expected: Rows) -> None:
    assert actual.keys() == expected.keys()
    for key, values in expected.items():
        assert actual[key] == pytest.approx(values, rel=1e-9), key


def by_site(*metrics: Metric, filter: str | None = None) -> AggregateTransform:
    return AggregateTransform(group_by=("site",), metrics=metrics, derive={}, filter=filter)


def test_filter_binds_named_parameters(spark: SparkSession, landing: Landing) -> None:
    transform = by_site(Metric("readings", "count"), filter="status = :wanted AND kwh >= :min_kwh")
    actual = run(spark, landing, transform, {"wanted": "ok", "min_kwh": 1.5})
    expected = oracle(landing, "SELECT site, count(*) FROM landing WHERE status = 'ok' AND kwh >= 1.5 GROUP BY site")
    assert actual == expected


def test_a_parameter_value_is_never_sql(spark: SparkSession, landing: Landing) -> None:
    transform = by_site(Metric("readings", "count"), filter="status = :wanted")
    assert run(spark, landing, transform, {"wanted": "ok' OR '1' = '1"}) == {}


def test_derive_adds_columns_that_may_build_on_each_other(spark: SparkSession, landing: Landing) -> None:
    transform = AggregateTransform(
        filter="status = 'ok'",
        derive={"day": "to_date(ts)", "wh": "kwh * :scale", "wh_doubled": "wh * 2"},
        group_by=("site", "day"),
        metrics=(Metric("wh", "sum", "wh"), Metric("wh_doubled", "sum", "wh_doubled")),
    )
    actual = run(spark, landing, transform, {"scale": 1000}, keys=2)
    expected = oracle(
        landing,
        "SELECT site, CAST(ts AS DATE), sum(kwh * 1000), sum(kwh * 2000) FROM landing"
        " WHERE status = 'ok' GROUP BY 1, 2",
        keys=2,
    )
    assert len(expected) == 15  # 5 sites x 3 days
    assert_same(actual, expected)


@pytest.mark.parametrize(
    ("metric", "duckdb_expression"),
    [
        (Metric("m", "count"), "count(*)"),
        (Metric("m", "count", "kwh"), "count(kwh)"),
        (Metric("m", "sum", "kwh"), "sum(kwh)"),
        (Metric("m", "avg", "kwh"), "avg(kwh)"),
        (Metric("m", "min", "kwh"), "min(kwh)"),
        (Metric("m", "max", "kwh"), "max(kwh)"),
        (Metric("m", "count_distinct", "meter"), "count(DISTINCT meter)"),
    ],
    ids=lambda value: value.fn + (f"({value.column})" if value.column else "") if isinstance(value, Metric) else None,
)
def test_metric(spark: SparkSession, landing: Landing, metric: Metric, duckdb_expression: str) -> None:
    actual = run(spark, landing, by_site(metric))
    assert_same(actual, oracle(landing, f"SELECT site, {duckdb_expression} FROM landing GROUP BY site"))


def test_approx_percentile_is_exact_on_small_groups(spark: SparkSession, landing: Landing) -> None:
    # Spark's percentile_approx returns the smallest value whose rank reaches p * n; with its
    # default accuracy (10000) that is exact for groups this small.
    values: defaultdict[str, list[float]] = defaultdict(list)
    for reading in landing.readings:
        if reading.kwh is not None:
            values[reading.site].append(reading.kwh)
    expected = {(site,): (sorted(kwh)[math.ceil(0.95 * len(kwh)) - 1],) for site, kwh in values.items()}
    assert run(spark, landing, by_site(Metric("p95", "approx_percentile", "kwh", 0.95))) == expected


def test_sql_mode_reads_the_landing_view_with_parameters(spark: SparkSession, landing: Landing) -> None:
    transform = SqlTransform(sql="SELECT status, count(*) AS n, sum(kwh) AS kwh FROM landing WHERE kwh > :threshold GROUP BY status")
    actual = run(spark, landing, transform, {"threshold": 2.0})
    assert_same(actual, oracle(landing, "SELECT status, count(*), sum(kwh) FROM landing WHERE kwh > 2.0 GROUP BY status"))


@pytest.mark.parametrize(
    ("transform", "parameters", "mentions"),
    [
        (by_site(Metric("n", "count"), filter="kwh > (1"), {}, "PARSE_SYNTAX_ERROR"),
        (by_site(Metric("n", "count"), filter="voltage > 1"), {}, "voltage"),
        (by_site(Metric("n", "count"), filter="kwh > :missing"), {}, "missing"),
        (by_site(Metric("n", "sum", "voltage")), {}, "voltage"),
        (SqlTransform(sql="SELEC site FROM landing"), {}, "PARSE_SYNTAX_ERROR"),
        (SqlTransform(sql="SELECT site FROM elsewhere"), {}, "elsewhere"),
    ],
    ids=["parse-error", "unknown-column", "unbound-parameter", "unknown-metric-column", "sql-parse-error", "sql-unknown-table"],
)
def test_a_bad_expression_is_a_user_failure(
    spark: SparkSession, landing: Landing, transform: Transform, parameters: dict[str, ParameterValue], mentions: str
) -> None:
    with pytest.raises(UserFailure, match=mentions) as failure:
        apply_transform(read(spark, landing), transform, parameters)
    assert "\n" not in failure.value.message


def test_avg_of_integers_is_the_exact_sum_over_the_count_whatever_the_partitioning(spark: SparkSession) -> None:
    # Values at the ends of bigint's range, whose sums pass 2^63: the three partial long sums
    # must neither overflow nor lose a digit, and one partition or five must not matter.
    rng = random.Random(63)
    ranges = [(-(2**63), 2**63 - 1), (-(2**62), 2**62), (0, 2**45), (-5, 5)]
    rows = [(group, rng.randint(*ranges[group % 4])) for group in range(24) for _ in range(rng.randrange(1, 200))]
    rows += [(90, -(2**63)), (90, -(2**63)), (91, 2**63 - 1), (91, 2**63 - 1), (92, None)]
    values: dict[int, list[int]] = defaultdict(list)
    for group, value in rows:
        if value is not None:
            values[group].append(value)
    expected: dict[int, float | None] = {group: float(sum(found)) / float(len(found)) for group, found in values.items()}
    expected[92] = None
    for partitions in (1, 5):
        frame = spark.createDataFrame(rows, "g int, v long").repartition(partitions)
        answers = {row.g: row.a for row in frame.groupBy("g").agg(exact_integer_average(F.col("v")).alias("a")).collect()}
        assert answers == expected
