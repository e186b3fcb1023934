from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_sources_item_type_1_kind import PipelineSourcesItemType1Kind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_sources_item_type_1_ready import (
        PipelineSourcesItemType1Ready,
    )


T = TypeVar("T", bound="PipelineSourcesItemType1")


@_attrs_define
class PipelineSourcesItemType1:
    """
    Attributes:
        kind (PipelineSourcesItemType1Kind):
        bucket (str):
        id (str | Unset):
        prefix (str | Unset):  Default: ''.
        include (list[str] | Unset):
        interval (int | str | Unset):  Default: 5000.
        ready (PipelineSourcesItemType1Ready | Unset):
    """

    kind: PipelineSourcesItemType1Kind
    bucket: str
    id: str | Unset = UNSET
    prefix: str | Unset = ""
    include: list[str] | Unset = UNSET
    interval: int | str | Unset = 5000
    ready: PipelineSourcesItemType1Ready | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        bucket = self.bucket

        id = self.id

        prefix = self.prefix

        include: list[str] | Unset = UNSET
        if not isinstance(self.include, Unset):
            include = self.include

        interval: int | str | Unset
        if isinstance(self.interval, Unset):
            interval = UNSET
        else:
            interval = self.interval

        ready: dict[str, Any] | Unset = UNSET
        if not isinstance(self.ready, Unset):
            ready = self.ready.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "bucket": bucket,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if prefix is not UNSET:
            field_dict["prefix"] = prefix
        if include is not UNSET:
            field_dict["include"] = include
        if interval is not UNSET:
            field_dict["interval"] = interval
        if ready is not UNSET:
            field_dict["ready"] = ready

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_sources_item_type_1_ready import (
            PipelineSourcesItemType1Ready,
        )

        d = dict(src_dict)
        kind = PipelineSourcesItemType1Kind(d.pop("kind"))

        bucket = d.pop("bucket")

        id = d.pop("id", UNSET)

        prefix = d.pop("prefix", UNSET)

        include = cast(list[str], d.pop("include", UNSET))

        def _parse_interval(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        interval = _parse_interval(d.pop("interval", UNSET))

        _ready = d.pop("ready", UNSET)
        ready: PipelineSourcesItemType1Ready | Unset
        if isinstance(_ready, Unset):
            ready = UNSET
        else:
            ready = PipelineSourcesItemType1Ready.from_dict(_ready)

        pipeline_sources_item_type_1 = cls(
            kind=kind,
            bucket=bucket,
            id=id,
            prefix=prefix,
            include=include,
            interval=interval,
            ready=ready,
        )

        return pipeline_sources_item_type_1
