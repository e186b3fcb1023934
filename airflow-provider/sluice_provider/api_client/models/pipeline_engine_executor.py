from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineEngineExecutor")


@_attrs_define
class PipelineEngineExecutor:
    """
    Attributes:
        instances (int | Unset):  Default: 2.
        cores (int | Unset):  Default: 1.
        memory (str | Unset):  Default: '1g'.
    """

    instances: int | Unset = 2
    cores: int | Unset = 1
    memory: str | Unset = "1g"

    def to_dict(self) -> dict[str, Any]:
        instances = self.instances

        cores = self.cores

        memory = self.memory

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if instances is not UNSET:
            field_dict["instances"] = instances
        if cores is not UNSET:
            field_dict["cores"] = cores
        if memory is not UNSET:
            field_dict["memory"] = memory

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        instances = d.pop("instances", UNSET)

        cores = d.pop("cores", UNSET)

        memory = d.pop("memory", UNSET)

        pipeline_engine_executor = cls(
            instances=instances,
            cores=cores,
            memory=memory,
        )

        return pipeline_engine_executor
