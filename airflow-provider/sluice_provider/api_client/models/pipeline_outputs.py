from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_outputs_lake import PipelineOutputsLake
    from ..models.pipeline_outputs_sql_type_0 import PipelineOutputsSqlType0
    from ..models.pipeline_outputs_sql_type_1_item import PipelineOutputsSqlType1Item


T = TypeVar("T", bound="PipelineOutputs")


@_attrs_define
class PipelineOutputs:
    """
    Attributes:
        lake (PipelineOutputsLake):
        sql (list[PipelineOutputsSqlType1Item] | PipelineOutputsSqlType0 | Unset):
    """

    lake: PipelineOutputsLake
    sql: list[PipelineOutputsSqlType1Item] | PipelineOutputsSqlType0 | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.pipeline_outputs_sql_type_0 import PipelineOutputsSqlType0

        lake = self.lake.to_dict()

        sql: dict[str, Any] | list[dict[str, Any]] | Unset
        if isinstance(self.sql, Unset):
            sql = UNSET
        elif isinstance(self.sql, PipelineOutputsSqlType0):
            sql = self.sql.to_dict()
        else:
            sql = []
            for sql_type_1_item_data in self.sql:
                sql_type_1_item = sql_type_1_item_data.to_dict()
                sql.append(sql_type_1_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "lake": lake,
            }
        )
        if sql is not UNSET:
            field_dict["sql"] = sql

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_outputs_lake import PipelineOutputsLake
        from ..models.pipeline_outputs_sql_type_0 import PipelineOutputsSqlType0
        from ..models.pipeline_outputs_sql_type_1_item import (
            PipelineOutputsSqlType1Item,
        )

        d = dict(src_dict)
        lake = PipelineOutputsLake.from_dict(d.pop("lake"))

        def _parse_sql(
            data: object,
        ) -> list[PipelineOutputsSqlType1Item] | PipelineOutputsSqlType0 | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                sql_type_0 = PipelineOutputsSqlType0.from_dict(data)

                return sql_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, list):
                raise TypeError()
            sql_type_1 = []
            _sql_type_1 = data
            for sql_type_1_item_data in _sql_type_1:
                sql_type_1_item = PipelineOutputsSqlType1Item.from_dict(
                    sql_type_1_item_data
                )

                sql_type_1.append(sql_type_1_item)

            return sql_type_1

        sql = _parse_sql(d.pop("sql", UNSET))

        pipeline_outputs = cls(
            lake=lake,
            sql=sql,
        )

        return pipeline_outputs
