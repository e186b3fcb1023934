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
- `substring`/`substr`: positions 0 and below mean different things;
- `dayofweek`: Spark counts from Sunday = 1, DuckDB from Sunday = 0;
- `upper`, `lower`: Java's case mapping is not DuckDB's (Spark: upper('straße') = 'STRASSE',
  DuckDB: 'STRAẞE');
- `to_date(s, format)`, `date_format`: Java date patterns, not strftime's;
- any function sqlglot does not know (it would be passed through by name, unchecked).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from sluice_spark.failures import UserFailure
from sluice_spark.spec import AggregateTransform, ParameterValue, SqlTransform, Transform

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
class Translated:
    """DuckDB SQL text and the names of the parameters it reads (`$name`)."""

    sql: str
    parameters: frozenset[str]
    # The Spark expression as parsed, for never_null().
    tree: exp.Expression | None = None
    # A statement's output columns that Spark knows can never be NULL.
    never_null: frozenset[str] = frozenset()


def translate_expression(text: str, where: str) -> Translated:
    """One filter condition or derived column expression."""
    tree = _parse(text, where)
    if isinstance(tree, exp.Query):
        raise TranslationError(where, text, "expected an expression, found a query")
    _check(tree, _SAME_MEANING, text, where)
    return _render(tree, text, where)


def translate_statement(text: str, where: str = "sql") -> Translated:
    """The SQL mode's statement: one query reading only the `landing` view."""
    tree = _parse(text, where)
    if not isinstance(tree, exp.Select):
        raise TranslationError(where, text, "only a single SELECT over the landing view is supported")
    _check(tree, _SAME_MEANING + _STATEMENT_PARTS, text, where)
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
    return Translated(translated.sql, translated.parameters, tree, never_null)


def check_transform(transform: Transform) -> None:
    """Raise TranslationError for the first part of the transform that cannot be translated."""
    if isinstance(transform, SqlTransform):
        translate_statement(transform.sql)
        return
    assert isinstance(transform, AggregateTransform)
    if transform.filter is not None:
        translate_expression(transform.filter, "filter")
    for name, expression in transform.derive.items():
        translate_expression(expression, f"derive.{name}")


def transform_parameters(transform: Transform) -> frozenset[str]:
    """Every parameter name the transform's expressions read."""
    if isinstance(transform, SqlTransform):
        return translate_statement(transform.sql).parameters
    assert isinstance(transform, AggregateTransform)
    texts = [("filter", transform.filter)] if transform.filter is not None else []
    texts += [(f"derive.{name}", text) for name, text in transform.derive.items()]
    return frozenset().union(*(translate_expression(text, where).parameters for where, text in texts))


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


def _render(tree: exp.Expression, text: str, where: str) -> Translated:
    parameters = frozenset(node.name for node in tree.find_all(exp.Placeholder))
    if any(not name for name in parameters):
        raise TranslationError(where, text, "positional parameters (?) are not supported; use :name")
    tree = tree.transform(_strict_conversions)
    try:
        sql = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE, identify=True)
    except UnsupportedError as error:
        raise TranslationError(where, text, _first_line(error)) from None
    return Translated(sql=sql, parameters=parameters, tree=tree)


# Spark's nullability of an expression decides `nullable` in the manifest, and a SQL sink
# creates NOT NULL columns from it, so the embedded engine must reproduce it, not guess.
_NULL_IF_ANY_CHILD_IS = (
    exp.Paren, exp.Not, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between,
    exp.Like, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.DPipe, exp.Concat, exp.Length, exp.Abs,
    exp.TsOrDsToDate, exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour, exp.Minute, exp.Second, exp.Cast,
)  # fmt: skip


def never_null_in_spark(node: exp.Expression, non_null_columns: frozenset[str]) -> bool:
    """Whether Spark's analyzer marks the expression non-nullable, given the columns it knows
    are never NULL (input columns never are: Spark reads Parquet with every column nullable).
    Anything not listed here is nullable, the safe answer."""
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
    own try_cast() may return NULL."""
    if isinstance(node, exp.TryCast) and not node.args.get("safe"):
        return exp.Cast(this=node.this, to=node.to)
    if isinstance(node, exp.TsOrDsToDate):
        return exp.Cast(this=node.this, to=exp.DataType.build("date"))
    return node


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Func):
        return f"function {node.sql_name().lower()}()"
    return f"{node.key} ({node.sql('spark')[:60]!r})"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def parameter_values(names: Iterable[str], values: Mapping[str, ParameterValue], where: str) -> dict[str, ParameterValue]:
    """The values of exactly the parameters a statement reads (DuckDB refuses extra ones); a
    parameter without a value is the pipeline's fault, as Spark's UNBOUND_SQL_PARAMETER is."""
    missing = sorted(set(names) - values.keys())
    if missing:
        raise UserFailure(f"{where}: parameter :{missing[0]} has no value")
    return {name: values[name] for name in sorted(names)}
