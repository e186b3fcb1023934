from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_outputs_sql_type_0_mode import PipelineOutputsSqlType0Mode
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineOutputsSqlType0")


@_attrs_define
class PipelineOutputsSqlType0:
    """
    Attributes:
        connection (str):
        table (str):
        keys (list[str] | Unset):
        mode (PipelineOutputsSqlType0Mode | Unset):  Default: PipelineOutputsSqlType0Mode.MERGE.
        partition_by (list[str] | Unset):
    """

    connection: str
    table: str
    keys: list[str] | Unset = UNSET
    mode: PipelineOutputsSqlType0Mode | Unset = PipelineOutputsSqlType0Mode.MERGE
    partition_by: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        connection = self.connection

        table = self.table

        keys: list[str] | Unset = UNSET
        if not isinstance(self.keys, Unset):
            keys = self.keys

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        partition_by: list[str] | Unset = UNSET
        if not isinstance(self.partition_by, Unset):
            partition_by = self.partition_by

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "connection": connection,
                "table": table,
            }
        )
        if keys is not UNSET:
            field_dict["keys"] = keys
        if mode is not UNSET:
            field_dict["mode"] = mode
        if partition_by is not UNSET:
            field_dict["partition_by"] = partition_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        connection = d.pop("connection")

        table = d.pop("table")

        keys = cast(list[str], d.pop("keys", UNSET))

        _mode = d.pop("mode", UNSET)
        mode: PipelineOutputsSqlType0Mode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = PipelineOutputsSqlType0Mode(_mode)

        partition_by = cast(list[str], d.pop("partition_by", UNSET))

        pipeline_outputs_sql_type_0 = cls(
            connection=connection,
            table=table,
            keys=keys,
            mode=mode,
            partition_by=partition_by,
        )

        return pipeline_outputs_sql_type_0
