"""Pure transforms: a DataFrame and the pipeline's transform in, a DataFrame out.

Expressions written by the pipeline's author are only ever passed to Spark's SQL parser, and
parameter values only as named parameters (`:name`) through `spark.sql(..., args=...)`, so a
parameter value can never change the shape of a statement. Nothing here triggers a job:
Spark analyses eagerly but computes only when the result is written.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import count

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, IntegralType, StructType

from .failures import UserFailure
from .spec import AggregateTransform, Metric, ParameterValue, SqlTransform, Transform

# The name the SQL mode's statement reads from (see TransformSchema in pipeline.ts).
LANDING_VIEW = "landing"

# Distinct view names for the intermediate steps, so that a step never replaces the view
# another step (or the author's SQL) reads from.
_step_numbers = count()


def apply_transform(landing: DataFrame, transform: Transform, parameters: Mapping[str, ParameterValue]) -> DataFrame:
    with _user_errors():
        if isinstance(transform, SqlTransform):
            return _sql_over(landing, LANDING_VIEW, transform.sql, parameters)
        return _aggregate(landing, transform, parameters)


def apply_filter(frame: DataFrame, condition: str, parameters: Mapping[str, ParameterValue]) -> DataFrame:
    view = _step_view()
    return _sql_over(frame, view, f"SELECT * FROM {view} WHERE {condition}", parameters)


def apply_derive(frame: DataFrame, derive: Mapping[str, str], parameters: Mapping[str, ParameterValue]) -> DataFrame:
    """Add derived columns in one SELECT; a later one may refer to an earlier one by name."""
    if not derive:
        return frame
    view = _step_view()
    columns = ", ".join(f"({expression}) AS {_quote(name)}" for name, expression in derive.items())
    return _sql_over(frame, view, f"SELECT *, {columns} FROM {view}", parameters)


def apply_metrics(frame: DataFrame, group_by: tuple[str, ...], metrics: tuple[Metric, ...]) -> DataFrame:
    return frame.groupBy(*group_by).agg(*(metric_column(metric, frame.schema).alias(metric.name) for metric in metrics))


def metric_column(metric: Metric, schema: StructType) -> Column:
    if metric.fn == "count":
        # Without a column, count rows; with one, count its non-null values (SQL's COUNT(col)).
        return F.count(F.lit(1)) if metric.column is None else F.count(F.col(metric.column))
    name = _required_column(metric)
    column = F.col(name)
    if metric.fn == "avg" and isinstance(_type_of(name, schema), IntegralType):
        return exact_integer_average(column)
    builders: dict[str, Callable[[Column], Column]] = {
        "sum": F.sum,
        "avg": F.avg,
        "min": F.min,
        "max": F.max,
        "count_distinct": F.count_distinct,  # exact, unlike approx_count_distinct
        "approx_percentile": lambda value: F.percentile_approx(value, _required_percentile(metric)),
    }
    return builders[metric.fn](column)


# An integer column's exact sum is kept as three sums of 21-bit parts of its values: long sums
# run as fast as Spark's own avg (a decimal(38,0) sum, through Java's BigDecimal, took four
# times as long), and none of them can overflow before a group passes 2^42 rows.
_PART_BITS = 21


def exact_integer_average(column: Column) -> Column:
    """avg of an integer column: its exact sum converted to a double, divided by the count.
    Spark's own avg adds the values as doubles: past 2^53 (20,000 epoch milliseconds reach it)
    each partial sum rounds, so the answer's last digits depend on the partitioning. The
    embedded engine computes the same (sluice_embedded/metrics.py); both conversions round to
    nearest. Below 2^53 it is exactly Spark's avg."""
    value = column.cast("long")
    mask = F.lit((1 << _PART_BITS) - 1)
    # value = high·2^42 + middle·2^21 + low, with middle and low in [0, 2^21).
    parts = [
        (F.shiftright(value, 2 * _PART_BITS), 2 * _PART_BITS),
        (F.shiftright(value, _PART_BITS).bitwiseAND(mask), _PART_BITS),
        (value.bitwiseAND(mask), 0),
    ]
    high, middle, low = (F.sum(part).cast("decimal(38,0)") * F.lit(1 << shift).cast("decimal(38,0)") for part, shift in parts)
    total = high + middle + low
    count_ = F.count(column)
    return F.when(count_ > 0, total.cast("double") / count_.cast("double"))


def _type_of(name: str, schema: StructType) -> DataType | None:
    """The type of column `name` (Spark resolves names regardless of case), or None."""
    return next((field.dataType for field in schema.fields if field.name.lower() == name.lower()), None)


def _aggregate(landing: DataFrame, transform: AggregateTransform, parameters: Mapping[str, ParameterValue]) -> DataFrame:
    frame = landing if transform.filter is None else apply_filter(landing, transform.filter, parameters)
    frame = apply_derive(frame, transform.derive, parameters)
    return apply_metrics(frame, transform.group_by, transform.metrics)


def _sql_over(frame: DataFrame, view: str, query: str, parameters: Mapping[str, ParameterValue]) -> DataFrame:
    frame.createOrReplaceTempView(view)
    return frame.sparkSession.sql(query, args=dict(parameters))


def _step_view() -> str:
    return f"sluice_step_{next(_step_numbers)}"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _required_column(metric: Metric) -> str:
    if metric.column is None:
        raise UserFailure(f"metric {metric.name!r}: {metric.fn} needs a column")
    return metric.column


def _required_percentile(metric: Metric) -> float:
    if metric.percentile is None:
        raise UserFailure(f"metric {metric.name!r}: approx_percentile needs a percentile")
    return metric.percentile


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn Spark's analysis and parse errors (ParseException is an AnalysisException) into user failures."""
    try:
        yield
    except AnalysisException as error:
        raise UserFailure(f"transform: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
