from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_notify_item_on_item import PipelineNotifyItemOnItem

T = TypeVar("T", bound="PipelineNotifyItem")


@_attrs_define
class PipelineNotifyItem:
    """
    Attributes:
        target (str):
        on (list[PipelineNotifyItemOnItem]):
    """

    target: str
    on: list[PipelineNotifyItemOnItem]

    def to_dict(self) -> dict[str, Any]:
        target = self.target

        on = []
        for on_item_data in self.on:
            on_item = on_item_data.value
            on.append(on_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "target": target,
                "on": on,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        target = d.pop("target")

        on = []
        _on = d.pop("on")
        for on_item_data in _on:
            on_item = PipelineNotifyItemOnItem(on_item_data)

            on.append(on_item)

        pipeline_notify_item = cls(
            target=target,
            on=on,
        )

        return pipeline_notify_item
