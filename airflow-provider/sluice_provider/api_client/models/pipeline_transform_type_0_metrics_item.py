from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_transform_type_0_metrics_item_fn import (
    PipelineTransformType0MetricsItemFn,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineTransformType0MetricsItem")


@_attrs_define
class PipelineTransformType0MetricsItem:
    """
    Attributes:
        name (str):
        fn (PipelineTransformType0MetricsItemFn):
        column (str | Unset):
        percentile (float | Unset):
    """

    name: str
    fn: PipelineTransformType0MetricsItemFn
    column: str | Unset = UNSET
    percentile: float | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        fn = self.fn.value

        column = self.column

        percentile = self.percentile

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "fn": fn,
            }
        )
        if column is not UNSET:
            field_dict["column"] = column
        if percentile is not UNSET:
            field_dict["percentile"] = percentile

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        fn = PipelineTransformType0MetricsItemFn(d.pop("fn"))

        column = d.pop("column", UNSET)

        percentile = d.pop("percentile", UNSET)

        pipeline_transform_type_0_metrics_item = cls(
            name=name,
            fn=fn,
            column=column,
            percentile=percentile,
        )

        return pipeline_transform_type_0_metrics_item
