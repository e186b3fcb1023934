from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PipelineTransformType1")


@_attrs_define
class PipelineTransformType1:
    """
    Attributes:
        sql (str):
    """

    sql: str

    def to_dict(self) -> dict[str, Any]:
        sql = self.sql

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "sql": sql,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sql = d.pop("sql")

        pipeline_transform_type_1 = cls(
            sql=sql,
        )

        return pipeline_transform_type_1
