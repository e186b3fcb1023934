"""Spark's result types for the embedded engine's translations.

A run's output types go into its manifest, and from there into the SQL tables Sluice creates;
a later run of the same pipeline on the other engine (`engine.kind: auto` picks by the
landing's size) must produce the same types, or its load is refused as a narrowing
(`int` table column, `bigint` run column). DuckDB gives some expressions other types than
Spark, with the same values:

- `year`, `month`, `day`, `dayofmonth`, `hour`, `minute`, `second`, `length`: Spark `int`,
  DuckDB `bigint`. Cast to INTEGER.
- decimal `*`: Spark `decimal(p1+p2+1, s1+s2)`, DuckDB fewer digits (`decimal(18,4)` for two
  `decimal(10,2)`): the product is exact on both, so it is cast to Spark's type. Decimal `+`
  and `-` are cast too (DuckDB's types were Spark's in every case tried; the cast makes sure).
- decimal `sum` (the SQL mode's): Spark `decimal(p+10, s)`, DuckDB `decimal(38, s)`: cast.
- decimal `/`: Spark rounds the exact quotient to its type's scale, DuckDB divides in
  floating point (a double, with other digits): refused.
- a decimal `+`, `-` or `*` whose Spark type would pass 38 digits: Spark then rounds to fewer places
  (allowPrecisionLoss): refused rather than reproduced.

Spark's rules (DecimalPrecision, spark.sql.decimalOperations.allowPrecisionLoss=true, which
translate.py requires): an integer operand of decimal arithmetic counts as decimal(10,0)
(int) or decimal(20,0) (bigint), an integer literal as its own digits (2 → decimal(1,0));
a decimal literal's type is its digits (2.50 → decimal(3,2), 0.05 → decimal(2,2)); a double
operand makes the result a double. tests/test_differential.py checks each against Spark.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from sluice_embedded.types import decimal_type, normalized_type

MAX_PRECISION = 38

# Integer types and the decimal precision Spark gives them in decimal arithmetic.
_INTEGER_DIGITS = {"tinyint": 3, "byte": 3, "smallint": 5, "short": 5, "int": 10, "integer": 10, "bigint": 20, "long": 20}
_DOUBLE_TYPES = frozenset({"double", "float", "real"})
# Functions whose value is a Spark int, which DuckDB gives as a bigint.
_INT_VALUED = (exp.Year, exp.Month, exp.Day, exp.DayOfMonth, exp.Hour, exp.Minute, exp.Second, exp.Length)


class ResultTypeRefusal(Exception):
    """An expression whose Spark result the embedded engine would not reproduce; says why."""


@dataclass(frozen=True)
class Numeric:
    """A numeric value's Spark type: `integer` (precision: digits as a decimal operand),
    `double`, or `decimal(precision, scale)`. `literal`: an integer literal, which decimal
    arithmetic takes at its own digits."""

    kind: str
    precision: int = 0
    scale: int = 0
    literal: bool = False

    def as_decimal(self) -> "Numeric":
        return Numeric("decimal", self.precision, 0) if self.kind == "integer" else self

    def spark_name(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "double":
            return "double"
        return next(name for name, digits in _INTEGER_DIGITS.items() if digits >= self.precision)


ColumnType = Callable[[str], str | None]


def numeric_of_type(type_name: str | None) -> Numeric | None:
    """The Numeric of a Spark type name (`decimal(10,2)`, `int`, `double`), or None."""
    if type_name is None:
        return None
    normalized = normalized_type(type_name)
    decimal = decimal_type(normalized)
    if decimal:
        return Numeric("decimal", *decimal)
    if normalized in _INTEGER_DIGITS:
        return Numeric("integer", _INTEGER_DIGITS[normalized])
    if normalized in _DOUBLE_TYPES:
        return Numeric("double")
    return None


def spark_numeric(node: exp.Expression, column_type: ColumnType) -> Numeric | None:
    """The Spark type of a numeric expression, or None when it is not numeric or not known."""
    if isinstance(node, (exp.Paren, exp.Neg, exp.Abs, exp.Min, exp.Max)):
        return spark_numeric(node.this, column_type)
    if isinstance(node, exp.Literal) and not node.is_string:
        return _literal(node.this)
    if isinstance(node, exp.Column):
        return numeric_of_type(column_type(node.name))
    if isinstance(node, _INT_VALUED):
        return Numeric("integer", 10)
    if isinstance(node, exp.Count):
        return Numeric("integer", 20)
    if isinstance(node, exp.Cast):
        return numeric_of_type(node.to.sql("spark"))
    if isinstance(node, exp.Sum):
        inner = spark_numeric(node.this, column_type)
        if inner is None or inner.kind == "double":
            return inner
        return Numeric("integer", 20) if inner.kind == "integer" else Numeric("decimal", min(MAX_PRECISION, inner.precision + 10), inner.scale)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        return _arithmetic(node, spark_numeric(node.this, column_type), spark_numeric(node.expression, column_type))
    if isinstance(node, (exp.If, exp.Case, exp.Coalesce)):
        return _wider(node, column_type)
    return None


def _literal(text: str) -> Numeric | None:
    if re.fullmatch(r"\d+", text):
        return Numeric("integer", max(1, len(text.lstrip("0"))), literal=True)
    match = re.fullmatch(r"(\d*)\.(\d*)", text)
    if match:
        whole, fraction = match.groups()
        digits = len((whole + fraction).lstrip("0")) or 1
        return Numeric("decimal", max(digits, len(fraction)), len(fraction))
    # An exponent (1e3) or a suffix (2D, 3L, 1.5BD) is not looked into.
    return None


def _arithmetic(node: exp.Expression, left: Numeric | None, right: Numeric | None) -> Numeric | None:
    if left is None or right is None:
        return None
    if "double" in (left.kind, right.kind):
        return Numeric("double")
    if left.kind == right.kind == "integer":
        # Integer division is real division in Spark (`/` gives a double); the rest stays integer.
        return Numeric("double") if isinstance(node, exp.Div) else Numeric("integer", max(left.precision, right.precision))
    a, b = left.as_decimal(), right.as_decimal()
    # Past 38 digits a type is kept as computed, for with_spark_result_types to refuse.
    if isinstance(node, (exp.Add, exp.Sub)):
        scale = max(a.scale, b.scale)
        return Numeric("decimal", scale + max(a.precision - a.scale, b.precision - b.scale) + 1, scale)
    if isinstance(node, exp.Mul):
        return Numeric("decimal", a.precision + b.precision + 1, a.scale + b.scale)
    scale = max(6, a.scale + b.precision + 1)
    return Numeric("decimal", a.precision - a.scale + b.scale + scale, scale)


def branches_of(node: exp.Expression) -> list[exp.Expression]:
    """The values an if/CASE/coalesce may return (a CASE without ELSE: its THENs only)."""
    if isinstance(node, exp.Case):
        branches = [branch.args.get("true") for branch in node.args.get("ifs", [])] + [node.args.get("default")]
    elif isinstance(node, exp.If):
        branches = [node.args.get("true"), node.args.get("false")]
    else:
        branches = [node.this, *node.expressions]
    return [branch for branch in branches if branch is not None]


def _wider(node: exp.Expression, column_type: ColumnType) -> Numeric | None:
    """The type Spark gives if/CASE/coalesce over numeric branches (an integer literal counts
    at its type here, not at its digits); None when a branch is not known to be numeric."""
    kinds: list[Numeric] = []
    for branch in branches_of(node):
        if isinstance(branch, exp.Null):
            continue
        kind = spark_numeric(branch, column_type)
        if kind is None:
            return None
        kinds.append(Numeric("integer", 10 if kind.precision <= 10 else 20) if kind.literal else kind)
    if not kinds:
        return None
    if any(kind.kind == "double" for kind in kinds):
        return Numeric("double")
    if all(kind.kind == "integer" for kind in kinds):
        return Numeric("integer", max(kind.precision for kind in kinds))
    decimals = [kind.as_decimal() for kind in kinds]
    scale = max(kind.scale for kind in decimals)
    return Numeric("decimal", min(MAX_PRECISION, scale + max(kind.precision - kind.scale for kind in decimals)), scale)


def with_spark_result_types(tree: exp.Expression, column_type: ColumnType) -> exp.Expression:
    """The tree with casts to Spark's result types where DuckDB's differ (see the module
    docstring); raises ResultTypeRefusal where it would not compute the same. Every node is
    judged before any is cast, so a refusal names the expression as written; the casts go
    innermost first, so that an outer expression is typed over the casts of its inner ones."""
    for node in tree.walk():
        _refuse_unreproducible(node, column_type)
    for node in list(tree.walk(bfs=False))[::-1]:
        replacement = _cast_for(node, column_type)
        if replacement is not None:
            if node is tree:
                tree = replacement
            else:
                node.replace(replacement)
    return tree


def _refuse_unreproducible(node: exp.Expression, column_type: ColumnType) -> None:
    if not isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Sum)):
        return
    operands = [node.this] if isinstance(node, exp.Sum) else [node.this, node.expression]
    kinds = [spark_numeric(operand, column_type) for operand in operands]
    reads_decimal = any(kind is not None and kind.kind == "decimal" for kind in kinds)
    result = spark_numeric(node, column_type)
    if result is None:
        if reads_decimal:
            raise ResultTypeRefusal(f"{node.sql('spark')!r} reads a decimal with a value whose type is not known, so its Spark result type is not known")
        return
    if result.kind != "decimal":
        return
    if isinstance(node, exp.Div):
        raise ResultTypeRefusal(
            f"decimal division {node.sql('spark')!r}: Spark rounds the exact quotient to a decimal, DuckDB divides in floating point"
            " (cast an operand to double to divide as a double on both)"
        )
    if result.precision > MAX_PRECISION:
        raise ResultTypeRefusal(
            f"{node.sql('spark')!r} needs decimal({result.precision},{result.scale}), past 38 digits, where Spark rounds to fewer places"
        )


def _cast_for(node: exp.Expression, column_type: ColumnType) -> exp.Expression | None:
    """The cast that gives the node Spark's type, or None where DuckDB's is Spark's already."""
    if isinstance(node, _INT_VALUED):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("int"))
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Sum)):
        result = spark_numeric(node, column_type)
        if result is not None and result.kind == "decimal":
            return exp.Cast(this=node.copy(), to=exp.DataType.build(result.spark_name(), dialect="spark"))
    return None
