from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pipeline_runs import PipelineRuns


T = TypeVar("T", bound="RunStats")


@_attrs_define
class RunStats:
    """
    Attributes:
        from_ (str): Start of the window (ISO 8601, UTC).
        until (str): End of the window: the time of the request.
        hours (int):
        total (int): Jobs that reached a final state in the window.
        truncated (bool): True when the window held more than 10,000 finished jobs: only the newest 10,000 are counted,
            and the counts are complete from `countedFrom` on.
        counted_from (str): From when the counts are complete: `from`, unless truncated.
        items (list[PipelineRuns]): Every loaded pipeline (with zeros when it had no runs) and any other pipeline with
            runs in the window, by name.
    """

    from_: str
    until: str
    hours: int
    total: int
    truncated: bool
    counted_from: str
    items: list[PipelineRuns]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_ = self.from_

        until = self.until

        hours = self.hours

        total = self.total

        truncated = self.truncated

        counted_from = self.counted_from

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from": from_,
                "until": until,
                "hours": hours,
                "total": total,
                "truncated": truncated,
                "countedFrom": counted_from,
                "items": items,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_runs import PipelineRuns

        d = dict(src_dict)
        from_ = d.pop("from")

        until = d.pop("until")

        hours = d.pop("hours")

        total = d.pop("total")

        truncated = d.pop("truncated")

        counted_from = d.pop("countedFrom")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = PipelineRuns.from_dict(items_item_data)

            items.append(items_item)

        run_stats = cls(
            from_=from_,
            until=until,
            hours=hours,
            total=total,
            truncated=truncated,
            counted_from=counted_from,
            items=items,
        )

        run_stats.additional_properties = d
        return run_stats

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
