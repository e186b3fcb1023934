from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineEngineVolumesItem")


@_attrs_define
class PipelineEngineVolumesItem:
    """
    Attributes:
        claim (str):
        mount (str):
        read_only (bool | Unset):  Default: True.
    """

    claim: str
    mount: str
    read_only: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        claim = self.claim

        mount = self.mount

        read_only = self.read_only

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "claim": claim,
                "mount": mount,
            }
        )
        if read_only is not UNSET:
            field_dict["read_only"] = read_only

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        claim = d.pop("claim")

        mount = d.pop("mount")

        read_only = d.pop("read_only", UNSET)

        pipeline_engine_volumes_item = cls(
            claim=claim,
            mount=mount,
            read_only=read_only,
        )

        return pipeline_engine_volumes_item
