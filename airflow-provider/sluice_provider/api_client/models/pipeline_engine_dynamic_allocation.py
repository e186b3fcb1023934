from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineEngineDynamicAllocation")


@_attrs_define
class PipelineEngineDynamicAllocation:
    """
    Attributes:
        enabled (bool | Unset):  Default: False.
        min_ (int | Unset):  Default: 0.
        max_ (int | Unset):  Default: 10.
    """

    enabled: bool | Unset = False
    min_: int | Unset = 0
    max_: int | Unset = 10

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        min_ = self.min_

        max_ = self.max_

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if min_ is not UNSET:
            field_dict["min"] = min_
        if max_ is not UNSET:
            field_dict["max"] = max_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        min_ = d.pop("min", UNSET)

        max_ = d.pop("max", UNSET)

        pipeline_engine_dynamic_allocation = cls(
            enabled=enabled,
            min_=min_,
            max_=max_,
        )

        return pipeline_engine_dynamic_allocation
