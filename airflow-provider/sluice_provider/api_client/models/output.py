from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Output")


@_attrs_define
class Output:
    """
    Attributes:
        run_uri (str):
        table (str):
        rows_in (int):
        rows_out (int):
        files (int):
        bytes_ (int):
        committed_at (str):
        columns (list[str]):
    """

    run_uri: str
    table: str
    rows_in: int
    rows_out: int
    files: int
    bytes_: int
    committed_at: str
    columns: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        run_uri = self.run_uri

        table = self.table

        rows_in = self.rows_in

        rows_out = self.rows_out

        files = self.files

        bytes_ = self.bytes_

        committed_at = self.committed_at

        columns = self.columns

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "runUri": run_uri,
                "table": table,
                "rowsIn": rows_in,
                "rowsOut": rows_out,
                "files": files,
                "bytes": bytes_,
                "committedAt": committed_at,
                "columns": columns,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        run_uri = d.pop("runUri")

        table = d.pop("table")

        rows_in = d.pop("rowsIn")

        rows_out = d.pop("rowsOut")

        files = d.pop("files")

        bytes_ = d.pop("bytes")

        committed_at = d.pop("committedAt")

        columns = cast(list[str], d.pop("columns"))

        output = cls(
            run_uri=run_uri,
            table=table,
            rows_in=rows_in,
            rows_out=rows_out,
            files=files,
            bytes_=bytes_,
            committed_at=committed_at,
            columns=columns,
        )

        output.additional_properties = d
        return output

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
