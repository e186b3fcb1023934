"""The aggregate mode's metrics in DuckDB, with Spark's result types and values.

Where DuckDB's own aggregate differs from Spark's, the SQL here computes Spark's:
- sum of integers is `bigint` in Spark (DuckDB: HUGEINT) — cast back, failing on overflow as
  Spark's ANSI mode does; sum of decimal(p,s) is decimal(p+10,s) (DuckDB: decimal(38,s));
- avg of doubles is the sum divided by the count, as a double (Spark's Average);
- avg of integers is the exact sum, converted to a double, divided by the count (the Spark
  app computes the same: sluice_spark/transforms.py `exact_integer_average`; Spark's own avg
  adds the values as doubles, which rounds once past 2^53 and differs with the partitioning):
  DuckDB computes the exact sum and the count, and `finish_batch` divides them;
- avg of decimal(p,s) is decimal(p+4,s+4) in Spark (DuckDB: DOUBLE): DuckDB computes the exact
  sum and the count, and `finish_batch` divides them exactly and rounds as Spark does (see
  spark_decimal_average);
- approx_percentile is DuckDB's exact `quantile_disc` (an element of the column at the exact
  rank), which is within Spark's documented bound: percentile_approx with its default
  accuracy 10000 answers within a rank error of n/10000.
"""

from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from sluice_spark.failures import PlatformFailure, UserFailure
from sluice_spark.manifest import OutputColumn
from sluice_spark.spec import Metric

from .translate import quote_identifier
from .types import spark_output_name

MAX_PRECISION = 38


@dataclass(frozen=True)
class Average:
    """An avg computed after the query, from the exact sum and count columns into `name`: of a
    decimal(p,s) column (`decimal`, the input's type: Spark's decimal(p+4,s+4)) or of an integer
    column (`decimal` None: a double)."""

    name: str
    sum_column: str
    count_column: str
    decimal: pa.Decimal128Type | None

    @property
    def arrow_type(self) -> pa.DataType:
        if self.decimal is None:
            return pa.float64()
        return pa.decimal128(min(self.decimal.precision + 4, MAX_PRECISION), min(self.decimal.scale + 4, MAX_PRECISION))

    def computed(self, sums: pa.Array, counts: pa.Array) -> pa.Array:
        """This average of each row, from its sum and count columns."""
        if self.decimal is None:
            return _integer_averages(sums, counts)
        values = [
            spark_decimal_average(total, count, self.decimal.precision, self.decimal.scale)
            for total, count in zip(sums.to_pylist(), counts.to_pylist(), strict=True)
        ]
        return pa.array(values, type=self.arrow_type)


@dataclass(frozen=True)
class MetricPlan:
    select: list[str]  # SQL select items of the aggregate query, after the group keys
    columns: list[OutputColumn]  # the output's columns, keys first, with Spark's types
    averages: list[Average]  # computed by finish_batch


def plan_metrics(
    group_by: tuple[str, ...], metrics: tuple[Metric, ...], types: dict[str, pa.DataType], never_null: frozenset[str] = frozenset()
) -> MetricPlan:
    """The SQL for `metrics` over a relation whose columns have `types` (Arrow); `never_null`
    names the derived columns Spark knows are never NULL (the group keys keep that)."""
    select: list[str] = []
    averages: list[Average] = []
    columns = [OutputColumn(key, spark_output_name(_type_of(key, types, "group_by")), key not in never_null) for key in group_by]
    for index, metric in enumerate(metrics):
        alias = quote_identifier(metric.name)
        if metric.fn == "count":
            target = "*" if metric.column is None else quote_identifier(metric.column)
            select.append(f"count({target}) AS {alias}")
            columns.append(OutputColumn(metric.name, "bigint", False))
            continue
        column = _required_column(metric)
        source = quote_identifier(column)
        arrow_type = _type_of(column, types, f"metric {metric.name!r}")
        if metric.fn == "count_distinct":
            select.append(f"count(DISTINCT {source}) AS {alias}")
            columns.append(OutputColumn(metric.name, "bigint", False))
        elif metric.fn in ("min", "max"):
            select.append(f"{metric.fn}({source}) AS {alias}")
            columns.append(OutputColumn(metric.name, spark_output_name(arrow_type), True))
        elif metric.fn == "sum":
            sql, spark_type = _sum(source, arrow_type, metric)
            select.append(f"{sql} AS {alias}")
            columns.append(OutputColumn(metric.name, spark_type, True))
        elif metric.fn == "avg":
            if pa.types.is_decimal(arrow_type) or pa.types.is_integer(arrow_type):
                average = Average(
                    name=metric.name,
                    sum_column=f"__sluice_sum_{index}",
                    count_column=f"__sluice_count_{index}",
                    decimal=arrow_type if isinstance(arrow_type, pa.Decimal128Type) else None,
                )
                # An integer sum as DuckDB's exact HUGEINT, handed over as decimal(38,0).
                total = f"CAST(sum({source}) AS DECIMAL(38,0))" if average.decimal is None else f"sum({source})"
                select += [f"{total} AS {quote_identifier(average.sum_column)}", f"count({source}) AS {quote_identifier(average.count_column)}"]
                averages.append(average)
                columns.append(OutputColumn(metric.name, spark_output_name(average.arrow_type), True))
            else:
                _require_numeric(arrow_type, metric)
                select.append(f"CAST(sum({source}) AS DOUBLE) / count({source}) AS {alias}")
                columns.append(OutputColumn(metric.name, "double", True))
        elif metric.fn == "approx_percentile":
            if not (_is_numeric(arrow_type) or pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type)):
                raise UserFailure(
                    f"metric {metric.name!r}: approx_percentile needs a numeric, date or timestamp column, "
                    f"{column!r} is {spark_output_name(arrow_type)}"
                )
            if metric.percentile is None:
                raise UserFailure(f"metric {metric.name!r}: approx_percentile needs a percentile")
            select.append(f"quantile_disc({source}, {float(metric.percentile)!r}) AS {alias}")
            columns.append(OutputColumn(metric.name, spark_output_name(arrow_type), True))
        else:
            raise UserFailure(f"metric {metric.name!r}: unknown function {metric.fn!r}")
    return MetricPlan(select=select, columns=columns, averages=averages)


def finish_batch(batch: pa.RecordBatch, plan: MetricPlan) -> pa.RecordBatch:
    """The batch with each decimal or integer average computed from its sum and count, in output order."""
    if not plan.averages:
        return batch
    averages = {average.name: average for average in plan.averages}
    arrays = []
    for column in plan.columns:
        average = averages.get(column.name)
        if average is None:
            arrays.append(batch.column(column.name))
            continue
        arrays.append(average.computed(batch.column(average.sum_column), batch.column(average.count_column)))
    return pa.RecordBatch.from_arrays(arrays, names=[column.name for column in plan.columns])


def spark_decimal_average(total: Decimal | None, count: int, precision: int, scale: int) -> Decimal | None:
    """Spark's avg of a decimal(precision,scale) column from its exact sum and count.

    Spark 4's Average divides the sum by the count in one step (DecimalDivideWithOverflowCheck):
    Decimal's `/` keeps 39 decimal places, truncating, and the quotient is then rounded HALF_UP
    to the avg's type decimal(p+4,s+4) (bounded at 38), so `precision` does not change the
    digits. The type of decimal(p+10,s) / decimal(20,0) plays no part: rounding to its scale
    first, as this once did, cut wide decimals short (decimal(28,10)'s avg of 1, 0, 0 came out
    0.33333333330000 where Spark answers 0.33333333333333). Truncating at 39 places cannot change a HALF_UP rounding
    at 38 places or fewer (whether the rest reaches half a unit is decided within 39 places),
    so this is one HALF_UP rounding of the exact quotient, done here in integers.
    """
    if total is None or count == 0:
        return None
    target_scale = min(scale + 4, MAX_PRECISION)
    # |total| × 10^target_scale / count as a fraction of integers: Decimal arithmetic would round
    # to its context's 28 digits, and these have up to 38.
    sign, digits, exponent = total.as_tuple()
    assert isinstance(exponent, int), f"a sum is a number, not {total}"
    shift = exponent + target_scale
    numerator = int("".join(map(str, digits)) or "0") * 10 ** max(shift, 0)
    denominator = count * 10 ** max(-shift, 0)
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return Decimal(f"{'-' if sign else ''}{quotient}E-{target_scale}")


def _integer_averages(sums: pa.Array, counts: pa.Array) -> pa.Array:
    """The avg of integers (as the Spark app's exact_integer_average) over whole columns: in
    Arrow while every sum fits a bigint (the cast from decimal(38,0) is exact or refused; the
    unchecked cast from bigint to double rounds to nearest, ties to even, as Python's float()
    does, where the checked one would refuse a sum past 2^53), one row at a time in Python past
    it."""
    try:
        totals = pc.cast(sums, pa.int64())
    except pa.ArrowInvalid:
        return pa.array([_integer_average(total, count) for total, count in zip(sums.to_pylist(), counts.to_pylist(), strict=True)], pa.float64())
    return pc.divide(pc.cast(totals, pa.float64(), safe=False), pc.cast(counts, pa.float64()))


def _integer_average(total: Decimal | None, count: int) -> float | None:
    """The avg of integers whose exact sum is `total`: the sum converted to the nearest double,
    divided by the count as a double, as the Spark app computes it (both conversions round to
    nearest, ties to even, in Python as in the JVM)."""
    if total is None or count == 0:
        return None
    return float(int(total)) / float(count)


def _sum(source: str, arrow_type: pa.DataType, metric: Metric) -> tuple[str, str]:
    if pa.types.is_integer(arrow_type):
        return f"CAST(sum({source}) AS BIGINT)", "bigint"
    if pa.types.is_floating(arrow_type):
        return f"sum(CAST({source} AS DOUBLE))", "double"
    if pa.types.is_decimal(arrow_type):
        precision = min(arrow_type.precision + 10, MAX_PRECISION)
        return f"CAST(sum({source}) AS DECIMAL({precision},{arrow_type.scale}))", f"decimal({precision},{arrow_type.scale})"
    _require_numeric(arrow_type, metric)
    raise AssertionError("unreachable")


def _is_numeric(arrow_type: pa.DataType) -> bool:
    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)


def _require_numeric(arrow_type: pa.DataType, metric: Metric) -> None:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        # Spark converts each string to double here and answers: not the pipeline's fault, so
        # not `user`. A platform failure, which engine.fallback runs on Spark. (embedded_check
        # refuses such a metric whenever it knows the column's type: check_metrics.)
        raise PlatformFailure(
            f"metric {metric.name!r}: {metric.fn} of the string column {metric.column!r}, which Spark converts to double "
            "and the embedded engine does not"
        )
    if not _is_numeric(arrow_type):
        raise UserFailure(f"metric {metric.name!r}: {metric.fn} needs a numeric column, {metric.column!r} is {spark_output_name(arrow_type)}")


def _required_column(metric: Metric) -> str:
    if metric.column is None:
        raise UserFailure(f"metric {metric.name!r}: {metric.fn} needs a column")
    return metric.column


def _type_of(column: str, types: dict[str, pa.DataType], where: str) -> pa.DataType:
    if column not in types:
        raise UserFailure(f"{where}: column {column!r} is neither an input column nor a derived column")
    return types[column]
