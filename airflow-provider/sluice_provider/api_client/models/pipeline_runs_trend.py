from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PipelineRunsTrend")


@_attrs_define
class PipelineRunsTrend:
    """
    Attributes:
        succeeded (list[int]): One count per hour of the window, oldest first.
        failed (list[int]): One count per hour of the window, oldest first.
    """

    succeeded: list[int]
    failed: list[int]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        succeeded = self.succeeded

        failed = self.failed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "succeeded": succeeded,
                "failed": failed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        succeeded = cast(list[int], d.pop("succeeded"))

        failed = cast(list[int], d.pop("failed"))

        pipeline_runs_trend = cls(
            succeeded=succeeded,
            failed=failed,
        )

        pipeline_runs_trend.additional_properties = d
        return pipeline_runs_trend

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
