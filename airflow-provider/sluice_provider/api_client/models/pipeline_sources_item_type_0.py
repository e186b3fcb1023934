from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_sources_item_type_0_kind import PipelineSourcesItemType0Kind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_sources_item_type_0_ready import (
        PipelineSourcesItemType0Ready,
    )


T = TypeVar("T", bound="PipelineSourcesItemType0")


@_attrs_define
class PipelineSourcesItemType0:
    """
    Attributes:
        kind (PipelineSourcesItemType0Kind):
        path (str):
        id (str | Unset):
        include (list[str] | Unset):
        polling (bool | Unset):  Default: False.
        interval (int | str | Unset):  Default: 2000.
        rescan (int | str | Unset):  Default: 300000.
        ready (PipelineSourcesItemType0Ready | Unset):
        touch_is_new (bool | Unset):  Default: False.
    """

    kind: PipelineSourcesItemType0Kind
    path: str
    id: str | Unset = UNSET
    include: list[str] | Unset = UNSET
    polling: bool | Unset = False
    interval: int | str | Unset = 2000
    rescan: int | str | Unset = 300000
    ready: PipelineSourcesItemType0Ready | Unset = UNSET
    touch_is_new: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        path = self.path

        id = self.id

        include: list[str] | Unset = UNSET
        if not isinstance(self.include, Unset):
            include = self.include

        polling = self.polling

        interval: int | str | Unset
        if isinstance(self.interval, Unset):
            interval = UNSET
        else:
            interval = self.interval

        rescan: int | str | Unset
        if isinstance(self.rescan, Unset):
            rescan = UNSET
        else:
            rescan = self.rescan

        ready: dict[str, Any] | Unset = UNSET
        if not isinstance(self.ready, Unset):
            ready = self.ready.to_dict()

        touch_is_new = self.touch_is_new

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "path": path,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if include is not UNSET:
            field_dict["include"] = include
        if polling is not UNSET:
            field_dict["polling"] = polling
        if interval is not UNSET:
            field_dict["interval"] = interval
        if rescan is not UNSET:
            field_dict["rescan"] = rescan
        if ready is not UNSET:
            field_dict["ready"] = ready
        if touch_is_new is not UNSET:
            field_dict["touch_is_new"] = touch_is_new

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_sources_item_type_0_ready import (
            PipelineSourcesItemType0Ready,
        )

        d = dict(src_dict)
        kind = PipelineSourcesItemType0Kind(d.pop("kind"))

        path = d.pop("path")

        id = d.pop("id", UNSET)

        include = cast(list[str], d.pop("include", UNSET))

        polling = d.pop("polling", UNSET)

        def _parse_interval(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        interval = _parse_interval(d.pop("interval", UNSET))

        def _parse_rescan(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        rescan = _parse_rescan(d.pop("rescan", UNSET))

        _ready = d.pop("ready", UNSET)
        ready: PipelineSourcesItemType0Ready | Unset
        if isinstance(_ready, Unset):
            ready = UNSET
        else:
            ready = PipelineSourcesItemType0Ready.from_dict(_ready)

        touch_is_new = d.pop("touch_is_new", UNSET)

        pipeline_sources_item_type_0 = cls(
            kind=kind,
            path=path,
            id=id,
            include=include,
            polling=polling,
            interval=interval,
            rescan=rescan,
            ready=ready,
            touch_is_new=touch_is_new,
        )

        return pipeline_sources_item_type_0
