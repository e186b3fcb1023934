from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PipelineOutputsLake")


@_attrs_define
class PipelineOutputsLake:
    """
    Attributes:
        table (str):
    """

    table: str

    def to_dict(self) -> dict[str, Any]:
        table = self.table

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "table": table,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        table = d.pop("table")

        pipeline_outputs_lake = cls(
            table=table,
        )

        return pipeline_outputs_lake
