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
from sluice_embedded.translate import (
    TranslationError,
    ValueTypes,
    check_engine_conf,
    check_transform,
    never_null_in_spark,
    parameter_values,
    translate_expression,
    translate_statement,
)
from sluice_spark.failures import UserFailure
from sluice_spark.spec import parse_transform


KEY_IS_TEXT = ValueTypes({"key": "string"})


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


DECIMALS = ValueTypes({"amount": "decimal(12,2)", "wide": "decimal(38,10)", "n": "int", "ratio": "double"})


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("amount / 4", "decimal division 'amount / 4': Spark rounds the exact quotient to a decimal, DuckDB divides in floating point"),
        ("amount / n", "decimal division"),
        ("wide * amount", "'wide * amount' needs decimal(51,12), past 38 digits"),
        ("wide + wide", "needs decimal(39,10), past 38 digits"),
        ("amount * :factor", "reads a decimal with a value whose type is not known"),
    ],
)
def test_decimal_arithmetic_whose_spark_result_duckdb_would_not_give_is_refused(expression: str, reason: str) -> None:
    with pytest.raises(TranslationError) as raised:
        translate_expression(expression, "derive.x", DECIMALS)
    assert reason in str(raised.value)


@pytest.mark.parametrize(
    ("expression", "sql"),
    [
        ("year(ts)", 'CAST(YEAR(CAST("ts" AS DATE)) AS INT)'),
        ("amount * n", 'CAST("amount" * "n" AS DECIMAL(23, 2))'),
        ("amount * 2 + 1", 'CAST(CAST("amount" * 2 AS DECIMAL(14, 2)) + 1 AS DECIMAL(15, 2))'),
        ("amount / ratio", '"amount" / NULLIF("ratio", 0)'),
        ("cast(amount AS double) / 4", 'CAST("amount" AS DOUBLE) / NULLIF(4, 0)'),
        ("n / 2", '"n" / NULLIF(2, 0)'),
    ],
)
def test_results_get_sparks_types(expression: str, sql: str) -> None:
    assert translate_expression(expression, "derive.x", DECIMALS).sql == sql


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


def test_spark_decimal_average_rounds_the_exact_quotient_once_half_up() -> None:
    # decimal(12,2): avg is decimal(16,6); 0.01/3 = 0.00333333…, 0.05/8 = 0.00625 exactly.
    assert spark_decimal_average(Decimal("0.01"), 3, 12, 2) == Decimal("0.003333")
    assert spark_decimal_average(Decimal("0.02"), 3, 12, 2) == Decimal("0.006667")
    assert spark_decimal_average(Decimal("-0.02"), 3, 12, 2) == Decimal("-0.006667")
    assert spark_decimal_average(Decimal("0.0000005"), 1, 12, 7) == Decimal("0.00000050000")
    assert spark_decimal_average(None, 0, 12, 2) is None
    # decimal(28,10): avg is decimal(32,14). Rounding first to the division's scale (10) gave
    # 0.33333333330000; Spark answers 0.33333333333333.
    assert spark_decimal_average(Decimal("1.0000000000"), 3, 28, 10) == Decimal("0.33333333333333")
    # Half a unit of the last place rounds away from zero (1/32 of 1e-10 = 3.125e-12).
    assert spark_decimal_average(Decimal("1E-10"), 32, 28, 10) == Decimal("3.13E-12")
    assert spark_decimal_average(Decimal("-1E-10"), 32, 28, 10) == Decimal("-3.13E-12")
    # decimal(38,36): the avg's scale stops at 38; 38 digits survive (Decimal's context has 28).
    total = Decimal("12.345678901234567890123456789012345678")
    assert spark_decimal_average(total, 1, 38, 36) == total


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


@pytest.mark.parametrize(
    ("spark", "expected"),
    [
        # Spark's LIKE escapes with a backslash: `a\_c` is a, an underscore, c.
        (r"'a_c' LIKE 'a\_c'", True),
        (r"'a\_c' LIKE 'a\_c'", False),
        (r"'abc' LIKE 'a\_c'", False),
        (r"'a%' LIKE 'a\%'", True),
        (r"'ab' LIKE 'a\%'", False),
        (r"'a\\c' LIKE 'a\\\\c'", True),
        (r"'a_c' NOT LIKE 'a\_c'", False),
        (r"'ab' LIKE 'a_'", True),
    ],
)
def test_like_escapes_with_a_backslash_as_in_spark(spark: str, expected: bool) -> None:
    assert evaluate(spark) is expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        (r"key LIKE 'a\\x'", r"Spark rejects the LIKE pattern 'a\\x': the escape character \ may only precede _, % or \, not 'x'"),
        (r"key LIKE 'a\\'", "it ends with the escape character"),
        ("key LIKE concat(site, '%')", "a LIKE pattern that is neither a string literal nor a :parameter"),
        ("key LIKE 'a!_c' ESCAPE '!'", "is not one the embedded engine has checked"),
        ("key ILIKE 'a%'", "is not one the embedded engine has checked"),
    ],
)
def test_a_like_pattern_spark_would_refuse_or_read_otherwise_is_refused(expression: str, reason: str) -> None:
    with pytest.raises(TranslationError) as raised:
        translate_expression(expression, "filter")
    assert reason in str(raised.value)


def test_a_like_pattern_parameter_is_checked_as_spark_checks_it_when_bound() -> None:
    translated = translate_expression("key LIKE :pattern", "filter")
    assert translated.sql == """"key" LIKE $pattern ESCAPE '\\'"""
    assert translated.like_patterns == {"pattern"}
    assert evaluate("'a_c' LIKE :pattern", {"pattern": "a\\_c"}) is True
    assert evaluate("'abc' LIKE :pattern", {"pattern": "a\\_c"}) is False
    with pytest.raises(UserFailure, match=r"filter: parameter :pattern is the LIKE pattern 'a\\\\x', which Spark rejects"):
        parameter_values({"pattern"}, {"pattern": "a\\x"}, "filter", {"pattern"})


def test_try_cast_is_nullable_whatever_its_argument() -> None:
    # Spark marks try_cast nullable: a text that is no number becomes NULL.
    assert not never_null_in_spark(translate_expression("try_cast(coalesce(key, 'zz') AS double)", "derive.x", KEY_IS_TEXT).tree, frozenset())  # type: ignore[arg-type]
    assert never_null_in_spark(translate_expression("cast(coalesce(key, '1') AS double)", "derive.x", KEY_IS_TEXT).tree, frozenset())  # type: ignore[arg-type]
    assert never_null_in_spark(translate_expression("'a' LIKE 'a\\_'", "derive.x").tree, frozenset())  # type: ignore[arg-type]


def aggregate_transform(derive: dict[str, str]) -> object:
    return parse_transform({"derive": derive, "group_by": ["key"], "metrics": [{"name": "s", "fn": "sum", "column": "x"}]})


def test_a_derived_column_named_as_an_input_column_is_refused() -> None:
    with pytest.raises(TranslationError) as raised:
        check_transform(aggregate_transform({"x": "x * 2"}))  # type: ignore[arg-type]
    assert str(raised.value).startswith("derive.x: cannot translate 'x * 2' for the embedded engine: 'x' is also the name of an input column")
    assert "AMBIGUOUS_REFERENCE" in str(raised.value)
    with pytest.raises(TranslationError, match="derive.X: .*'X' is also the name of an input column"):
        check_transform(aggregate_transform({"X": "y * 2"}), {"key": "string", "x": "double", "y": "double"})  # type: ignore[arg-type]
    with pytest.raises(TranslationError, match="derive.B: .*'B' is also the name of a derived column"):
        check_transform(aggregate_transform({"b": "y", "B": "y + 1"}), {"key": "string", "x": "double", "y": "double"})  # type: ignore[arg-type]
    check_transform(aggregate_transform({"x2": "x * 2", "x3": "x2 + 1"}), {"key": "string", "x": "double"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("conf", "refused"),
    [
        ({"spark.sql.session.timeZone": "Europe/Paris"}, "spark.sql.session.timeZone: Europe/Paris"),
        ({"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "false"}, "spark.sql.ansi.enabled: false"),
        ({"spark.sql.caseSensitive": "true"}, "spark.sql.caseSensitive: true"),
        ({"spark.sql.legacy.timeParserPolicy": "LEGACY"}, "has not been checked against"),
        ({"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "true", "spark.sql.caseSensitive": "false"}, None),
        ({"spark.sql.shuffle.partitions": "8", "spark.sql.adaptive.enabled": "true", "spark.executor.memory": "2g"}, None),
    ],
)
def test_engine_conf_that_changes_what_spark_sql_computes_is_refused(conf: dict[str, str], refused: str | None) -> None:
    if refused is None:
        check_engine_conf(conf)
        return
    with pytest.raises(TranslationError) as raised:
        check_engine_conf(conf)
    assert str(raised.value).startswith("engine.conf: cannot translate ")
    assert refused in str(raised.value)


def test_embedded_check_reads_the_pipelines_columns_and_engine_conf() -> None:
    daily = {"filter": "status = 'ok'", "derive": {"day": "to_date(ts)"}, "group_by": ["site", "day"], "metrics": [{"name": "n", "fn": "count"}]}
    request = [
        {"pipeline": "paris", "transform": daily, "parameters": {}, "columns": {"status": "string", "ts": "timestamp", "site": "string"}, "conf": {"spark.sql.session.timeZone": "Europe/Paris"}},
        {"pipeline": "utc", "transform": daily, "parameters": {}, "columns": {"status": "string", "ts": "timestamp", "site": "string"}, "conf": {"spark.sql.session.timeZone": "UTC"}},
        {"pipeline": "shadow", "transform": {**daily, "derive": {"ts": "date_trunc('hour', ts)"}}, "parameters": {}},
        {"pipeline": "shadow-by-columns", "transform": {**daily, "derive": {"Status": "site"}}, "parameters": {}, "columns": {"status": "string", "ts": "timestamp", "site": "string"}},
    ]
    result = subprocess.run(
        [sys.executable, str(SPARK_APPS / "embedded_check.py")], input=json.dumps(request), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert [answer["ok"] for answer in answers] == [False, True, False, False]
    assert answers[0]["reason"].startswith("engine.conf: cannot translate 'spark.sql.session.timeZone: Europe/Paris' for the embedded engine: ")
    assert answers[2]["reason"].startswith("derive.ts: cannot translate \"date_trunc('hour', ts)\" for the embedded engine: 'ts' is also the name of an input column")
    assert answers[3]["reason"].startswith("derive.Status: cannot translate 'site' for the embedded engine: 'Status' is also the name of an input column")


# A landing of every kind of column, and parameters of each declared type.
TYPES = ValueTypes(
    {"key": "string", "site": "string", "n": "int", "ratio": "double", "ts": "timestamp", "day": "date", "amount": "decimal(12,2)"},
    {"label": "string", "floor": "number", "flag": "boolean"},
)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        # Spark writes 1.0E10 and 2026-03-28 22:00:00, DuckDB 10000000000.0 and 2026-03-28 22:00:00+00.
        ("concat(key, '-', ratio)", "concat/|| argument 'ratio' is not a string (column ratio, of type double)"),
        ("concat('x', ts)", "concat/|| argument 'ts' is not a string (column ts, of type timestamp)"),
        ("concat(key, amount)", "concat/|| argument 'amount' is not a string (column amount, of type decimal(12,2))"),
        ("key || 1.5", "concat/|| argument '1.5' is not a string (a number)"),
        ("concat(key, n / 2)", "concat/|| argument 'n / 2' is not a string"),
        ("concat(key, amount / 2)", "concat/|| argument 'amount / 2' is not a string"),
        ("concat(key, :floor)", "concat/|| argument ':floor' is not a string (parameter :floor, of type number)"),
        ("concat(key, :unknown)", "concat/|| argument ':unknown' may not be a string (parameter :unknown, whose type is not known)"),
        ("concat(key, other)", "concat/|| argument 'other' may not be a string (column other, whose type is not known)"),
        ("concat(key, coalesce(site, n))", "function coalesce() mixes a string with a value that is not one"),
        ("if(n > 1, key, ratio)", "function if() mixes a string with a value that is not one"),
        ("CASE WHEN n > 1 THEN key WHEN n > 2 THEN ts ELSE NULL END", "function case() mixes a string with a value that is not one"),
        ("coalesce(key, 0)", "'0': a number"),
        ("coalesce(other, 'x')", "'other': column other, whose type is not known"),
    ],
)
def test_a_non_string_value_written_as_text_is_refused_naming_it(expression: str, reason: str) -> None:
    with pytest.raises(TranslationError) as raised:
        translate_expression(expression, "derive.x", TYPES)
    assert str(raised.value).startswith(f"derive.x: cannot translate {expression!r} for the embedded engine: ")
    assert reason in str(raised.value)
    assert "Spark and DuckDB write a non-string value as text differently" in str(raised.value)


@pytest.mark.parametrize(
    "expression",
    [
        "concat(key, '-', site)",
        "key || :label || 'x'",
        "concat(coalesce(key, '∅'), ' · ', NULL)",
        "concat(key, if(n > 1, 'big', site), CASE WHEN ratio > 0 THEN 'pos' END)",
        "concat(KEY, Site)",  # names compare case-insensitively, as on both engines
        # Integers, dates and booleans are written as the same text by both engines.
        "key || day || n || 1 || true || :flag",
        "concat(site, '_', to_date(ts), '_', year(ts), '/', length(key))",
        "coalesce(n, ratio, 0)",
        "if(flag, ratio, n)",
        "CASE WHEN n > 1 THEN ts ELSE NULL END",
    ],
)
def test_strings_and_non_string_values_that_are_never_written_as_text_pass(expression: str) -> None:
    translate_expression(expression, "derive.x", TYPES)


def test_the_types_of_derived_columns_and_statement_columns_are_known_or_refused() -> None:
    transform = aggregate_transform({"label": "concat(key, '-')", "both": "concat(label, key)"})
    check_transform(transform, {"key": "string", "x": "double"})  # type: ignore[arg-type]
    with pytest.raises(TranslationError, match="derive.both: .*argument 'label' is not a string \\(column label, of type double\\)"):
        check_transform(aggregate_transform({"label": "x * 2", "both": "concat(label, key)"}), {"key": "string", "x": "double"})  # type: ignore[arg-type]
    # Without the input columns' types, a column's type is not known.
    with pytest.raises(TranslationError, match="column key, whose type is not known"):
        check_transform(aggregate_transform({"label": "concat(key, '-')"}))  # type: ignore[arg-type]
    # A statement: landing columns are known; a name the statement gives a value is not.
    translate_statement("SELECT concat(key, site) AS k, count(*) AS c FROM landing GROUP BY concat(key, site)", types=TYPES)
    with pytest.raises(TranslationError, match="argument 'ratio' is not a string"):
        translate_statement("SELECT concat(key, ratio) AS k FROM landing", types=TYPES)
    # The outer query's aliases do not hide the landing columns its expressions read, as in Spark.
    translate_statement(
        "SELECT coalesce(key, 'none') AS key, concat(site, '-', key) AS site, sum(coalesce(ratio, 0)) AS ratio FROM landing GROUP BY coalesce(key, 'none'), concat(site, '-', key)",
        types=TYPES,
    )
    with pytest.raises(TranslationError, match="argument 'key' may not be a string"):
        translate_statement("WITH t AS (SELECT n AS key FROM landing) SELECT concat(key, 'x') AS k FROM t", types=TYPES)
    with pytest.raises(TranslationError, match="argument 'key' may not be a string"):
        translate_statement("WITH t(key) AS (SELECT n FROM landing) SELECT concat(key, 'x') AS k FROM t", types=TYPES)
    with pytest.raises(TranslationError, match="argument ':floor' is not a string"):
        check_transform(parse_transform({"sql": "SELECT concat(key, :floor) AS k FROM landing"}), {"key": "string"}, {"floor": "number"})


def test_embedded_check_refuses_a_non_string_written_as_text_by_the_pipelines_types() -> None:
    columns = {"site": "string", "meter": "string", "kwh": "double", "status": "string"}
    labelled = {"derive": {"label": "concat(site, '/', meter)"}, "group_by": ["label"], "metrics": [{"name": "n", "fn": "count"}]}
    request = [
        {"pipeline": "strings", "transform": labelled, "parameters": {}, "columns": columns},
        {"pipeline": "double", "transform": {**labelled, "derive": {"label": "concat(site, '/', kwh)"}}, "parameters": {}, "columns": columns},
        {"pipeline": "number-parameter", "transform": {"sql": "SELECT site || :suffix AS label FROM landing"}, "parameters": {"suffix": {"type": "number"}}, "columns": columns},
        {"pipeline": "string-parameter", "transform": {"sql": "SELECT site || :suffix AS label FROM landing"}, "parameters": {"suffix": {"type": "string"}}, "columns": columns},
    ]
    result = subprocess.run(
        [sys.executable, str(SPARK_APPS / "embedded_check.py")], input=json.dumps(request), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert [answer["ok"] for answer in answers] == [True, False, False, True]
    assert answers[1]["reason"].startswith("derive.label: cannot translate \"concat(site, '/', kwh)\" for the embedded engine: concat/|| argument 'kwh' is not a string (column kwh, of type double)")
    assert "argument ':suffix' is not a string (parameter :suffix, of type number)" in answers[2]["reason"]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        # Spark: interval day (day to second for timestamps); DuckDB: a number of days (an INTERVAL).
        ("day - to_date(ts)", "subtracts a date: Spark answers an interval, DuckDB a number"),
        ("to_date(ts) - day", "subtracts a date"),
        ("ts - ts", "subtracts a timestamp"),
        ("date_trunc('day', ts) - ts", "subtracts a timestamp"),
        ("coalesce(day, to_date(ts)) - day", "subtracts a date"),
        ("other - 1", "subtracts 'other', whose type is not known"),
        # Spark converts a string to a timestamp for date_trunc; neither a timestamp nor a date is refused.
        ("date_trunc('month', key)", "date_trunc of 'key', which is not known to be a timestamp or a date"),
        ("date_trunc('month', other)", "date_trunc of 'other', which is not known to be a timestamp or a date"),
        ("date_trunc('month', :label)", "date_trunc of ':label'"),
    ],
)
def test_date_subtraction_and_date_trunc_of_a_non_timestamp_are_refused(expression: str, reason: str) -> None:
    with pytest.raises(TranslationError) as raised:
        translate_expression(expression, "derive.x", TYPES)
    assert str(raised.value).startswith(f"derive.x: cannot translate {expression!r} for the embedded engine: ")
    assert reason in str(raised.value)


def test_date_minus_an_integer_passes_and_date_trunc_of_a_date_reads_its_utc_midnight() -> None:
    assert translate_expression("day - 1", "derive.x", TYPES).sql == '"day" - 1'
    assert translate_expression("day - n", "derive.x", TYPES).sql == '"day" - "n"'
    assert translate_expression("date_trunc('hour', ts)", "derive.x", TYPES).sql == "DATE_TRUNC('HOUR', \"ts\")"
    assert translate_expression("date_trunc('week', day)", "derive.x", TYPES).sql == "DATE_TRUNC('WEEK', CAST(\"day\" AS TIMESTAMPTZ))"
    assert translate_expression("date_trunc('week', day + 1)", "derive.x", TYPES).sql == "DATE_TRUNC('WEEK', CAST(\"day\" + 1 AS TIMESTAMPTZ))"
    # A derived column of dates is known to be one, for a later derived column.
    check_transform(aggregate_transform({"d": "to_date(ts)", "m": "date_trunc('month', d)", "shift": "d - 7"}), {"ts": "timestamp", "key": "string", "x": "double"})  # type: ignore[arg-type]
    with pytest.raises(TranslationError, match="derive.gap: .*subtracts a date"):
        check_transform(aggregate_transform({"d": "to_date(ts)", "gap": "d - to_date(ts)"}), {"ts": "timestamp", "key": "string", "x": "double"})  # type: ignore[arg-type]
    # The statement's sum of a string: Spark converts it to double, DuckDB does not.
    with pytest.raises(TranslationError, match="sums column key, of type string"):
        translate_statement("SELECT site, sum(key) AS s FROM landing GROUP BY site", types=TYPES)


def test_embedded_check_refuses_a_sum_or_avg_of_a_string_column() -> None:
    # Spark converts the strings to double and answers; `auto` must run such a job on Spark.
    columns = {"site": "string", "reading": "string", "kwh": "double"}
    request = [
        {"pipeline": f"{fn}-{column}", "transform": {"group_by": ["site"], "metrics": [{"name": "m", "fn": fn, "column": column}]}, "parameters": {}, "columns": columns}
        for fn in ("sum", "avg")
        for column in ("reading", "kwh")
    ]
    result = subprocess.run(
        [sys.executable, str(SPARK_APPS / "embedded_check.py")], input=json.dumps(request), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert [answer["ok"] for answer in answers] == [False, True, False, True]
    assert answers[0]["reason"] == (
        "metric 'm': cannot translate 'sum(reading)' for the embedded engine: 'reading' is a string: "
        "Spark converts each value to double for sum (failing on a value that is no number), DuckDB does not convert it"
    )
