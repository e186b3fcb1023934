from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_input_format import PipelineInputFormat
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_input_columns import PipelineInputColumns


T = TypeVar("T", bound="PipelineInput")


@_attrs_define
class PipelineInput:
    """
    Attributes:
        columns (PipelineInputColumns):
        format_ (PipelineInputFormat | Unset):  Default: PipelineInputFormat.PARQUET.
        paths (list[str] | Unset):
        max_file_size (int | str | Unset):
        not_null (list[str] | Unset):
    """

    columns: PipelineInputColumns
    format_: PipelineInputFormat | Unset = PipelineInputFormat.PARQUET
    paths: list[str] | Unset = UNSET
    max_file_size: int | str | Unset = UNSET
    not_null: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        columns = self.columns.to_dict()

        format_: str | Unset = UNSET
        if not isinstance(self.format_, Unset):
            format_ = self.format_.value

        paths: list[str] | Unset = UNSET
        if not isinstance(self.paths, Unset):
            paths = self.paths

        max_file_size: int | str | Unset
        if isinstance(self.max_file_size, Unset):
            max_file_size = UNSET
        else:
            max_file_size = self.max_file_size

        not_null: list[str] | Unset = UNSET
        if not isinstance(self.not_null, Unset):
            not_null = self.not_null

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "columns": columns,
            }
        )
        if format_ is not UNSET:
            field_dict["format"] = format_
        if paths is not UNSET:
            field_dict["paths"] = paths
        if max_file_size is not UNSET:
            field_dict["max_file_size"] = max_file_size
        if not_null is not UNSET:
            field_dict["not_null"] = not_null

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_input_columns import PipelineInputColumns

        d = dict(src_dict)
        columns = PipelineInputColumns.from_dict(d.pop("columns"))

        _format_ = d.pop("format", UNSET)
        format_: PipelineInputFormat | Unset
        if isinstance(_format_, Unset):
            format_ = UNSET
        else:
            format_ = PipelineInputFormat(_format_)

        paths = cast(list[str], d.pop("paths", UNSET))

        def _parse_max_file_size(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        max_file_size = _parse_max_file_size(d.pop("max_file_size", UNSET))

        not_null = cast(list[str], d.pop("not_null", UNSET))

        pipeline_input = cls(
            columns=columns,
            format_=format_,
            paths=paths,
            max_file_size=max_file_size,
            not_null=not_null,
        )

        return pipeline_input
