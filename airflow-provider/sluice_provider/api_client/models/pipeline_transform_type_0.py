from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_transform_type_0_derive import PipelineTransformType0Derive
    from ..models.pipeline_transform_type_0_metrics_item import (
        PipelineTransformType0MetricsItem,
    )


T = TypeVar("T", bound="PipelineTransformType0")


@_attrs_define
class PipelineTransformType0:
    """
    Attributes:
        group_by (list[str]):
        metrics (list[PipelineTransformType0MetricsItem]):
        filter_ (str | Unset):
        derive (PipelineTransformType0Derive | Unset):
    """

    group_by: list[str]
    metrics: list[PipelineTransformType0MetricsItem]
    filter_: str | Unset = UNSET
    derive: PipelineTransformType0Derive | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        group_by = self.group_by

        metrics = []
        for metrics_item_data in self.metrics:
            metrics_item = metrics_item_data.to_dict()
            metrics.append(metrics_item)

        filter_ = self.filter_

        derive: dict[str, Any] | Unset = UNSET
        if not isinstance(self.derive, Unset):
            derive = self.derive.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "group_by": group_by,
                "metrics": metrics,
            }
        )
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if derive is not UNSET:
            field_dict["derive"] = derive

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_transform_type_0_derive import (
            PipelineTransformType0Derive,
        )
        from ..models.pipeline_transform_type_0_metrics_item import (
            PipelineTransformType0MetricsItem,
        )

        d = dict(src_dict)
        group_by = cast(list[str], d.pop("group_by"))

        metrics = []
        _metrics = d.pop("metrics")
        for metrics_item_data in _metrics:
            metrics_item = PipelineTransformType0MetricsItem.from_dict(
                metrics_item_data
            )

            metrics.append(metrics_item)

        filter_ = d.pop("filter", UNSET)

        _derive = d.pop("derive", UNSET)
        derive: PipelineTransformType0Derive | Unset
        if isinstance(_derive, Unset):
            derive = UNSET
        else:
            derive = PipelineTransformType0Derive.from_dict(_derive)

        pipeline_transform_type_0 = cls(
            group_by=group_by,
            metrics=metrics,
            filter_=filter_,
            derive=derive,
        )

        return pipeline_transform_type_0
