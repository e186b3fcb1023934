from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineBatch")


@_attrs_define
class PipelineBatch:
    """
    Attributes:
        max_files (int | Unset):  Default: 200.
        max_bytes (int | str | Unset):  Default: 20000000000.
        max_wait (int | str | Unset):  Default: 30000.
    """

    max_files: int | Unset = 200
    max_bytes: int | str | Unset = 20000000000
    max_wait: int | str | Unset = 30000

    def to_dict(self) -> dict[str, Any]:
        max_files = self.max_files

        max_bytes: int | str | Unset
        if isinstance(self.max_bytes, Unset):
            max_bytes = UNSET
        else:
            max_bytes = self.max_bytes

        max_wait: int | str | Unset
        if isinstance(self.max_wait, Unset):
            max_wait = UNSET
        else:
            max_wait = self.max_wait

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if max_files is not UNSET:
            field_dict["max_files"] = max_files
        if max_bytes is not UNSET:
            field_dict["max_bytes"] = max_bytes
        if max_wait is not UNSET:
            field_dict["max_wait"] = max_wait

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        max_files = d.pop("max_files", UNSET)

        def _parse_max_bytes(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        max_bytes = _parse_max_bytes(d.pop("max_bytes", UNSET))

        def _parse_max_wait(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        max_wait = _parse_max_wait(d.pop("max_wait", UNSET))

        pipeline_batch = cls(
            max_files=max_files,
            max_bytes=max_bytes,
            max_wait=max_wait,
        )

        return pipeline_batch
