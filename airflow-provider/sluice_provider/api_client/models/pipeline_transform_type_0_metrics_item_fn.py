from enum import StrEnum


class PipelineTransformType0MetricsItemFn(StrEnum):
    APPROX_PERCENTILE = "approx_percentile"
    AVG = "avg"
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    MAX = "max"
    MIN = "min"
    SUM = "sum"

    def __str__(self) -> str:
        return str(self.value)
