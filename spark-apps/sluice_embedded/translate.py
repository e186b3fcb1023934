"""Spark SQL → DuckDB SQL for the embedded engine, refusing what would not mean the same.

Pipelines keep one transform language, Spark SQL. sqlglot parses each filter, derived column
and SQL statement as Spark SQL and writes it as DuckDB SQL. sqlglot translates far more than
it translates *faithfully*, so only the constructs listed below pass: each has been checked to
give the same answer on both engines (tests/test_differential.py runs them on both). Anything
else is refused with the expression and the reason, so that the broker refuses the pipeline
(`engine.kind: embedded`) or runs it on Spark (`auto`).

Parameters (`:name`) become DuckDB prepared-statement parameters (`$name`) and their values
are bound when the statement runs, never spliced into the text.

Refused on purpose, because DuckDB means something else by the same words:
- `round`, `bround`: Spark rounds the decimal text of a double HALF_UP (round(2.675, 2) = 2.68),
  DuckDB its binary value;
- `cast(x AS int|bigint|smallint|tinyint)`: Spark truncates a double (2.7 → 2), DuckDB rounds (3);
- `cast(x AS string)`: Spark writes 1.0E10 and `2026-01-01 00:00:00`, DuckDB 10000000000.0 and
  `2026-01-01 00:00:00+00`;
- `concat`/`||` of anything but strings, integers, dates and booleans (which both write alike),
  and `if`/`CASE`/`coalesce` mixing a string with another type: both convert the other value
  to text, as that cast does (see _check_text);
- `substring`/`substr`: positions 0 and below mean different things;
- `dayofweek`: Spark counts from Sunday = 1, DuckDB from Sunday = 0;
- `date_trunc` of a value not known to be a timestamp or a date (Spark first converts it to a
  timestamp); of a date it is written over `CAST(… AS TIMESTAMPTZ)`, as Spark converts it (midnight
  UTC, the session time zone of both), because DuckDB's DATE_TRUNC of a DATE answers a DATE and,
  in DuckDB 1.4.1, marks NULL dates read from Parquet as valid (see _date_trunc_of_timestamps);
- subtracting a date or a timestamp (`d - to_date(ts)`: Spark `interval day`, DuckDB a number of
  days) or a value whose type is not known; `date - integer` (a date on both) passes;
- `sum`/`avg` of a string (Spark converts it to double, DuckDB refuses; see check_metrics);
- `upper`, `lower`: Java's case mapping is not DuckDB's (Spark: upper('straße') = 'STRASSE',
  DuckDB: 'STRAẞE');
- `to_date(s, format)`, `date_format`: Java date patterns, not strftime's;
- `ilike` (Java's case mapping again), and `LIKE … ESCAPE`;
- a `LIKE` pattern that is neither a string literal nor a parameter (see _check_like);
- a derived column named as an input column (see check_derived_names);
- any function sqlglot does not know (it would be passed through by name, unchecked);
- decimal division, and decimal arithmetic past 38 digits (see result_types.py, which also
  casts what DuckDB types otherwise to Spark's types).

`LIKE` is written with `ESCAPE '\\'`: Spark's LIKE escapes with a backslash by default, DuckDB's
has no escape character unless told (`a\\_c` matches `a_c` on Spark, `a\\xc` on DuckDB).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from sluice_embedded.result_types import ResultTypeRefusal, branches_of, spark_numeric, with_spark_result_types
from sluice_spark.failures import UserFailure
from sluice_spark.spec import AggregateTransform, Metric, ParameterValue, SqlTransform, Transform

# The view the SQL mode's statement reads (LANDING_VIEW in transforms.py).
LANDING_VIEW = "landing"

# Expressions that mean the same in Spark SQL and in sqlglot's DuckDB rendering of them.
_SAME_MEANING: tuple[type[exp.Expression], ...] = (
    # names, literals, parameters
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Placeholder, exp.Paren,
    # logic and comparison (three-valued logic is the same)
    exp.Not, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ,
    exp.Is, exp.In, exp.Between, exp.Like,
    # arithmetic: `/` is real division on both (sqlglot guards a zero divisor with NULLIF)
    exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Div,
    # conditionals and NULL handling
    exp.Case, exp.If, exp.Coalesce,
    # strings: `concat` is NULL when any argument is NULL on both (sqlglot writes `||`)
    exp.DPipe, exp.Concat, exp.Length,
    exp.Abs,
    # time, in the session time zone, UTC on both engines
    exp.TsOrDsToDate, exp.TimestampTrunc, exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour,
    exp.Minute, exp.Second,
    exp.Cast, exp.TryCast, exp.DataType, exp.Var,
)  # fmt: skip

# What a SQL statement may add: one query over the landing view (and its own CTEs).
_STATEMENT_PARTS: tuple[type[exp.Expression], ...] = (
    exp.Select, exp.From, exp.Table, exp.TableAlias, exp.Alias, exp.Where, exp.Group, exp.Having,
    exp.Order, exp.Ordered, exp.Limit, exp.Star, exp.Subquery, exp.With, exp.CTE, exp.Distinct,
    exp.Count, exp.Sum, exp.Min, exp.Max,
)  # fmt: skip

# date_trunc units whose boundaries agree (weeks start on Monday on both).
_TRUNC_UNITS = frozenset({"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND"})

# Targets of cast(...) that convert the same way (see the module docstring for those refused).
# Spark's `timestamp` is an instant: sqlglot reads it as TIMESTAMPTZ, DuckDB's instant type,
# and a text without an offset is read in the session time zone, UTC on both.
_CAST_TARGETS = frozenset({exp.DataType.Type.DOUBLE, exp.DataType.Type.DATE, exp.DataType.Type.BOOLEAN, exp.DataType.Type.TIMESTAMPTZ})


class TranslationError(Exception):
    """An expression the embedded engine will not run; the message names it and says why."""

    def __init__(self, where: str, text: str, reason: str) -> None:
        super().__init__(f"{where}: cannot translate {text.strip()!r} for the embedded engine: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class ValueTypes:
    """What is known of the types of the names an expression reads, for _check_text: the
    columns' Spark types (`string`, `double`, …) and the parameters' declared types (`string`,
    `number`, `boolean`). A name not listed is of a type not known."""

    columns: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def of_run(expected_columns: Mapping[str, str], parameters: Mapping[str, ParameterValue]) -> "ValueTypes":
        """A run's: its expected columns, and its parameters by the values they are bound to."""
        return ValueTypes(expected_columns, {name: "string" if isinstance(value, str) else "other" for name, value in parameters.items()})

    def column(self, name: str) -> str | None:
        lowered = name.lower()
        return next((kind for column, kind in self.columns.items() if column.lower() == lowered), None)

    def with_columns(self, columns: Mapping[str, str]) -> "ValueTypes":
        return ValueTypes({**self.columns, **columns}, self.parameters)


@dataclass(frozen=True)
class Translated:
    """DuckDB SQL text and the names of the parameters it reads (`$name`)."""

    sql: str
    parameters: frozenset[str]
    # The Spark expression as parsed, for never_null().
    tree: exp.Expression | None = None
    # A statement's output columns that Spark knows can never be NULL.
    never_null: frozenset[str] = frozenset()
    # The parameters used as a LIKE pattern, whose values parameter_values() checks as Spark does.
    like_patterns: frozenset[str] = frozenset()


def translate_expression(text: str, where: str, types: ValueTypes = ValueTypes()) -> Translated:
    """One filter condition or derived column expression; `types`, of the names it reads."""
    tree = _parse(text, where)
    if isinstance(tree, exp.Query):
        raise TranslationError(where, text, "expected an expression, found a query")
    _check(tree, _SAME_MEANING, text, where)
    _check_text(tree, types, text, where)
    _check_date_arithmetic(tree, types, text, where)
    tree = _date_trunc_of_timestamps(tree, types, text, where)
    return _render(_typed_as_spark(tree, types, text, where), text, where)


def translate_derive(derive: Mapping[str, str], types: ValueTypes) -> dict[str, Translated]:
    """The derived columns, each knowing the types of those before it (one SELECT: a later
    derived column may read an earlier one)."""
    return _translate_derive(derive, types)[0]


def _translate_derive(derive: Mapping[str, str], types: ValueTypes) -> tuple[dict[str, Translated], ValueTypes]:
    """translate_derive's answer, and `types` with the derived columns' types added."""
    translated: dict[str, Translated] = {}
    for name, text in derive.items():
        translated[name] = translate_expression(text, f"derive.{name}", types)
        if types.column(name) is None:  # a name clash is check_derived_names' to refuse
            tree = translated[name].tree
            assert tree is not None
            numeric = spark_numeric(tree, types.column)
            temporal = _temporal_kind(tree, types)
            kind = _text_kind(tree, types)
            if numeric is not None:
                types = types.with_columns({name: numeric.spark_name()})
            elif temporal is not None:
                types = types.with_columns({name: temporal})
            elif kind.is_string is not None:
                types = types.with_columns({name: "string" if kind.is_string else "non-string"})
    return translated, types


def translate_statement(text: str, where: str = "sql", types: ValueTypes = ValueTypes()) -> Translated:
    """The SQL mode's statement: one query reading only the `landing` view, whose columns'
    types are `types`."""
    tree = _parse(text, where)
    if not isinstance(tree, exp.Select):
        raise TranslationError(where, text, "only a single SELECT over the landing view is supported")
    _check(tree, _SAME_MEANING + _STATEMENT_PARTS, text, where)
    # A name a nested query gives a value (an alias in a CTE or subquery, a CTE's column list)
    # may not be the landing column of that name where it is read: its type is not known. The
    # outer query's own aliases change nothing in its expressions: there, as Spark resolves
    # them, a name is the landing column first (`coalesce(status, 'none') AS status` reads it).
    renamed = {
        alias.alias.lower()
        for alias in tree.find_all(exp.Alias)
        if alias.find_ancestor(exp.Select) is not tree and not (isinstance(alias.this, exp.Column) and alias.this.name.lower() == alias.alias.lower())
    }
    renamed |= {column.name.lower() for table_alias in tree.find_all(exp.TableAlias) for column in table_alias.columns}
    landing = {name: kind for name, kind in types.columns.items() if name.lower() not in renamed}
    landing_types = ValueTypes(landing, types.parameters)
    _check_text(tree, landing_types, text, where)
    _check_date_arithmetic(tree, landing_types, text, where)
    _check_sums(tree, landing_types, text, where)
    tree = _date_trunc_of_timestamps(tree, landing_types, text, where)
    tree = _typed_as_spark(tree, landing_types, text, where)
    own_views = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name.lower() not in own_views | {LANDING_VIEW} or table.args.get("db"):
            raise TranslationError(where, text, f"reads {table.sql('spark')!r}; a statement may read only the landing view")
    for item in tree.expressions:
        if not isinstance(item, (exp.Alias, exp.Column, exp.Star)):
            # Spark and DuckDB name an unnamed computed column differently (count(1) vs count_star()).
            raise TranslationError(where, text, f"name the output column {item.sql('spark')!r} with AS")
    translated = _render(tree, text, where)
    never_null = frozenset(item.alias for item in tree.expressions if isinstance(item, exp.Alias) and never_null_in_spark(item.this, frozenset()))
    return Translated(translated.sql, translated.parameters, tree, never_null, translated.like_patterns)


def check_transform(
    transform: Transform, input_columns: Mapping[str, str] | None = None, parameter_types: Mapping[str, str] | None = None
) -> None:
    """Raise TranslationError for the first part of the transform that cannot be translated;
    `input_columns` (name → Spark type), when known, are the pipeline's (see
    check_derived_names), `parameter_types` its declared parameters' (see ValueTypes)."""
    types = ValueTypes(input_columns or {}, parameter_types or {})
    if isinstance(transform, SqlTransform):
        translate_statement(transform.sql, types=types)
        return
    assert isinstance(transform, AggregateTransform)
    if transform.filter is not None:
        translate_expression(transform.filter, "filter", types)
    # The names first: a derived column named as an input column is refused whatever it computes.
    check_derived_names(transform.derive, None if input_columns is None else list(input_columns))
    _, derived_types = _translate_derive(transform.derive, types)
    check_metrics(transform.metrics, derived_types)


# Metric functions Spark computes over a string column by converting it to double first
# (failing, in ANSI mode, on a value that is no number); DuckDB's sum/avg take no string.
_CONVERTING_METRICS = frozenset({"sum", "avg"})


def check_metrics(metrics: Iterable[Metric], types: ValueTypes) -> None:
    """Refuse a sum or avg of a column known to be a string (an input column, or a derived one
    of strings): Spark answers it, converting each value to double; the embedded engine would
    fail the job (`user`) where Spark succeeds, so such a pipeline's jobs run on Spark. A column
    whose type is not known is left to the run, which then fails `platform` (run on Spark by
    engine.fallback) rather than `user` (metrics.py)."""
    for metric in metrics:
        if metric.fn not in _CONVERTING_METRICS or metric.column is None:
            continue
        column_type = types.column(metric.column)
        if column_type is not None and column_type.strip().lower() == "string":
            raise TranslationError(
                f"metric {metric.name!r}",
                f"{metric.fn}({metric.column})",
                f"{metric.column!r} is a string: Spark converts each value to double for {metric.fn} "
                "(failing on a value that is no number), DuckDB does not convert it",
            )


def check_derived_names(derive: Mapping[str, str], input_columns: Iterable[str] | None) -> None:
    """A derived column may not take the name of an input column (or of another derived one).

    Spark's derive step is `SELECT *, (…) AS x`: with an input column `x` the step has two
    columns `x`, and a group_by or metric naming `x` fails with AMBIGUOUS_REFERENCE (the
    pipeline's error). DuckDB takes the input column without a word and would commit its sums,
    so the embedded engine refuses the transform: `auto` runs it on Spark, which says why.
    Names compare case-insensitively, as both engines compare them. Without the input columns
    (embedded_check.py when the broker does not send them) a derived column whose expression
    reads its own name is caught all the same: that name can only be an input column's.
    """
    seen = {column.lower(): "an input column" for column in input_columns or ()}
    for name, text in derive.items():
        where = f"derive.{name}"
        clash = seen.get(name.lower())
        if clash is None and input_columns is None:
            tree = _parse(text, where)
            if any(column.name.lower() == name.lower() for column in tree.find_all(exp.Column)):
                clash = "an input column"
        if clash is not None:
            raise TranslationError(
                where,
                text,
                f"{name!r} is also the name of {clash}: Spark fails with AMBIGUOUS_REFERENCE where the name is used, "
                "DuckDB would silently read one of the two; give the derived column another name",
            )
        seen[name.lower()] = "a derived column"


# A pipeline's engine.conf goes to spark-submit. The embedded engine computes as Spark does
# with these settings at the values listed (the Spark app's own when a pipeline sets none), and
# at no other: key → (values, what another value changes).
_SAME_SQL_AT: dict[str, tuple[frozenset[str], str]] = {
    "spark.sql.session.timeZone": (
        frozenset({"utc", "etc/utc", "gmt", "etc/gmt", "z", "+00:00"}),
        "the days and hours of timestamps are then that zone's; the embedded engine's are UTC's",
    ),
    "spark.sql.ansi.enabled": (frozenset({"true"}), "casts and sums then return NULL where ANSI mode, and the embedded engine, fail"),
    "spark.sql.caseSensitive": (frozenset({"false"}), "column names are then case-sensitive; on the embedded engine they are not"),
    "spark.sql.decimalOperations.allowPrecisionLoss": (frozenset({"true"}), "decimal arithmetic then has other result types and digits"),
    "spark.sql.parser.escapedStringLiterals": (frozenset({"false"}), "a backslash in a string literal then means itself"),
    "spark.sql.ansi.doubleQuotedIdentifiers": (frozenset({"false"}), '"…" is then a column name, not a string'),
    "spark.sql.timestampType": (frozenset({"timestamp_ltz"}), "cast(… AS timestamp) is then a wall-clock time, not an instant"),
}
# spark.sql settings that change how Spark runs, never what it answers.
_RUNNING_ONLY = (
    "spark.sql.shuffle.partitions", "spark.sql.adaptive.", "spark.sql.files.maxPartitionBytes",
    "spark.sql.files.openCostInBytes", "spark.sql.files.minPartitionNum", "spark.sql.autoBroadcastJoinThreshold",
    "spark.sql.broadcastTimeout", "spark.sql.codegen.", "spark.sql.execution.arrow.", "spark.sql.inMemoryColumnarStorage.",
    "spark.sql.parquet.compression.codec", "spark.sql.parquet.enableVectorizedReader", "spark.sql.parquet.filterPushdown",
    "spark.sql.parquet.columnarReaderBatchSize", "spark.sql.ui.",
)  # fmt: skip


def check_engine_conf(conf: Mapping[str, str]) -> None:
    """Raise TranslationError for the first spark.sql setting that may change the answers.

    A pipeline that sets spark.sql.session.timeZone to Europe/Paris gets Paris days from Spark,
    so it cannot run embedded: `auto` runs it on Spark, `engine.kind: embedded` is refused.
    Settings outside spark.sql (memory, cores, S3, Kubernetes) change no answer; within it,
    only those known to change nothing but speed pass, and those above at the listed values.
    """
    for key, value in conf.items():
        if not key.startswith("spark.sql."):
            continue
        if key in _SAME_SQL_AT:
            values, change = _SAME_SQL_AT[key]
            if str(value).strip().lower() not in values:
                raise TranslationError("engine.conf", f"{key}: {value}", f"Spark SQL computes differently under it ({change})")
        elif not key.startswith(_RUNNING_ONLY):
            raise TranslationError("engine.conf", f"{key}: {value}", "a Spark SQL setting the embedded engine has not been checked against")


def transform_parameters(transform: Transform) -> frozenset[str]:
    """Every parameter name the transform's expressions read."""
    if isinstance(transform, SqlTransform):
        texts = [("sql", transform.sql)]
    else:
        assert isinstance(transform, AggregateTransform)
        texts = [("filter", transform.filter)] if transform.filter is not None else []
        texts += [(f"derive.{name}", text) for name, text in transform.derive.items()]
    return frozenset(node.name for where, text in texts for node in _parse(text, where).find_all(exp.Placeholder))


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parse(text: str, where: str) -> exp.Expression:
    try:
        statements = sqlglot.parse(text, read="spark", error_level=ErrorLevel.RAISE)
    except ParseError as error:
        raise TranslationError(where, text, f"Spark SQL that sqlglot cannot parse ({_first_line(error)})") from None
    statements = [statement for statement in statements if statement is not None]
    if len(statements) != 1:
        raise TranslationError(where, text, f"expected one statement or expression, found {len(statements)}")
    return statements[0]


def _check(tree: exp.Expression, allowed: tuple[type[exp.Expression], ...], text: str, where: str) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Anonymous):
            raise TranslationError(where, text, f"function {node.name}() is not one the embedded engine has checked against Spark")
        if not isinstance(node, allowed):
            raise TranslationError(where, text, f"{_describe(node)} is not one the embedded engine has checked against Spark")
        _check_node(node, text, where)


def _check_node(node: exp.Expression, text: str, where: str) -> None:
    if isinstance(node, exp.Like):
        _check_like(node, text, where)
    if isinstance(node, exp.TsOrDsToDate) and node.args.get("format") is not None:
        raise TranslationError(where, text, "to_date with a format uses Java date patterns, which DuckDB does not read")
    if isinstance(node, exp.TimestampTrunc):
        unit = node.text("unit").upper()
        if unit not in _TRUNC_UNITS:
            raise TranslationError(where, text, f"date_trunc unit {unit!r} is not one of {', '.join(sorted(_TRUNC_UNITS))}")
    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.this not in _CAST_TARGETS:
        raise TranslationError(
            where, text, f"cast to {node.to.sql('spark')} converts differently in DuckDB (only double, date, boolean and timestamp are checked)"
        )


@dataclass(frozen=True)
class _TextKind:
    """Whether an expression's value is a string (None: not known), and what it is, for a message."""

    is_string: bool | None
    what: str
    is_null: bool = False
    # Not a string, but written as the same text by both engines (an integer, a date, a boolean).
    same_text: bool = False


# Column types both engines write as the same text: integers, dates and booleans (Spark
# `5`, `2026-03-28`, `true`, as DuckDB). Not double/float (1.0E10), decimal, or timestamps (+00).
_SAME_TEXT_TYPES = frozenset({"tinyint", "byte", "smallint", "short", "int", "integer", "bigint", "long", "date", "boolean"})
# Expressions of an integer or date value, written as the same text by both engines.
_SAME_TEXT_VALUES = (exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour, exp.Minute, exp.Second, exp.Length, exp.Count, exp.TsOrDsToDate)


# Expressions whose value is never a string (those allowed above that are not DPipe, Concat,
# Case, If, Coalesce, Min, Max, names, literals or parameters).
_NOT_TEXT = (
    exp.Not, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.Is, exp.In,
    exp.Between, exp.Like, exp.Escape, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Length, exp.Abs,
    exp.TsOrDsToDate, exp.TimestampTrunc, exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour, exp.Minute,
    exp.Second, exp.Cast, exp.Count, exp.Sum,
)  # fmt: skip


def _check_text(tree: exp.Expression, types: ValueTypes, text: str, where: str) -> None:
    """Spark and DuckDB write a non-string value as text differently (Spark: 1.0E10 and
    `2026-03-28 22:00:00`; DuckDB: 10000000000.0 and `2026-03-28 22:00:00+00`), which is why
    cast(… AS string) is refused. `concat` and `||` convert every argument that way, and
    `if`/`CASE`/`coalesce` convert a non-string branch when another is a string, so these are
    refused unless every argument is known to be a string (or NULL) or a value both write alike
    (an integer, a date, a boolean), or, for the conditionals, no branch is a string. A value
    whose type is not known is refused: it may be either."""
    for node in tree.walk():
        if isinstance(node, (exp.If, exp.Case, exp.Coalesce)):
            kinds = [(branch, kind) for branch in branches_of(node) if not (kind := _text_kind(branch, types)).is_null]
            if len(kinds) > 1 and {kind.is_string for _, kind in kinds} not in ({True}, {False}):
                described = "; ".join(f"{branch.sql('spark')!r}: {kind.what}" for branch, kind in kinds)
                raise TranslationError(
                    where,
                    text,
                    f"{_describe(node)} mixes a string with a value that is not one, or may not be ({described}): {_TEXT_CONVERSION}",
                )
    for node in tree.walk():
        if isinstance(node, (exp.DPipe, exp.Concat)):
            for argument in _concat_arguments(node):
                kind = _text_kind(argument, types)
                if kind.is_string is not True and not kind.same_text:
                    why = "is not a string" if kind.is_string is False else "may not be a string"
                    raise TranslationError(
                        where, text, f"concat/|| argument {argument.sql('spark')!r} {why} ({kind.what}): {_TEXT_CONVERSION}"
                    )


_TEXT_CONVERSION = (
    "Spark and DuckDB write a non-string value as text differently (Spark 1.0E10, DuckDB 10000000000.0; "
    "timestamps with +00 on DuckDB only), so the embedded engine does not run it"
)


def _text_kind(node: exp.Expression, types: ValueTypes) -> _TextKind:
    if isinstance(node, exp.Paren):
        return _text_kind(node.this, types)
    if isinstance(node, exp.Null):
        return _TextKind(True, "NULL", is_null=True)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return _TextKind(True, "a string literal")
        return _TextKind(False, "a number", same_text=re.fullmatch(r"-?\d+", node.this) is not None)
    if isinstance(node, exp.Boolean):
        return _TextKind(False, "a boolean", same_text=True)
    if isinstance(node, exp.Placeholder):
        declared = types.parameters.get(node.name)
        if declared is None:
            return _TextKind(None, f"parameter :{node.name}, whose type is not known")
        return _TextKind(declared == "string", f"parameter :{node.name}, of type {declared}", same_text=declared == "boolean")
    if isinstance(node, exp.Column):
        column_type = types.column(node.name)
        if column_type is None:
            return _TextKind(None, f"column {node.name}, whose type is not known")
        kind = column_type.strip().lower()
        return _TextKind(kind == "string", f"column {node.name}, of type {column_type}", same_text=kind in _SAME_TEXT_TYPES)
    if isinstance(node, (exp.DPipe, exp.Concat)):
        return _TextKind(True, "a concatenation")
    if isinstance(node, (exp.Min, exp.Max)):
        return _text_kind(node.this, types)
    if isinstance(node, (exp.If, exp.Case, exp.Coalesce)):
        kinds = [kind for kind in (_text_kind(branch, types) for branch in branches_of(node)) if not kind.is_null]
        if not kinds:
            return _TextKind(True, "NULL", is_null=True)
        found = {kind.is_string for kind in kinds}
        is_string = found.pop() if len(found) == 1 else None
        return _TextKind(is_string, f"{_describe(node)} of {'strings' if is_string else 'values that are not strings' if is_string is False else 'mixed types'}")
    if isinstance(node, _SAME_TEXT_VALUES) or (isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.DATE, exp.DataType.Type.BOOLEAN)):
        return _TextKind(False, f"{_describe(node)}, not a string", same_text=True)
    if isinstance(node, _NOT_TEXT):
        return _TextKind(False, f"{_describe(node)}, not a string")
    return _TextKind(None, f"{_describe(node)}, whose type is not known")


def _concat_arguments(node: exp.Expression) -> list[exp.Expression]:
    """concat's arguments, or those of a chain `a || b || c` in the order written."""
    if isinstance(node, exp.Concat):
        return list(node.expressions)
    if isinstance(node, exp.DPipe):
        return _concat_arguments(node.this) + _concat_arguments(node.expression)
    return [node]


def _check_like(node: exp.Like, text: str, where: str) -> None:
    """Spark refuses a pattern with a backslash before anything but `_`, `%` or `\\`, or at its
    end (INVALID_FORMAT.ESC_IN_THE_MIDDLE, ESC_AT_THE_END); DuckDB, told ESCAPE '\\', would take
    the first as the plain character and run. A literal pattern is checked here, a parameter's
    value when it is bound (parameter_values); one computed from columns cannot be checked
    before it meets a row, so it is refused."""
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        problem = spark_like_pattern_problem(pattern.this)
        if problem:
            raise TranslationError(where, text, f"Spark rejects the LIKE pattern {pattern.this!r}: {problem}")
    elif not isinstance(pattern, exp.Placeholder):
        raise TranslationError(
            where, text, "a LIKE pattern that is neither a string literal nor a :parameter (Spark checks its backslash escapes row by row)"
        )


def spark_like_pattern_problem(pattern: str) -> str | None:
    """Why Spark's LIKE (escape character `\\`) refuses this pattern, or None."""
    index = 0
    while index < len(pattern):
        if pattern[index] == "\\":
            if index + 1 == len(pattern):
                return "it ends with the escape character \\"
            if pattern[index + 1] not in "_%\\":
                return f"the escape character \\ may only precede _, % or \\, not {pattern[index + 1]!r}"
            index += 1
        index += 1
    return None


def _temporal_kind(node: exp.Expression, types: ValueTypes) -> str | None:
    """`date` or `timestamp` when the expression's Spark value is known to be one, else None."""
    if isinstance(node, (exp.Paren, exp.Min, exp.Max)):
        return _temporal_kind(node.this, types)
    if isinstance(node, exp.Column):
        column_type = (types.column(node.name) or "").strip().lower()
        return column_type if column_type in ("date", "timestamp") else None
    if isinstance(node, exp.TsOrDsToDate):
        return "date"
    if isinstance(node, exp.TimestampTrunc):
        return "timestamp"
    if isinstance(node, exp.Cast):  # and TryCast, its subclass
        return {exp.DataType.Type.DATE: "date", exp.DataType.Type.TIMESTAMPTZ: "timestamp"}.get(node.to.this)
    if isinstance(node, (exp.Add, exp.Sub)):
        # date ± integer is a date on both engines (Spark's date_add/date_sub).
        left, right = node.this, node.expression
        if _temporal_kind(left, types) == "date" and _is_integer(right, types):
            return "date"
        if isinstance(node, exp.Add) and _temporal_kind(right, types) == "date" and _is_integer(left, types):
            return "date"
        return None
    if isinstance(node, (exp.If, exp.Case, exp.Coalesce)):
        kinds = {_temporal_kind(branch, types) for branch in branches_of(node) if not isinstance(branch, exp.Null)}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _is_integer(node: exp.Expression, types: ValueTypes) -> bool:
    numeric = spark_numeric(node, types.column)
    return numeric is not None and numeric.kind == "integer"


def _check_date_arithmetic(tree: exp.Expression, types: ValueTypes, text: str, where: str) -> None:
    """Spark subtracts dates into an `interval day` (and timestamps into `interval day to
    second`); DuckDB gives a number of days (and its own INTERVAL). So a subtraction is refused
    when an operand is a date or a timestamp, unless it is `date - integer` (a date on both),
    and when an operand's type is not known (it may be a date)."""
    for node in tree.find_all(exp.Sub):
        left, right = node.this, node.expression
        if _temporal_kind(left, types) == "date" and _is_integer(right, types):
            continue
        for operand in (left, right):
            temporal = _temporal_kind(operand, types)
            if temporal is not None:
                raise TranslationError(
                    where,
                    text,
                    f"{node.sql('spark')!r} subtracts a {temporal}: Spark answers an interval, DuckDB a number "
                    "(only date - integer, a date on both, is run)",
                )
            if spark_numeric(operand, types.column) is None and _text_kind(operand, types).is_string is None:
                raise TranslationError(
                    where,
                    text,
                    f"{node.sql('spark')!r} subtracts {operand.sql('spark')!r}, whose type is not known: "
                    "were it a date, Spark would answer an interval and DuckDB a number",
                )


def _check_sums(tree: exp.Expression, types: ValueTypes, text: str, where: str) -> None:
    """A statement's sum() of a string: Spark converts each value to double, DuckDB refuses (as
    check_metrics, for the aggregate mode's metrics)."""
    for node in tree.find_all(exp.Sum):
        kind = _text_kind(node.this, types)
        if kind.is_string:
            raise TranslationError(
                where, text, f"{node.sql('spark')!r} sums {kind.what}: Spark converts each value to double, DuckDB does not convert it"
            )


def _date_trunc_of_timestamps(tree: exp.Expression, types: ValueTypes, text: str, where: str) -> exp.Expression:
    """The tree with every date_trunc reading a timestamp, as Spark's does.

    Spark's date_trunc takes a timestamp and returns one; a date is first converted to the
    timestamp of its midnight in the session time zone (UTC). DuckDB's DATE_TRUNC of a DATE
    answers a DATE instead, and in DuckDB 1.4.1 marks the NULL dates it reads from Parquet as
    valid (count() counts them; a NULL group becomes timestamp -9223372036854775808). So a
    date argument is cast to TIMESTAMPTZ, midnight UTC under the engine's TimeZone = 'UTC'
    (tests/test_differential.py compares every unit with NULLs on both engines), and an
    argument known to be neither (a string, a value of unknown type), which Spark parses as a
    timestamp, is refused."""
    for node in list(tree.find_all(exp.TimestampTrunc)):
        argument = node.this
        kind = _temporal_kind(argument, types)
        if kind == "timestamp":
            continue
        if kind == "date":
            argument.replace(exp.Cast(this=argument.copy(), to=exp.DataType.build("TIMESTAMPTZ")))
            continue
        raise TranslationError(
            where,
            text,
            f"date_trunc of {argument.sql('spark')!r}, which is not known to be a timestamp or a date: "
            "Spark first converts it to a timestamp, which the embedded engine does not reproduce",
        )
    return tree


def _typed_as_spark(tree: exp.Expression, types: ValueTypes, text: str, where: str) -> exp.Expression:
    """The tree with casts that give its values Spark's types (result_types.py)."""
    try:
        return with_spark_result_types(tree, types.column)
    except ResultTypeRefusal as refusal:
        raise TranslationError(where, text, str(refusal)) from None


def _render(tree: exp.Expression, text: str, where: str) -> Translated:
    parameters = frozenset(node.name for node in tree.find_all(exp.Placeholder))
    if any(not name for name in parameters):
        raise TranslationError(where, text, "positional parameters (?) are not supported; use :name")
    like_patterns = frozenset(node.expression.name for node in tree.find_all(exp.Like) if isinstance(node.expression, exp.Placeholder))
    tree = tree.transform(_strict_conversions)
    try:
        sql = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE, identify=True)
    except UnsupportedError as error:
        raise TranslationError(where, text, _first_line(error)) from None
    return Translated(sql=sql, parameters=parameters, tree=tree, like_patterns=like_patterns)


# Spark's nullability of an expression decides `nullable` in the manifest, and a SQL sink
# creates NOT NULL columns from it, so the embedded engine must reproduce it, not guess.
_NULL_IF_ANY_CHILD_IS = (
    exp.Paren, exp.Not, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between,
    exp.Like, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.DPipe, exp.Concat, exp.Length, exp.Abs,
    exp.TsOrDsToDate, exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour, exp.Minute, exp.Second, exp.Cast,
    exp.Escape,  # only the ESCAPE '\\' that _strict_conversions puts around a LIKE
)  # fmt: skip

# NULL from non-NULL input: try_cast's whole point (a text that is no number), so Spark marks it
# nullable whatever its argument; it subclasses Cast in sqlglot and must be caught first.
_NULL_FROM_ANY_INPUT = (exp.TryCast,)


def never_null_in_spark(node: exp.Expression, non_null_columns: frozenset[str]) -> bool:
    """Whether Spark's analyzer marks the expression non-nullable, given the columns it knows
    are never NULL (input columns never are: Spark reads Parquet with every column nullable).
    Anything not listed here is nullable, the safe answer."""
    if isinstance(node, _NULL_FROM_ANY_INPUT):
        return False
    if isinstance(node, (exp.Literal, exp.Boolean, exp.Placeholder, exp.Count, exp.NullSafeEQ, exp.Is)):
        return True
    if isinstance(node, exp.Column):
        return node.name in non_null_columns
    if isinstance(node, exp.Coalesce):
        return any(never_null_in_spark(argument, non_null_columns) for argument in [node.this, *node.expressions])
    if isinstance(node, exp.If):
        branches = [node.args.get("true"), node.args.get("false")]
        return all(branch is not None and never_null_in_spark(branch, non_null_columns) for branch in branches)
    if isinstance(node, exp.Case):
        branches = [branch.args.get("true") for branch in node.args.get("ifs", [])] + [node.args.get("default")]
        return all(branch is not None and never_null_in_spark(branch, non_null_columns) for branch in branches)
    if isinstance(node, _NULL_IF_ANY_CHILD_IS):
        return all(never_null_in_spark(child, non_null_columns) for child in node.iter_expressions() if not isinstance(child, exp.DataType))
    return False


def _strict_conversions(node: exp.Expression) -> exp.Expression:
    """Spark 4 runs in ANSI mode: cast() and to_date() fail on a value they cannot convert.
    sqlglot assumes the older Spark that returned NULL and writes TRY_CAST; only the author's
    own try_cast() may return NULL. A LIKE gets Spark's default escape character, `\\`."""
    if isinstance(node, exp.TryCast) and not node.args.get("safe"):
        return exp.Cast(this=node.this, to=node.to)
    if isinstance(node, exp.TsOrDsToDate):
        return exp.Cast(this=node.this, to=exp.DataType.build("date"))
    if isinstance(node, exp.Like) and not isinstance(node.parent, exp.Escape):
        return exp.Escape(this=node.copy(), expression=exp.Literal.string("\\"))
    return node


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Func):
        return f"function {node.sql_name().lower()}()"
    return f"{node.key} ({node.sql('spark')[:60]!r})"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def parameter_values(
    names: Iterable[str], values: Mapping[str, ParameterValue], where: str, like_patterns: Iterable[str] = ()
) -> dict[str, ParameterValue]:
    """The values of exactly the parameters a statement reads (DuckDB refuses extra ones); a
    parameter without a value is the pipeline's fault, as Spark's UNBOUND_SQL_PARAMETER is, and
    so is a LIKE pattern Spark refuses (INVALID_FORMAT, see _check_like)."""
    missing = sorted(set(names) - values.keys())
    if missing:
        raise UserFailure(f"{where}: parameter :{missing[0]} has no value")
    for name in sorted(like_patterns):
        value = values[name]
        problem = spark_like_pattern_problem(value) if isinstance(value, str) else None
        if problem:
            raise UserFailure(f"{where}: parameter :{name} is the LIKE pattern {value!r}, which Spark rejects: {problem}")
    return {name: values[name] for name in sorted(names)}
