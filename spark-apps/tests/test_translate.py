"""Spark SQL → DuckDB: parameters stay parameters, literals survive, and what would not mean
the same is refused by name; embedded_check.py answers the broker's question at pipeline load."""

import json
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from conftest import SPARK_APPS
from sluice_embedded.metrics import spark_decimal_average
from sluice_embedded.translate import TranslationError, parameter_values, translate_expression, translate_statement
from sluice_spark.failures import UserFailure


def evaluate(expression: str, parameters: dict[str, object] | None = None) -> object:
    translated = translate_expression(expression, "derive.x")
    values = parameter_values(translated.parameters, parameters or {}, "derive.x")
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection.execute(f"SELECT {translated.sql}", values).fetchone()[0]  # type: ignore[index]


def test_parameters_become_bound_parameters_never_text() -> None:
    translated = translate_expression("site = :site AND kwh > :floor", "filter")
    assert translated.sql == '"site" = $site AND "kwh" > $floor'
    assert translated.parameters == {"site", "floor"}
    hostile = "x'; DROP TABLE landing; --"
    assert hostile not in translated.sql
    assert evaluate(":site", {"site": hostile}) == hostile


def test_only_the_parameters_a_statement_reads_are_bound_and_a_missing_one_is_the_pipelines_fault() -> None:
    assert parameter_values({"a"}, {"a": 1, "b": 2}, "filter") == {"a": 1}
    with pytest.raises(UserFailure, match="filter: parameter :c has no value"):
        parameter_values({"c"}, {"a": 1}, "filter")


@pytest.mark.parametrize(
    ("spark", "expected"),
    [
        ("'it\\'s'", "it's"),
        ('"double-quoted is a string in Spark"', "double-quoted is a string in Spark"),
        ("concat('Zürich', ' · ', '東京 🚀')", "Zürich · 東京 🚀"),
        ("concat('a', NULL)", None),
        ("length('東京')", 2),
        ("to_date(cast('2026-03-29 23:30:00+02:00' AS timestamp))", date(2026, 3, 29)),
        ("to_date(cast('2026-03-29 23:30:00' AS timestamp))", date(2026, 3, 29)),
        ("hour(cast('2026-03-30 00:30:00+02:00' AS timestamp))", 22),
        ("7 / 2", 3.5),
        ("coalesce(NULL, 3)", 3),
        ("NULL <=> NULL", True),
        ("if(1 > 2, 'yes', 'no')", "no"),
    ],
)
def test_expressions_mean_what_they_mean_in_spark(spark: str, expected: object) -> None:
    assert evaluate(spark) == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("round(kwh, 2)", "function round() is not one the embedded engine has checked against Spark"),
        ("upper(site)", "function upper() is not one"),
        ("cast(kwh AS int)", "cast to INT converts differently in DuckDB"),
        ("cast(ts AS string)", "cast to STRING converts differently in DuckDB"),
        ("substring(site, 0, 3)", "function substring() is not one"),
        ("dayofweek(ts)", "is not one the embedded engine has checked"),
        ("to_date(s, 'dd/MM/yyyy')", "to_date with a format uses Java date patterns"),
        ("date_trunc('dd', ts)", "date_trunc unit 'DD' is not one of"),
        ("my_udf(kwh)", "function my_udf() is not one"),
        ("kwh >", "Spark SQL that sqlglot cannot parse"),
    ],
)
def test_what_would_change_meaning_is_refused_by_name(expression: str, reason: str) -> None:
    with pytest.raises(TranslationError) as raised:
        translate_expression(expression, "derive.x")
    assert str(raised.value).startswith(f"derive.x: cannot translate {expression!r} for the embedded engine: ")
    assert reason in str(raised.value)


def test_a_cast_fails_like_spark_in_ansi_mode_and_try_cast_does_not() -> None:
    assert translate_expression("cast(s AS double)", "filter").sql == 'CAST("s" AS DOUBLE)'
    assert translate_expression("try_cast(s AS double)", "filter").sql == 'TRY_CAST("s" AS DOUBLE)'
    assert evaluate("try_cast('x' AS double)") is None
    with pytest.raises(duckdb.ConversionException):
        evaluate("cast('x' AS double)")


def test_a_statement_reads_only_the_landing_view_and_names_its_columns() -> None:
    translated = translate_statement("SELECT status, count(*) AS n FROM landing WHERE site = :site GROUP BY status")
    assert translated.sql == 'SELECT "status", COUNT(*) AS "n" FROM "landing" WHERE "site" = $site GROUP BY "status"'
    assert translated.never_null == {"n"}
    with pytest.raises(TranslationError, match="reads 'other'; a statement may read only the landing view"):
        translate_statement("SELECT site FROM landing WHERE site IN (SELECT site FROM other)")
    with pytest.raises(TranslationError, match="reads 'secret.landing'"):
        translate_statement("SELECT * FROM secret.landing")
    with pytest.raises(TranslationError, match="function read_parquet\\(\\) is not one"):
        translate_statement("SELECT * FROM read_parquet('/etc/passwd')")
    with pytest.raises(TranslationError, match="name the output column 'COUNT\\(\\*\\)' with AS"):
        translate_statement("SELECT count(*) FROM landing")
    with pytest.raises(TranslationError, match="function avg\\(\\)"):
        translate_statement("SELECT avg(kwh) AS a FROM landing")


def test_spark_decimal_average_rounds_half_up_at_each_of_sparks_steps() -> None:
    # decimal(12,2): avg is decimal(16,6); 0.01/3 = 0.00333333…, 0.05/8 = 0.00625 exactly.
    assert spark_decimal_average(Decimal("0.01"), 3, 12, 2) == Decimal("0.003333")
    assert spark_decimal_average(Decimal("0.02"), 3, 12, 2) == Decimal("0.006667")
    assert spark_decimal_average(Decimal("-0.02"), 3, 12, 2) == Decimal("-0.006667")
    assert spark_decimal_average(Decimal("0.0000005"), 1, 12, 7) == Decimal("0.00000050000")
    assert spark_decimal_average(None, 0, 12, 2) is None


def test_embedded_check_answers_the_broker_for_each_pipeline_quickly() -> None:
    request = [
        {"pipeline": "meter-daily", "transform": {"filter": "status = 'ok'", "derive": {"day": "to_date(ts)"}, "group_by": ["site", "day"], "metrics": [{"name": "n", "fn": "count"}]}, "parameters": {}},
        {"pipeline": "rounded", "transform": {"derive": {"k": "round(kwh, 1)"}, "group_by": ["k"], "metrics": [{"name": "n", "fn": "count"}]}, "parameters": {}},
        {"pipeline": "by-status", "transform": {"sql": "SELECT status, count(*) AS n FROM landing WHERE site = :site GROUP BY status"}, "parameters": {"site": {"type": "string"}}},
        {"pipeline": "undeclared", "transform": {"sql": "SELECT status FROM landing WHERE site = :site"}, "parameters": {}},
    ]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(SPARK_APPS / "embedded_check.py")], input=json.dumps(request), capture_output=True, text=True, timeout=30, check=False
    )
    assert time.monotonic() - started < 5
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"pipeline": "meter-daily", "ok": True},
        {"pipeline": "rounded", "ok": False, "reason": "derive.k: cannot translate 'round(kwh, 1)' for the embedded engine: function round() is not one the embedded engine has checked against Spark"},
        {"pipeline": "by-status", "ok": True},
        {"pipeline": "undeclared", "ok": False, "reason": "transform: parameter :site is not declared"},
    ]
    assert "pyspark" not in subprocess.run(
        [sys.executable, "-X", "importtime", str(SPARK_APPS / "embedded_check.py")], input="[]", capture_output=True, text=True, check=False
    ).stderr


def test_embedded_check_refuses_input_that_is_not_a_list() -> None:
    result = subprocess.run([sys.executable, str(SPARK_APPS / "embedded_check.py")], input="{}", capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "expected a JSON list" in result.stderr and result.stdout == ""
