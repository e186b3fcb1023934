from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pipeline_runs_trend import PipelineRunsTrend


T = TypeVar("T", bound="PipelineRuns")


@_attrs_define
class PipelineRuns:
    """
    Attributes:
        pipeline (str):
        succeeded (int):
        failed (int):
        cancelled (int):
        p_50_ms (int | None): Median duration in ms of the succeeded and failed jobs, from submit (createdAt) to the
            final state, so queue time and every attempt count; null without such jobs. Cancelled jobs are counted but not
            timed.
        p_95_ms (int | None): 95th percentile (nearest rank) of the same durations as p50Ms.
        trend (PipelineRunsTrend):
    """

    pipeline: str
    succeeded: int
    failed: int
    cancelled: int
    p_50_ms: int | None
    p_95_ms: int | None
    trend: PipelineRunsTrend
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pipeline = self.pipeline

        succeeded = self.succeeded

        failed = self.failed

        cancelled = self.cancelled

        p_50_ms: int | None
        p_50_ms = self.p_50_ms

        p_95_ms: int | None
        p_95_ms = self.p_95_ms

        trend = self.trend.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pipeline": pipeline,
                "succeeded": succeeded,
                "failed": failed,
                "cancelled": cancelled,
                "p50Ms": p_50_ms,
                "p95Ms": p_95_ms,
                "trend": trend,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_runs_trend import PipelineRunsTrend

        d = dict(src_dict)
        pipeline = d.pop("pipeline")

        succeeded = d.pop("succeeded")

        failed = d.pop("failed")

        cancelled = d.pop("cancelled")

        def _parse_p_50_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        p_50_ms = _parse_p_50_ms(d.pop("p50Ms"))

        def _parse_p_95_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        p_95_ms = _parse_p_95_ms(d.pop("p95Ms"))

        trend = PipelineRunsTrend.from_dict(d.pop("trend"))

        pipeline_runs = cls(
            pipeline=pipeline,
            succeeded=succeeded,
            failed=failed,
            cancelled=cancelled,
            p_50_ms=p_50_ms,
            p_95_ms=p_95_ms,
            trend=trend,
        )

        pipeline_runs.additional_properties = d
        return pipeline_runs

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
