from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineEngineDriver")


@_attrs_define
class PipelineEngineDriver:
    """
    Attributes:
        cores (int | Unset):  Default: 1.
        memory (str | Unset):  Default: '1g'.
    """

    cores: int | Unset = 1
    memory: str | Unset = "1g"

    def to_dict(self) -> dict[str, Any]:
        cores = self.cores

        memory = self.memory

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if cores is not UNSET:
            field_dict["cores"] = cores
        if memory is not UNSET:
            field_dict["memory"] = memory

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cores = d.pop("cores", UNSET)

        memory = d.pop("memory", UNSET)

        pipeline_engine_driver = cls(
            cores=cores,
            memory=memory,
        )

        return pipeline_engine_driver
