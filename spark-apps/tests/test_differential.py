"""Same answers from both engines: every example pipeline and a set of generated landings run
through the Spark app's aggregate() and the embedded engine's run_embedded() on the same
files, and the committed runs compared.

Compared exactly: the manifest's output schema (Spark type names and nullability), the row
count, and every value of count, sum, min, max, count_distinct and avg, decimals as Decimal
and doubles bit for bit. Doubles can be compared exactly because the generated doubles are
multiples of 1/1024 (or 1/64) small enough that every partial sum is exact: floating-point
addition is then associative, so the order in which either engine adds (which depends on its
partitioning and threads) cannot change a sum, and avg is that sum divided by the count on
both. On arbitrary doubles the engines (and Spark on two partitionings) may differ in the last
bit of a sum; that is documented in spark-apps/README.md.

approx_percentile is checked against the exact percentile computed here by sorting the
group's values: each engine's answer must sit within its documented rank error (Spark's
percentile_approx at accuracy 10000: n/10000 ranks; the embedded engine's quantile_disc is
exact) plus one rank for where "the p-th element" falls.
"""

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from pyspark.sql import SparkSession

from conftest import READING_SCHEMA, SPARK_APPS, spec_document
from sluice_embedded.engine import default_settings, run_embedded
from sluice_spark.aggregate import aggregate
from sluice_spark.checks import check_inputs
from sluice_spark.failures import UserFailure
from sluice_spark.spec import RunSpec, parse_spec

EXAMPLES = SPARK_APPS.parent / "examples" / "pipelines"
SPARK_ACCURACY = 10_000  # percentile_approx's default accuracy


# --- the run spec, as the broker builds it (buildRunSpec in broker/core/run-spec.ts) --------


def spec_from_pipeline(pipeline: dict[str, Any], inputs: list[Path], run_folder: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """The spec the broker would hand the app: the pipeline's columns and transform (with the
    schema's default of no derived columns), the request's parameters over the declared
    defaults, and the lake table."""
    transform = dict(pipeline["transform"])
    if "sql" not in transform:
        transform.setdefault("derive", {})
    declared = pipeline.get("parameters", {})
    values = {name: spec["default"] for name, spec in declared.items() if "default" in spec} | parameters
    return {
        "version": 1,
        "job_id": f"job-{pipeline['name']}",
        "attempt": 1,
        "pipeline": pipeline["name"],
        "inputs": [str(path) for path in inputs],
        "expected_columns": pipeline["input"]["columns"],
        "transform": transform,
        "parameters": values,
        "output": {"table": pipeline["outputs"]["lake"]["table"], "run_uri": f"file://{run_folder}"},
    }


# --- running both engines and reading what they committed -----------------------------------


@dataclass(frozen=True)
class Committed:
    manifest: dict[str, Any]
    rows: list[dict[str, Any]]


def run_both(spark: SparkSession, document: dict[str, Any], tmp_path: Path) -> tuple[Committed, Committed]:
    runs = []
    for engine in ("spark", "embedded"):
        folder = tmp_path / engine / "run"
        spec = parse_spec({**document, "output": {**document["output"], "run_uri": f"file://{folder}"}})
        inputs = check_inputs(spec.inputs, spec.expected_columns)
        manifest = aggregate(spark, spec, inputs) if engine == "spark" else run_embedded(spec, inputs, default_settings(memory="1GB", threads=2))
        runs.append(Committed(manifest, read_rows(folder, spec)))
    return runs[0], runs[1]


def read_rows(folder: Path, spec: RunSpec) -> list[dict[str, Any]]:
    parts = sorted(folder.glob("part-*.parquet"))
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    return [{name: normalize(value) for name, value in row.items()} for row in rows]


def normalize(value: Any) -> Any:
    """Spark writes timestamps as INT96 (read back without a zone, meaning UTC), the embedded
    engine as microseconds adjusted to UTC: the same instant either way."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return value


def assert_same_runs(spark_run: Committed, embedded_run: Committed, percentiles: dict[str, "Exact"] | None = None) -> None:
    percentiles = percentiles or {}
    assert embedded_run.manifest["schema"] == spark_run.manifest["schema"]
    assert embedded_run.manifest["rows_in"] == spark_run.manifest["rows_in"]
    assert embedded_run.manifest["rows_out"] == spark_run.manifest["rows_out"]
    assert (spark_run.manifest["engine"], embedded_run.manifest["engine"]) == ("spark", "embedded")
    exact_columns = [column["name"] for column in spark_run.manifest["schema"] if column["name"] not in percentiles]

    def exact_part(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[name] for name in exact_columns)

    assert sorted(map(exact_part, embedded_run.rows), key=sort_key) == sorted(map(exact_part, spark_run.rows), key=sort_key)
    for name, exact in percentiles.items():
        for engine, run, rank_error in (("spark", spark_run, exact.spark_error), ("embedded", embedded_run, exact.embedded_error)):
            for row in run.rows:
                values = exact.values[exact.group_of(row)]
                assert_within_rank(row[name], values, exact.percentile, rank_error, f"{engine} {name} {exact.group_of(row)}")


def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, str(value)) for value in row)


# --- the exact percentile, computed here -----------------------------------------------------


@dataclass(frozen=True)
class Exact:
    """The values of each group, to check an approx_percentile column against."""

    values: dict[tuple[Any, ...], list[Any]]
    percentile: float
    group_of: Callable[[dict[str, Any]], tuple[Any, ...]]

    def spark_error(self, n: int) -> float:
        return n / SPARK_ACCURACY

    def embedded_error(self, n: int) -> float:
        return 0.0


def assert_within_rank(answer: Any, values: list[Any], percentile: float, rank_error: Callable[[int], float], where: str) -> None:
    ordered = sorted(value for value in values if value is not None)
    if not ordered:
        assert answer is None, where
        return
    answer = normalize(answer)
    below = sum(1 for value in ordered if value < answer)
    at_or_below = sum(1 for value in ordered if value <= answer)
    assert at_or_below > below, f"{where}: {answer!r} is not one of the group's values"
    target = percentile * len(ordered)  # the exact percentile's rank, 1-based, before rounding
    slack = rank_error(len(ordered)) + 1
    assert below + 1 - slack <= target <= at_or_below + slack, f"{where}: {answer!r} has ranks {below + 1}..{at_or_below}, wanted about {target}"


def grouped(rows: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool], key: Callable[[dict[str, Any]], tuple[Any, ...]], column: str) -> dict[tuple[Any, ...], list[Any]]:
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        if keep(row):
            groups[key(row)].append(row[column])
    return groups


# --- generated landings ----------------------------------------------------------------------

START = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # a European DST weekend: a zone would show
KEYS = ["hot", "a'b", 'say "hi"', "Zürich", "東京", "emoji 🚀", "back\\slash", "", "it's"]
WIDE_COLUMNS = {
    "key": "string",
    "n": "int",
    "big": "long",
    "amount": "decimal(12,2)",
    "ratio": "double",
    "ts": "timestamp",
    "day": "date",
    "flag": "boolean",
}


def wide_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Every column NULL now and then; a skewed key (most rows "hot"); dyadic doubles."""
    rng = random.Random(seed)

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.08 else value

    rows = []
    for _ in range(count):
        ts = START + timedelta(microseconds=rng.randrange(2 * 86_400_000_000))
        rows.append(
            {
                "key": maybe("hot" if rng.random() < 0.7 else rng.choice(KEYS)),
                "n": maybe(rng.randrange(-1000, 100_000)),
                "big": maybe(rng.randrange(-(2**36), 2**36)),
                "amount": maybe(Decimal(rng.randrange(-10**9, 10**9)).scaleb(-2)),
                "ratio": maybe(rng.randrange(-(2**20), 2**20) / 1024),
                "ts": maybe(ts),
                "day": maybe(date(2026, 1, 1) + timedelta(days=rng.randrange(60))),
                "flag": maybe(rng.random() < 0.5),
            }
        )
    return rows


def write_wide(path: Path, rows: list[dict[str, Any]], zone: str | None) -> Path:
    """`zone` None writes ts without a time zone (wall-clock UTC), as some producers do."""
    schema = pa.schema(
        [
            ("key", pa.string()),
            ("n", pa.int32()),
            ("big", pa.int64()),
            ("amount", pa.decimal128(12, 2)),
            ("ratio", pa.float64()),
            ("ts", pa.timestamp("us", tz=zone)),
            ("day", pa.date32()),
            ("flag", pa.bool_()),
            ("unused", pa.string()),  # not declared: both engines must ignore it
        ]
    )
    columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in WIDE_COLUMNS}
    if zone is None:
        columns["ts"] = [None if value is None else value.replace(tzinfo=None) for value in columns["ts"]]
    columns["unused"] = ["x"] * len(rows)
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


@pytest.fixture(scope="module")
def wide_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("wide")
    batches = [wide_rows(3000, 11), wide_rows(2500, 12), []]
    paths = [
        write_wide(folder / "with-zone.parquet", batches[0], "UTC"),
        write_wide(folder / "without-zone.parquet", batches[1], None),
        write_wide(folder / "empty.parquet", batches[2], "UTC"),
    ]
    return paths, [row for batch in batches for row in batch]


def wide_document(inputs: list[Path], transform: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return spec_document("wide", inputs, WIDE_COLUMNS, transform, parameters)


EVERY_METRIC = [
    {"name": "rows", "fn": "count"},
    {"name": "n_count", "fn": "count", "column": "n"},
    {"name": "n_sum", "fn": "sum", "column": "n"},
    {"name": "n_avg", "fn": "avg", "column": "n"},
    {"name": "n_min", "fn": "min", "column": "n"},
    {"name": "n_max", "fn": "max", "column": "n"},
    {"name": "n_distinct", "fn": "count_distinct", "column": "n"},
    {"name": "big_sum", "fn": "sum", "column": "big"},
    {"name": "big_avg", "fn": "avg", "column": "big"},
    {"name": "amount_sum", "fn": "sum", "column": "amount"},
    {"name": "amount_avg", "fn": "avg", "column": "amount"},
    {"name": "amount_min", "fn": "min", "column": "amount"},
    {"name": "amount_max", "fn": "max", "column": "amount"},
    {"name": "ratio_sum", "fn": "sum", "column": "ratio"},
    {"name": "ratio_avg", "fn": "avg", "column": "ratio"},
    {"name": "ratio_max", "fn": "max", "column": "ratio"},
    {"name": "key_min", "fn": "min", "column": "key"},
    {"name": "key_max", "fn": "max", "column": "key"},
    {"name": "key_distinct", "fn": "count_distinct", "column": "key"},
    {"name": "ts_min", "fn": "min", "column": "ts"},
    {"name": "ts_max", "fn": "max", "column": "ts"},
    {"name": "ts_distinct", "fn": "count_distinct", "column": "ts"},
    {"name": "day_max", "fn": "max", "column": "day"},
    {"name": "flag_min", "fn": "min", "column": "flag"},
    {"name": "flag_max", "fn": "max", "column": "flag"},
    {"name": "ratio_p50", "fn": "approx_percentile", "column": "ratio", "percentile": 0.5},
    {"name": "n_p90", "fn": "approx_percentile", "column": "n", "percentile": 0.9},
    {"name": "amount_p25", "fn": "approx_percentile", "column": "amount", "percentile": 0.25},
]


def utc_day(ts: datetime | None) -> date | None:
    return None if ts is None else ts.astimezone(UTC).date()


def utc_hour(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# --- the tests -------------------------------------------------------------------------------


def test_every_metric_by_key_and_utc_day(spark: SparkSession, wide_landing: tuple[list[Path], list[dict[str, Any]]], tmp_path: Path) -> None:
    paths, rows = wide_landing
    transform = {
        "filter": "key IS NULL OR key <> :excluded",
        "derive": {"d": "to_date(ts)"},
        "group_by": ["key", "d"],
        "metrics": EVERY_METRIC,
    }
    # A parameter value that would break a statement if it were spliced into the text.
    excluded = "it's'; DROP TABLE landing; --"
    spark_run, embedded_run = run_both(spark, wide_document(paths, transform, {"excluded": excluded}), tmp_path)
    # Ten keys (one of them NULL) by three UTC days and a NULL day.
    assert spark_run.manifest["rows_out"] > 30

    def keep(row: dict[str, Any]) -> bool:
        return row["key"] is None or row["key"] != excluded

    exact = {
        name: Exact(grouped(rows, keep, lambda row: (row["key"], utc_day(row["ts"])), column), percentile, lambda row: (row["key"], row["d"]))
        for name, column, percentile in (("ratio_p50", "ratio", 0.5), ("n_p90", "n", 0.9), ("amount_p25", "amount", 0.25))
    }
    assert_same_runs(spark_run, embedded_run, exact)


def test_hourly_group_with_quoted_unicode_literals(spark: SparkSession, wide_landing: tuple[list[Path], list[dict[str, Any]]], tmp_path: Path) -> None:
    paths, rows = wide_landing
    transform = {
        "filter": "key <> 'a\\'b' AND key <> \"東京\" AND (n > :floor OR n IS NULL)",
        "derive": {
            "hour": "date_trunc('hour', ts)",
            "hour_day": "to_date(hour)",
            "label": "concat(coalesce(key, '∅'), ' · ', 'x')",
            "scaled": "ratio * 2 + n / 4",
            "positive": "CASE WHEN amount > 0 THEN true ELSE false END",
        },
        "group_by": ["hour", "hour_day", "label", "positive"],
        "metrics": [
            {"name": "rows", "fn": "count"},
            {"name": "scaled_sum", "fn": "sum", "column": "scaled"},
            {"name": "scaled_max", "fn": "max", "column": "scaled"},
            {"name": "amount_avg", "fn": "avg", "column": "amount"},
            {"name": "ts_p99", "fn": "approx_percentile", "column": "ts", "percentile": 0.99},
        ],
    }
    spark_run, embedded_run = run_both(spark, wide_document(paths, transform, {"floor": 10}), tmp_path)
    assert spark_run.manifest["rows_out"] > 100

    def keep(row: dict[str, Any]) -> bool:
        return row["key"] is not None and row["key"] not in ("a'b", "東京") and (row["n"] is None or row["n"] > 10)

    def group(row: dict[str, Any]) -> tuple[Any, ...]:
        return (utc_hour(row["ts"]), f"{row['key']} · x", row["amount"] is not None and row["amount"] > 0)

    exact = {"ts_p99": Exact(grouped(rows, keep, group, "ts"), 0.99, lambda row: (row["hour"], row["label"], row["positive"]))}
    assert_same_runs(spark_run, embedded_run, exact)


def test_sql_mode(spark: SparkSession, wide_landing: tuple[list[Path], list[dict[str, Any]]], tmp_path: Path) -> None:
    paths, _ = wide_landing
    transform = {
        "sql": "SELECT key, count(*) AS readings, count(n) AS with_n, sum(n) AS n_sum, sum(ratio) AS ratio_sum, "
        "min(ts) AS first_ts, max(day) AS last_day FROM landing WHERE key <> :excluded GROUP BY key"
    }
    spark_run, embedded_run = run_both(spark, wide_document(paths, transform, {"excluded": "hot"}), tmp_path)
    assert spark_run.manifest["rows_out"] == len(KEYS) - 1
    assert_same_runs(spark_run, embedded_run)


def test_result_types_are_sparks_whatever_the_engine(spark: SparkSession, wide_landing: tuple[list[Path], list[dict[str, Any]]], tmp_path: Path) -> None:
    # A pipeline's runs land in one SQL table whichever engine ran them (auto picks by size):
    # a type that differs would be refused there as a narrowing (`int` column, `bigint` run).
    # DuckDB gives year() and length() as bigint and decimal products and sums fewer digits;
    # the embedded engine casts them to Spark's types. Values are compared too, NULLs included.
    paths, _ = wide_landing
    transform = {
        "derive": {
            "year": "year(ts)",
            "hour": "hour(ts)",
            "key_length": "length(key)",
            "amount_twice": "amount * 2",
            "amount_by_n": "amount * n",
            "amount_squared": "amount * amount",
            "scaled": "n * 2.5",
            "shifted": "coalesce(amount * n, 0) + amount",
            "tiny": "amount * 0.05",
            "year_amount": "year(ts) * amount",
        },
        "group_by": ["key", "year", "hour", "key_length"],
        "metrics": [
            {"name": "rows", "fn": "count"},
            *({"name": f"{column}_sum", "fn": "sum", "column": column} for column in ("amount_twice", "amount_by_n", "amount_squared", "scaled", "shifted", "tiny", "year_amount")),
            {"name": "amount_by_n_max", "fn": "max", "column": "amount_by_n"},
        ],
    }
    spark_run, embedded_run = run_both(spark, wide_document(paths, transform), tmp_path / "aggregate")
    types = {column["name"]: column["type"] for column in embedded_run.manifest["schema"]}
    assert (types["year"], types["key_length"], types["amount_by_n_max"]) == ("int", "int", "decimal(23,2)")
    assert_same_runs(spark_run, embedded_run)

    statement = {
        "sql": "SELECT year(ts) AS year, key, sum(amount) AS amount_sum, sum(amount * n) AS product_sum, sum(amount) + 1 AS plus_one, "
        "max(length(key)) AS longest FROM landing GROUP BY year(ts), key"
    }
    spark_run, embedded_run = run_both(spark, wide_document(paths, statement), tmp_path / "sql")
    types = {column["name"]: column["type"] for column in embedded_run.manifest["schema"]}
    assert (types["year"], types["amount_sum"], types["product_sum"], types["longest"]) == ("int", "decimal(22,2)", "decimal(33,2)", "int")
    assert_same_runs(spark_run, embedded_run)


def test_an_empty_landing(spark: SparkSession, wide_landing: tuple[list[Path], list[dict[str, Any]]], tmp_path: Path) -> None:
    paths, _ = wide_landing
    transform = {"derive": {"d": "to_date(ts)"}, "group_by": ["key", "d"], "metrics": EVERY_METRIC}
    spark_run, embedded_run = run_both(spark, wide_document([paths[2]], transform), tmp_path)
    assert spark_run.manifest["rows_out"] == 0 and embedded_run.manifest["files"]
    assert_same_runs(spark_run, embedded_run)


# --- the example pipelines -------------------------------------------------------------------

def reading_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Meter readings as the examples expect, kWh in multiples of 1/1024 (exact sums)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        site = f"site-{min(rng.randrange(8), rng.randrange(8)):03d}"  # skewed towards site-000
        rows.append(
            {
                "site": site,
                "meter": f"{site}-m{rng.randrange(5):02d}",
                "ts": START + timedelta(microseconds=rng.randrange(3 * 86_400_000_000)),
                "kwh": None if rng.random() < 0.05 else rng.randrange(3 * 1024) / 1024,
                "status": rng.choices(["ok", "estimated", "error"], weights=[90, 7, 3])[0],
            }
        )
    return rows


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("readings")
    batches = [reading_rows(4000, seed) for seed in (21, 22)]
    paths = []
    for index, batch in enumerate(batches):
        path = folder / f"readings-{index}.parquet"
        pq.write_table(pa.table({name: [row[name] for row in batch] for name in READING_SCHEMA.names}, schema=READING_SCHEMA), path)
        paths.append(path)
    return paths, [row for batch in batches for row in batch]


def example_pipelines() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("pipeline_file", example_pipelines(), ids=lambda path: path.stem)
def test_every_example_pipeline(spark: SparkSession, readings: tuple[list[Path], list[dict[str, Any]]], pipeline_file: Path, tmp_path: Path) -> None:
    paths, rows = readings
    pipeline = yaml.safe_load(pipeline_file.read_text())
    parameters = {name: "site-001" for name in pipeline.get("parameters", {})}
    document = spec_from_pipeline(pipeline, paths, tmp_path / "unused", parameters)
    spark_run, embedded_run = run_both(spark, document, tmp_path)
    assert spark_run.manifest["rows_out"] > 0
    exact: dict[str, Exact] = {}
    transform = pipeline["transform"]
    for metric in transform.get("metrics", []):
        if metric["fn"] != "approx_percentile":
            continue
        # The examples' percentiles are by site and day of readings that pass `status = 'ok'`.
        assert transform["group_by"] == ["site", "day"] and transform["filter"] == "status = 'ok'"
        values = grouped(rows, lambda row: row["status"] == "ok", lambda row: (row["site"], utc_day(row["ts"])), metric["column"])
        exact[metric["name"]] = Exact(values, metric["percentile"], lambda row: (row["site"], row["day"]))
    assert_same_runs(spark_run, embedded_run, exact)


def test_the_percentile_check_itself_catches_a_wrong_answer() -> None:
    values = list(range(1, 1001))
    assert_within_rank(950, values, 0.95, lambda n: 0.0, "exact")
    with pytest.raises(AssertionError):
        assert_within_rank(900, values, 0.95, lambda n: n / SPARK_ACCURACY, "wrong")
    assert math.isclose(Exact({}, 0.5, lambda row: ()).spark_error(20_000), 2.0)


# --- cases where the engines once disagreed ---------------------------------------------------


def small_document(inputs: list[Path], columns: dict[str, str], transform: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**wide_document(inputs, transform, parameters), "expected_columns": columns}


@pytest.mark.parametrize("file_name", ["f.parquet", "f[1].parquet"], ids=["duckdb-reader", "pyarrow-reader"])
def test_folder_names_like_key_value_are_not_columns(spark: SparkSession, tmp_path: Path, file_name: str) -> None:
    # DuckDB reads `site=zzz/n=7/` as hive partition columns by default, in place of the
    # file's own `site` and `n`; Spark, given the file, reads the file's columns. A name with
    # glob characters goes through pyarrow instead of DuckDB's reader: the same must hold.
    folder = tmp_path / "landing" / "site=zzz" / "n=7"
    folder.mkdir(parents=True)
    path = folder / file_name
    pq.write_table(pa.table({"site": ["a", "b", "a"], "x": [1.0, 2.0, 4.0], "n": pa.array([1, 2, 3], pa.int32())}), path)
    columns = {"site": "string", "x": "double", "n": "int"}
    transform = {"derive": {}, "group_by": ["site", "n"], "metrics": [{"name": "s", "fn": "sum", "column": "x"}]}
    spark_run, embedded_run = run_both(spark, small_document([path], columns, transform), tmp_path)
    assert sorted((row["site"], row["n"], row["s"]) for row in embedded_run.rows) == [("a", 1, 1.0), ("a", 3, 4.0), ("b", 2, 2.0)]
    assert_same_runs(spark_run, embedded_run)


def test_like_escapes_with_a_backslash_and_try_cast_is_nullable(spark: SparkSession, tmp_path: Path) -> None:
    # Spark's LIKE takes `\` as its escape character; DuckDB's has none unless told. try_cast
    # makes NULL from a text that is no number, so Spark marks it nullable (the embedded engine
    # once declared it non-nullable and failed writing the NULL).
    keys = ["a_c", "abc", "a\\_c", "a\\c", "a%c", "a%", "a\\xc", "12.5", None]
    path = tmp_path / "keys.parquet"
    pq.write_table(pa.table({"key": keys, "x": [1.0] * len(keys)}), path)
    transform = {
        "derive": {
            "underscore": r"key LIKE 'a\_c'",
            "backslash": r"key LIKE 'a\\\\c'",
            "percent": r"key NOT LIKE 'a\%'",
            "bound": "key LIKE :pattern",
            "constant": r"'a_c' LIKE 'a\_c'",
            "number": "try_cast(coalesce(key, 'zz') AS double)",
        },
        "group_by": ["key", "underscore", "backslash", "percent", "bound", "constant", "number"],
        "metrics": [{"name": "rows", "fn": "count"}],
    }
    spark_run, embedded_run = run_both(spark, small_document([path], {"key": "string", "x": "double"}, transform, {"pattern": "a\\%_"}), tmp_path)
    by_key = {row["key"]: row for row in embedded_run.rows}
    assert [key for key in keys if by_key[key]["underscore"]] == ["a_c"]
    assert [key for key in keys if by_key[key]["backslash"]] == ["a\\c"]
    assert [key for key in keys if by_key[key]["bound"]] == ["a%c"]
    assert by_key["12.5"]["number"] == 12.5 and by_key["abc"]["number"] is None
    assert_same_runs(spark_run, embedded_run)


def test_a_derived_column_named_as_an_input_column_fails_on_both(spark: SparkSession, tmp_path: Path) -> None:
    # Spark: AMBIGUOUS_REFERENCE, the pipeline's error. DuckDB alone would sum the input `x`.
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"key": ["a", "b", "a"], "x": [1.0, 2.0, 4.0]}), path)
    transform = {"derive": {"x": "x * 2"}, "group_by": ["key"], "metrics": [{"name": "s", "fn": "sum", "column": "x"}]}
    document = small_document([path], {"key": "string", "x": "double"}, transform)
    for engine in ("spark", "embedded"):
        folder = tmp_path / engine
        spec = parse_spec({**document, "output": {**document["output"], "run_uri": f"file://{folder}"}})
        inputs = check_inputs(spec.inputs, spec.expected_columns)
        with pytest.raises(UserFailure) as raised:
            aggregate(spark, spec, inputs) if engine == "spark" else run_embedded(spec, inputs, default_settings(memory="1GB", threads=2))
        assert "AMBIGUOUS_REFERENCE" in raised.value.message
        assert not (folder / "_manifest.json").exists()


DECIMAL_TYPES = [(10, 2), (28, 10), (36, 30), (38, 10), (38, 36)]


def test_decimal_avg_of_every_precision_and_scale(spark: SparkSession, tmp_path: Path) -> None:
    # Spark rounds the exact quotient once, HALF_UP, to decimal(p+4,s+4) (at most 38 places).
    # Groups: 1, 0, 0 (a third: every digit counts); one unit of the last place among 32 rows
    # (exactly half a unit at s+4: away from zero, both signs); random values of every width
    # that fits the avg's type, with a NULL.
    rng = random.Random(5)
    columns = {"key": "string"} | {f"d{p}_{s}": f"decimal({p},{s})" for p, s in DECIMAL_TYPES}
    rows: list[dict[str, Any]] = []

    def add(key: str, value_of: Callable[[int, int], Decimal | None]) -> None:
        rows.append({"key": key} | {f"d{p}_{s}": value_of(p, s) for p, s in DECIMAL_TYPES})

    for value in (1, 0, 0):
        add("third", lambda p, s, value=value: Decimal(value))
    for index in range(32):
        add("half-up", lambda p, s, index=index: Decimal(1).scaleb(-s) if index == 0 else Decimal(0))
        add("half-down", lambda p, s, index=index: Decimal(-1).scaleb(-s) if index == 0 else Decimal(0))

    def random_value(p: int, s: int) -> Decimal:
        # Integer digits the input and the avg's type decimal(p+4,s+4) both hold, one spare.
        integer_digits = max(min(p - s, min(p + 4, 38) - min(s + 4, 38)) - 1, 0)
        digits = rng.randrange(1, integer_digits + s + 1)
        return Decimal(rng.randrange(-(10**digits) + 1, 10**digits)).scaleb(-s)

    for _ in range(9):
        add("random", random_value)
    add("random", lambda p, s: None)
    path = tmp_path / "decimals.parquet"
    schema = pa.schema([("key", pa.string())] + [(f"d{p}_{s}", pa.decimal128(p, s)) for p, s in DECIMAL_TYPES])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    metrics = [{"name": f"avg_{p}_{s}", "fn": "avg", "column": f"d{p}_{s}"} for p, s in DECIMAL_TYPES]
    transform = {"derive": {}, "group_by": ["key"], "metrics": metrics}
    spark_run, embedded_run = run_both(spark, small_document([path], columns, transform), tmp_path)
    third = next(row for row in embedded_run.rows if row["key"] == "third")
    assert third["avg_28_10"] == Decimal("0.33333333333333")
    assert third["avg_38_36"] == Decimal("0." + "3" * 38)
    assert_same_runs(spark_run, embedded_run)


def test_concat_of_integers_dates_and_booleans_is_the_same_text_on_both(spark: SparkSession, wide_landing: tuple[list[Path], list[dict[str, Any]]], tmp_path: Path) -> None:
    """What the translator lets into concat besides strings (integers, dates, booleans, and the
    integers and dates made of timestamps) must read the same on both engines, NULLs included."""
    paths, _ = wide_landing
    transform = {
        "derive": {"label": "concat(coalesce(key, '∅'), '/', n, '/', big, '/', day, '/', flag, '/', year(ts), '-', to_date(ts), '/', length(key), '/', 7)"},
        "group_by": ["label"],
        "metrics": [{"name": "rows", "fn": "count"}],
    }
    spark_run, embedded_run = run_both(spark, wide_document(paths, transform), tmp_path)
    assert spark_run.manifest["rows_out"] > 1000
    assert_same_runs(spark_run, embedded_run)


def test_date_trunc_of_a_date_column_is_sparks_timestamp_nulls_included(spark: SparkSession, tmp_path: Path) -> None:
    """Spark's date_trunc takes a timestamp: a date becomes its midnight in the session time
    zone (UTC), and the answer is a timestamp. DuckDB's DATE_TRUNC of a DATE answered a DATE,
    and counted NULL dates read from Parquet as values (a NULL group came out as timestamp
    -9223372036854775808): the embedded engine now casts the date as Spark does."""
    path = tmp_path / "orders.parquet"
    days = [date(2026, 3, 15), None, date(2026, 3, 2), None, date(2026, 1, 1), date(2025, 12, 29), None]
    sites = ["a", "a", "a", "b", "c", "c", "c"]
    pq.write_table(pa.table({"site": sites, "d": pa.array(days, pa.date32()), "x": [1.0] * len(days)}), path)
    columns = {"site": "string", "d": "date", "x": "double"}
    units = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"]
    derive = {f"by_{unit}": f"date_trunc('{unit}', d)" for unit in units} | {"of_to_date": "date_trunc('month', to_date(d))", "day_before": "d - 1"}
    metrics = [{"name": "rows", "fn": "count"}]
    metrics += [{"name": f"{name}_n", "fn": "count", "column": name} for name in derive]
    metrics += [{"name": f"{name}_distinct", "fn": "count_distinct", "column": name} for name in derive]
    metrics += [{"name": f"{name}_max", "fn": "max", "column": name} for name in derive]
    by_site = {"derive": derive, "group_by": ["site"], "metrics": metrics}
    spark_run, embedded_run = run_both(spark, small_document([path], columns, by_site), tmp_path / "by-site")
    types = {column["name"]: column["type"] for column in embedded_run.manifest["schema"]}
    assert {types[f"{name}_max"] for name in derive if name != "day_before"} == {"timestamp"}
    b = next(row for row in embedded_run.rows if row["site"] == "b")
    assert (b["by_month_n"], b["by_week_distinct"], b["by_day_max"]) == (0, 0, None)
    assert_same_runs(spark_run, embedded_run)
    # NULL dates make one NULL group, on both engines.
    by_month = {"derive": {"month": "date_trunc('month', d)"}, "group_by": ["month"], "metrics": [{"name": "rows", "fn": "count"}]}
    spark_run, embedded_run = run_both(spark, small_document([path], columns, by_month), tmp_path / "by-month")
    assert sorted(row["rows"] for row in embedded_run.rows if row["month"] is None) == [3]
    assert_same_runs(spark_run, embedded_run)


def test_integer_avg_past_2_53_is_the_exact_sum_over_the_count_on_both_engines(spark: SparkSession, tmp_path: Path) -> None:
    """20,000 epoch milliseconds sum past 2^53, where adding them as doubles (Spark's own avg)
    rounds each partial sum and the last digits follow the partitioning. Both engines divide
    the exact sum, converted to the nearest double, by the count; so does this test, in
    Python. Three files make Spark add in several partitions; large negative values, a group
    of NULLs and an int column come along."""
    rng = random.Random(53)
    files = []
    expected: dict[str, list[int]] = defaultdict(list)
    for index in range(3):
        keys, ms, mid = [], [], []
        for _ in range(7_000):
            key = rng.choice(["now", "past", "neg"])
            value = 1_767_268_638_995 + rng.randrange(-10**9, 10**9) if key != "neg" else -(2**62) + rng.randrange(2**40)
            keys.append(key)
            ms.append(value)
            mid.append(rng.randrange(-(2**31), 2**31))
            expected[key].append(value)
        keys.append("empty")
        ms.append(None)
        mid.append(None)
        schema = pa.schema([("k", pa.string()), ("ms", pa.int64()), ("mid", pa.int32())])
        files.append(tmp_path / f"ms-{index}.parquet")
        pq.write_table(pa.table({"k": keys, "ms": ms, "mid": mid}, schema=schema), files[-1])
    columns = {"k": "string", "ms": "long", "mid": "int"}
    metrics = [{"name": f"{column}_avg", "fn": "avg", "column": column} for column in ("ms", "mid")]
    document = small_document(files, columns, {"derive": {}, "group_by": ["k"], "metrics": metrics})
    spark_run, embedded_run = run_both(spark, document, tmp_path)
    assert_same_runs(spark_run, embedded_run)
    averages = {row["k"]: row["ms_avg"] for row in spark_run.rows}
    assert averages.pop("empty") is None
    assert all(abs(sum(values)) > 2**53 for values in expected.values())
    assert averages == {key: float(sum(values)) / float(len(values)) for key, values in expected.items()}


def test_sum_and_avg_of_a_string_column_are_left_to_spark(spark: SparkSession, tmp_path: Path) -> None:
    """Spark converts a string column to double for sum and avg and answers; the embedded
    engine does not convert it. embedded_check refuses such a metric (so `auto` runs the job
    on Spark); a run that meets it all the same fails `platform`, never `user` (which would
    fail for good a job that Spark answers)."""
    from sluice_embedded.translate import TranslationError, check_transform
    from sluice_spark.failures import PlatformFailure

    path = tmp_path / "readings.parquet"
    pq.write_table(pa.table({"site": ["a", "a", "b"], "reading": ["1.5", "2", None]}), path)
    columns = {"site": "string", "reading": "string"}
    transform = {
        "derive": {"label": "concat(site, '-')"},
        "group_by": ["site"],
        "metrics": [{"name": "total", "fn": "sum", "column": "reading"}, {"name": "mean", "fn": "avg", "column": "reading"}],
    }
    document = small_document([path], columns, transform)
    folder = tmp_path / "spark"
    spec = parse_spec({**document, "output": {**document["output"], "run_uri": f"file://{folder}"}})
    aggregate(spark, spec, check_inputs(spec.inputs, spec.expected_columns))
    assert sorted(read_rows(folder, spec), key=lambda row: row["site"]) == [
        {"site": "a", "total": 3.5, "mean": 1.75},
        {"site": "b", "total": None, "mean": None},
    ]
    for metric in transform["metrics"]:
        with pytest.raises(TranslationError, match=f"metric '{metric['name']}': cannot translate .*'reading' is a string"):
            check_transform(parse_spec({**document, "transform": {**transform, "metrics": [metric]}}).transform, columns)
    # A derived column of strings is a string too.
    derived = {**transform, "metrics": [{"name": "s", "fn": "sum", "column": "label"}]}
    with pytest.raises(TranslationError, match="'label' is a string"):
        check_transform(parse_spec({**document, "transform": derived}).transform, columns)
    embedded = tmp_path / "embedded"
    spec = parse_spec({**document, "output": {**document["output"], "run_uri": f"file://{embedded}"}})
    with pytest.raises(PlatformFailure, match="which Spark converts to double"):
        run_embedded(spec, check_inputs(spec.inputs, spec.expected_columns), default_settings(memory="1GB", threads=2))
    assert not (embedded / "_manifest.json").exists()
