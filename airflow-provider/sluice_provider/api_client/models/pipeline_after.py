from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_after_on_success import PipelineAfterOnSuccess
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineAfter")


@_attrs_define
class PipelineAfter:
    """
    Attributes:
        on_success (PipelineAfterOnSuccess | Unset):
        archive (str | Unset):
        quarantine (str | Unset):
    """

    on_success: PipelineAfterOnSuccess | Unset = UNSET
    archive: str | Unset = UNSET
    quarantine: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        on_success: str | Unset = UNSET
        if not isinstance(self.on_success, Unset):
            on_success = self.on_success.value

        archive = self.archive

        quarantine = self.quarantine

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if on_success is not UNSET:
            field_dict["on_success"] = on_success
        if archive is not UNSET:
            field_dict["archive"] = archive
        if quarantine is not UNSET:
            field_dict["quarantine"] = quarantine

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _on_success = d.pop("on_success", UNSET)
        on_success: PipelineAfterOnSuccess | Unset
        if isinstance(_on_success, Unset):
            on_success = UNSET
        else:
            on_success = PipelineAfterOnSuccess(_on_success)

        archive = d.pop("archive", UNSET)

        quarantine = d.pop("quarantine", UNSET)

        pipeline_after = cls(
            on_success=on_success,
            archive=archive,
            quarantine=quarantine,
        )

        return pipeline_after
